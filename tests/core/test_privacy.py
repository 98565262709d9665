"""Small-cell protection: what the facilitator sees never rests on fewer than k people.

Expected values are worked out by hand from the rules in toolkit/core/privacy.py's docstring
(k = 5 unless said otherwise). An "onlooker" below enumerates every table consistent with
what is shown (shown numbers, shown totals, and what each label means) to check that no
hidden cell can be worked out, whatever the code did.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from toolkit.core.privacy import (
    DEFAULT_K,
    FEWER_THAN_K,
    HIDDEN,
    ChangeSummary,
    Distribution,
    SmallGroup,
    band_distribution,
    change_summary,
    group_stats,
    item_means,
    suppress_counts,
    suppress_table,
)
from toolkit.errors import ResponseDataError
from toolkit.instruments import load_instrument
from toolkit.instruments.model import Norms

NA = pd.NA


def counts_of(result: pd.DataFrame) -> list:
    return [NA if pd.isna(x) else int(x) for x in result["count"]]


# --- an onlooker who knows the rules -------------------------------------------------------


def onlooker(labels: dict, lines: list[tuple[list, object]], k: int) -> dict:
    """Every value each hidden cell can take, given shown numbers, shown totals and the labels.

    ``labels`` maps a cell key to its shown text (a number as text, "fewer than k" or
    "hidden"); ``lines`` are (cell keys, total) where total is a number, or a cell key whose
    value is itself hidden. "fewer than k" means 0 to k-1; "hidden" means any number.
    """
    known = {key: int(text) for key, text in labels.items() if text not in (f"fewer than {k}", "hidden")}
    hidden = [key for key in labels if key not in known]

    def top(key):  # no cell exceeds a known total of a line it is in
        return min([t for cells, t in lines if key in cells and isinstance(t, int)], default=50)

    domains = {key: range(0, k) if labels[key] == f"fewer than {k}" else range(0, top(key) + 1) for key in hidden}

    def consistent(value: dict) -> bool:
        """No line is broken by the cells given so far (a depth-first search prunes on this)."""
        for cells, total in lines:
            if not isinstance(total, int):
                if total not in value:
                    continue
                total = value[total]
            given = [value[c] for c in cells if c in value]
            open_cells = [c for c in cells if c not in value]
            if sum(given) > total or sum(given) + sum(domains[c][-1] for c in open_cells) < total:
                return False
        return True

    def solvable(value: dict) -> bool:
        if not consistent(value):
            return False
        rest = [key for key in hidden if key not in value]
        if not rest:
            return True
        return any(solvable(value | {rest[0]: v}) for v in domains[rest[0]])

    return {key: {v for v in domains[key] if solvable(known | {key: v})} for key in hidden}


def assert_nothing_given_away(possible: dict, labels: dict, k: int) -> None:
    for key, values in possible.items():
        assert len(values) >= 2, f"cell {key} can be worked out: {sorted(values)}"
        if labels[key] == f"fewer than {k}":
            assert 0 in values, f"cell {key} is shown to hold somebody: {sorted(values)}"


# --- one group's counts -----------------------------------------------------------------------


def test_counts_of_at_least_k_in_every_cell_are_all_shown():
    result = suppress_counts(pd.Series([5, 6, 9], index=["a", "b", "c"]))
    assert counts_of(result) == [5, 6, 9]
    assert result["shown"].tolist() == ["5", "6", "9"]
    assert not result["suppressed"].any()


def test_a_count_below_k_is_hidden_and_the_next_smallest_too_when_the_total_is_shown():
    # 7 + 3 + 6 = 16 is shown: hiding 3 alone would leave it as 16 - 7 - 6.
    result = suppress_counts(pd.Series([7, 3, 6], index=["none", "mild", "moderate"]))
    assert counts_of(result) == [7, NA, NA]
    assert result["suppressed"].tolist() == [False, True, True]
    assert result["note"].tolist() == ["", FEWER_THAN_K, HIDDEN]
    assert result["shown"].tolist() == ["7", "fewer than 5", "hidden"]
    assert result["count"].dtype == "Int64"


def test_without_a_shown_total_only_the_small_count_is_hidden():
    result = suppress_counts(pd.Series([7, 3, 6]), total_shown=False)
    assert counts_of(result) == [7, NA, 6]


def test_zero_is_hidden_like_any_count_below_k():
    # A shown 0 would tell the room who is not there; a hidden one says "0 to 4".
    result = suppress_counts(pd.Series([9, 0, 6]))
    assert counts_of(result) == [9, NA, NA]
    assert result["shown"].tolist() == ["9", "fewer than 5", "hidden"]
    assert "0" not in result["shown"].tolist()


def test_a_group_all_in_one_category_shows_no_category():
    # [0, 0, 12] would tell every participant everyone else's band.
    result = suppress_counts(pd.Series([0, 0, 12]))
    assert result["suppressed"].all()


def test_small_cells_that_together_would_show_someone_is_there_hide_a_third():
    # Two "fewer than 5" cells summing to 14 - 8 = 6 would each hold 2 to 4 people.
    result = suppress_counts(pd.Series([8, 4, 2]))
    assert result["suppressed"].tolist() == [True, True, True]


def test_labels_that_would_pin_down_the_cells_are_replaced_by_hidden():
    # Three "fewer than 5" cells summing to 12 would all be 4.
    result = suppress_counts(pd.Series([4, 4, 4]))
    assert result["suppressed"].all()
    assert result["shown"].tolist() == ["hidden"] * 3


def test_hidden_cells_summing_to_fewer_than_k_are_not_enough():
    # 1 and 2 hidden would still show that 3 people are in one of those two bands.
    result = suppress_counts(pd.Series([10, 1, 2]))
    assert result["suppressed"].all()


@pytest.mark.parametrize("counts", [[3, 1], [4, 0], [2, 1, 1]])
def test_a_group_of_k_minus_one_shows_no_count(counts):
    assert sum(counts) == DEFAULT_K - 1
    assert suppress_counts(pd.Series(counts))["suppressed"].all()


def test_an_empty_group_shows_no_count_and_gives_nothing_away():
    result = suppress_counts(pd.Series([0, 0, 0]))
    assert result["suppressed"].all()
    assert result["count"].isna().all()


def test_k_is_a_parameter():
    result = suppress_counts(pd.Series([7, 3, 6]), k=3)
    assert counts_of(result) == [7, 3, 6]
    result = suppress_counts(pd.Series([7, 3, 6]), k=10)
    assert result["suppressed"].all()
    assert "fewer than 10" in result["shown"].tolist()


def test_counts_must_be_whole_numbers_of_people():
    with pytest.raises(ValueError):
        suppress_counts(pd.Series([1.5, 3]))
    with pytest.raises(ValueError):
        suppress_counts(pd.Series([-1, 3]))
    with pytest.raises(ValueError):
        suppress_counts(pd.Series([5, 3]), k=0)


@settings(max_examples=150, deadline=None)
@given(counts=st.lists(st.integers(0, 9), min_size=2, max_size=4), k=st.sampled_from([3, 5]))
def test_no_hidden_count_can_be_worked_out_from_what_is_shown(counts, k):
    result = suppress_counts(pd.Series(counts), k=k)
    labels = dict(enumerate(result["shown"]))
    shown = [int(t) for t in labels.values() if t not in (f"fewer than {k}", "hidden")]
    assert all(n >= k for n in shown)
    possible = onlooker(labels, [(list(labels), sum(counts))], k)
    if sum(counts) > 0:
        assert_nothing_given_away(possible, labels, k)
    for key, values in possible.items():
        assert counts[key] in values  # the onlooker's reasoning is sound


# --- two-way tables ---------------------------------------------------------------------------


BAND_BY_TIME = pd.DataFrame({"pre": [7, 3, 6], "post": [9, 2, 5]}, index=["good", "low", "very_low"])


def test_a_band_by_timepoint_table_is_protected_column_by_column():
    result = suppress_table(BAND_BY_TIME, row_totals_shown=False)
    # pre: 3 hidden, then 6 (the next smallest); post: 2 hidden, then 5.
    assert result.counts["pre"].tolist() == [7, NA, NA]
    assert result.counts["post"].tolist() == [9, NA, NA]
    assert result.shown.loc["low"].tolist() == ["fewer than 5", "fewer than 5"]
    assert result.col_totals.tolist() == [16, 16]
    assert result.row_totals is None


def lines_of(table: pd.DataFrame, result) -> tuple[dict, list]:
    """What an onlooker sees of a protected two-way table with row totals, and the sums it obeys."""
    labels = {(r, c): result.shown.loc[r, c] for r in table.index for c in table.columns}
    labels |= {("total", r): result.row_totals.loc[r, "shown"] for r in table.index}
    lines = [([(r, c) for r in table.index], int(table[c].sum())) for c in table.columns]
    for r in table.index:
        total = labels[("total", r)]
        lines.append(([(r, c) for c in table.columns], int(total) if total.isdigit() else ("total", r)))
    lines.append(([("total", r) for r in table.index], int(table.to_numpy().sum())))
    return labels, lines


def test_a_two_way_table_with_row_totals_gives_nothing_away():
    result = suppress_table(BAND_BY_TIME, row_totals_shown=True)
    labels, lines = lines_of(BAND_BY_TIME, result)
    assert_nothing_given_away(onlooker(labels, lines, DEFAULT_K), labels, DEFAULT_K)
    assert result.row_totals["count"].tolist() == [16, 5, 11]
    # The low row (3 + 2 = 5 shown) would make both "fewer than 5" cells at least 1.
    assert result.shown.loc["low"].tolist() == ["hidden", "hidden"]
    assert result.counts.loc["good"].tolist() == [7, 9]


@settings(max_examples=40, deadline=None)
@given(cells=st.lists(st.integers(0, 8), min_size=6, max_size=6))
def test_no_hidden_cell_of_a_two_way_table_can_be_worked_out(cells):
    assume(sum(cells) > 0)  # a table of nobody has nothing to hide
    table = pd.DataFrame(np.array(cells).reshape(3, 2), index=["a", "b", "c"], columns=["x", "y"])
    result = suppress_table(table)
    labels, lines = lines_of(table, result)
    possible = onlooker(labels, lines, DEFAULT_K)
    for row, column in list(possible):
        if row != "total" and table[column].sum() == 0:
            del possible[(row, column)]  # a group of nobody: its cells are 0 for everyone to see
    assert_nothing_given_away(possible, labels, DEFAULT_K)


def test_a_column_smaller_than_k_shows_only_its_size():
    table = pd.DataFrame({"w1": [6, 5, 7], "w2": [1, 2, 1]}, index=["a", "b", "c"])
    result = suppress_table(table, row_totals_shown=False)
    assert result.suppressed["w2"].all()
    assert result.col_totals["w2"] == 4
    assert result.counts["w1"].tolist() == [6, 5, 7]


# --- statistics -------------------------------------------------------------------------------


def test_group_stats_below_k_show_only_n():
    assert group_stats([1, 2, 3, 4]) == {"n": 4, "mean": None, "sd": None, "suppressed": True, "note": FEWER_THAN_K}


def test_group_stats_at_k_show_mean_and_sd():
    stats = group_stats([1, 2, 3, 4, 5])
    assert stats["n"] == 5 and not stats["suppressed"]
    assert stats["mean"] == 3.0
    assert math.isclose(stats["sd"], math.sqrt(2.5))


def test_group_stats_ignore_missing_values():
    assert group_stats([1, 2, np.nan, 3, 4, None])["suppressed"]
    assert group_stats([1, 2, np.nan, 3, 4, 5])["n"] == 5


def test_group_stats_hide_a_mean_that_shows_everyone_s_value():
    assert group_stats([3, 3, 3, 3, 3, 3])["suppressed"]


def test_group_stats_hide_a_share_of_yes_below_k():
    # One "yes" among seven: the mean 1/7 would show that someone said yes.
    assert group_stats([1, 0, 0, 0, 0, 0, 0], bounds=(0, 1))["suppressed"]
    assert group_stats([0, 0, 0, 0, 0, 0, 0], bounds=(0, 1))["suppressed"]
    shown = group_stats([1] * 5 + [0] * 5, bounds=(0, 1))
    assert shown["mean"] == 0.5


def test_group_stats_of_an_empty_group():
    assert group_stats([]) == {"n": 0, "mean": None, "sd": None, "suppressed": True, "note": FEWER_THAN_K}


# --- band distribution ------------------------------------------------------------------------


def who5_percent(*values) -> pd.DataFrame:
    return pd.DataFrame({"participant": [f"p{i}" for i in range(len(values))], "percent": values})


def test_band_distribution_counts_people_per_band_in_band_order():
    # who5 percent bands: very_low 0-28, low 29-50, good 51-100.
    scores = who5_percent(*([20, 24] + [32, 40, 44, 48, 36, 40] + [60] * 8), np.nan)
    result = band_distribution(scores, "who5", "percent")
    assert isinstance(result, Distribution)
    assert result.n == 16  # the unscored row does not count
    assert result.table.index.tolist() == ["very_low", "low", "good"]
    assert counts_of(result.table) == [NA, NA, 8]  # 2 hidden, then 6 to protect it
    assert result.table["shown"].tolist() == ["fewer than 5", "hidden", "8"]


def test_band_distribution_of_a_group_below_k_is_a_small_group():
    result = band_distribution(who5_percent(60, 60, 20, 40), "who5", "percent")
    assert result == SmallGroup(4, DEFAULT_K)
    assert result.suppressed
    assert "4 people" in result.shown


def test_band_distribution_of_k_people_in_one_band_shows_nothing_but_n():
    result = band_distribution(who5_percent(60, 64, 72, 80, 96), "who5", "percent")
    assert result.n == 5
    assert result.table["suppressed"].all()


def test_band_distribution_of_an_empty_group():
    assert band_distribution(who5_percent(), "who5", "percent") == SmallGroup(0, DEFAULT_K)


def test_band_distribution_refuses_a_scale_without_bands():
    with pytest.raises(ResponseDataError, match="no bands"):
        band_distribution(pd.DataFrame({"avoidance": [1.0] * 6}), "ecr_rs", "avoidance")


# --- item means -------------------------------------------------------------------------------


def help_answers(**columns) -> pd.DataFrame:
    inst = load_instrument("help_indicators")
    n = len(next(iter(columns.values())))
    data = {item: columns.get(item, [0, 1] * (n // 2) + [0] * (n % 2)) for item in inst.item_ids}
    return pd.DataFrame(data)


def test_item_means_hide_a_yes_given_by_fewer_than_k():
    answers = help_answers(
        afraid_of_partner=[1] + [0] * 14,
        earlier_wounds=[1] * 5 + [0] * 10,
        recurring_cycles=[1, 0, 1, 0] + ["skipped"] * 11,
        intimacy_loss=[1] * 5 + [0] * 5 + ["prefer_not_to_say"] * 5,
        persistent_signs=[1] * 3 + [0] * 9 + ["skipped"] * 3,
    )
    result = item_means(answers, "help_indicators")
    assert pd.isna(result.loc["afraid_of_partner", "mean"])
    assert result.loc["afraid_of_partner", "note"] == HIDDEN
    assert result.loc["earlier_wounds", "mean"] == pytest.approx(1 / 3)
    assert result.loc["recurring_cycles", "shown"] == "fewer than 5"
    assert result.loc["recurring_cycles", "note"] == FEWER_THAN_K
    assert result.loc["persistent_signs", "suppressed"]  # 3 yes among 12 answered
    assert result.loc["intimacy_loss", "mean"] == 0.5
    assert result.loc["intimacy_loss", "shown"] == "0.50"
    # Answered (10) and unanswered (5) both at least 5: the number answered can be shown.
    assert result.loc["intimacy_loss", "n_answered"] == 10
    # Everyone answered, so "15 answered" would show that nobody skipped it: hidden like a 0.
    assert pd.isna(result.loc["earlier_wounds", "n_answered"])


def test_item_means_of_a_group_below_k():
    assert item_means(help_answers(earlier_wounds=[1, 0, 1, 0]), "help_indicators") == SmallGroup(4, DEFAULT_K)


def test_item_means_refuse_a_value_off_the_scale():
    with pytest.raises(ResponseDataError):
        item_means(help_answers(earlier_wounds=[2] + [0] * 9), "help_indicators")


# --- change -----------------------------------------------------------------------------------


def who5_with_norms(cutoff=None):
    inst = load_instrument("who5")
    total = inst.scale("total").model_copy(update={"norms": Norms(sd=5, reliability=0.8, cutoff=cutoff, source="test")})
    return inst.model_copy(update={"scales": [total if s.id == "total" else s for s in inst.scales]})


def frame(scores: dict) -> pd.DataFrame:
    return pd.DataFrame({"participant": list(scores), "total": list(scores.values())})


def test_change_summary_without_norms_says_so_and_still_gives_the_mean():
    pre = frame({f"p{i}": 10 for i in range(6)})
    post = frame({f"p{i}": 10 + i for i in range(6)})
    result = change_summary(pre, post, "who5", "total")
    assert isinstance(result, ChangeSummary)
    assert result.n == 6 and result.mean == 2.5
    assert result.ci_low < 2.5 < result.ci_high
    assert result.categories is None
    assert "no norms" in result.reliable_change_note


def test_change_summary_counts_reliable_change_categories_with_suppression():
    # S_diff = 5 * sqrt(2) * sqrt(0.2) = 3.16; |diff| > 6.2 is reliable.
    pre = {f"p{i}": 10 for i in range(13)}
    post = {**{f"p{i}": 18 for i in range(6)}, **{f"p{i}": 11 for i in range(6, 12)}, "p12": 2}
    result = change_summary(frame(pre), frame(post), who5_with_norms(), "total")
    table = result.categories.table
    assert table.index.tolist() == ["improved", "unchanged", "deteriorated"]  # no cut-off, no "recovered"
    # deteriorated 1 is hidden, then the next smallest (improved 6, first of two sixes).
    assert counts_of(table) == [NA, 6, NA]
    assert "Jacobson-Truax" in result.reliable_change_note


def test_change_summary_pairs_people_by_code():
    pre = frame({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "only_pre": 9})
    post = frame({"e": 7, "d": 6, "c": 5, "b": 3, "a": 1, "only_post": 0})
    result = change_summary(pre, post, "who5", "total")
    assert result.n == 5
    assert result.mean == pytest.approx((0 + 1 + 2 + 2 + 2) / 5)


def test_change_summary_below_k_pairs_is_a_small_group():
    pre = frame({f"p{i}": 10 for i in range(4)})
    assert change_summary(pre, pre, "who5", "total") == SmallGroup(4, DEFAULT_K)


def test_change_summary_hides_a_mean_when_everyone_changed_alike():
    pre = frame({f"p{i}": 10 + i for i in range(6)})
    post = frame({f"p{i}": 12 + i for i in range(6)})
    result = change_summary(pre, post, "who5", "total")
    assert result.mean_suppressed and result.mean is None
