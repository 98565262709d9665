"""Norms for reliable change: what the bundled files declare, and reliable-change counts by hand.

Issue 12: a norm (SD and reliability with a source) is declared only when its numbers could
be read in a stored source; otherwise the file's ``verification`` list says so and the norm is
left out. No such source was found for WHO-5, PHQ-4, CSI-4 or BRS (see each file), so the
golden counts below use a small instrument with a declared, made-up norm.
"""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.core import privacy
from toolkit.core.change import reliable_change
from toolkit.instruments import load_instrument

NORMED = ["who5", "phq4", "csi4", "brs"]
K = 5

TINY = """\
id: tiny_normed
version: "1"
kind: reflection
title: {en: Tiny scale with a norm}
instructions: {en: Rate each statement from 0 to 10.}
response_scales:
  - id: zero_ten
    options: [{value: 0}, {value: 1}, {value: 2}, {value: 3}, {value: 4}, {value: 5},
              {value: 6}, {value: 7}, {value: 8}, {value: 9}, {value: 10}]
items:
  - {id: q1, response_scale: zero_ten, text: {en: One}}
  - {id: q2, response_scale: zero_ten, text: {en: Two}}
scales:
  - id: wellbeing
    label: {en: Well-being}
    items: [q1, q2]
    method: sum
    higher_is_better: true
    no_bands_reason: a test scale
    norms: {sd: 2.5, reliability: 0.68, source: made up for this test}
licence: {terms: {en: test only}, commercial_use: allowed, attribution: {en: test}}
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny_normed.yaml"
    path.write_text(TINY, encoding="utf-8")
    return str(path)


# --- what the bundled files declare --------------------------------------------------------------

@pytest.mark.parametrize("instrument_id", NORMED)
def test_a_norm_is_declared_only_with_a_record_of_where_it_was_read(instrument_id):
    inst = load_instrument(instrument_id)
    records = [v for v in inst.verification if "norms" in v.fact]
    assert records, f"{instrument_id}: the verification list says what was found about norms"
    declared = [s for s in inst.scales if s.norms is not None]
    if declared:
        assert any(v.status in ("verified", "secondary") for v in records)
        for scale in declared:
            assert scale.norms.source.strip() and scale.higher_is_better is not None
    else:
        assert all(v.status == "unverified" and "Not added" in v.note for v in records), instrument_id


@pytest.mark.parametrize("instrument_id", NORMED)
def test_the_search_for_norms_is_dated_and_names_what_was_seen(instrument_id):
    (record,) = [v for v in load_instrument(instrument_id).verification if "norms" in v.fact]
    assert "2026-11-29" in record.note and "issue 12" in record.note


def test_the_before_after_view_of_a_bundled_scale_without_norms_says_why_and_counts_nothing():
    pre = pd.DataFrame({"participant": [f"p{i}" for i in range(6)], "percent": [40, 48, 52, 60, 64, 72]})
    post = pre.assign(percent=[56, 60, 60, 64, 80, 72])
    summary = privacy.change_summary(pre, post, "who5", "percent", K)
    assert summary.categories is None and "declares no norms" in summary.reliable_change_note
    # the mean change is still shown: differences 16, 12, 8, 4, 16, 0 -> 56 / 6
    assert summary.mean == pytest.approx(56 / 6)


# --- reliable-change counts by hand ----------------------------------------------------------------
# S_diff = SD * sqrt(2) * sqrt(1 - r) = 2.5 * sqrt(2) * sqrt(0.32) = 2.5 * sqrt(0.64) = 2.5 * 0.8 = 2.0,
# so RCI = (post - pre) / 2, and a change is reliable when |RCI| > 1.96, that is |post - pre| > 3.92:
# with whole-number scores, a rise of 4 or more is "improved", a fall of 4 or more "deteriorated".
# No cut-off is declared, so there is no "recovered" category.
#
#   5 people  10 -> 14   diff +4  RCI +2.0   improved
#   3 people   8 -> 11   diff +3  RCI +1.5   unchanged
#   3 people  12 ->  9   diff -3  RCI -1.5   unchanged
#   5 people  15 ->  9   diff -6  RCI -3.0   deteriorated
#   totals: improved 5, unchanged 6, deteriorated 5 (16 pairs): every count >= 5, all shown.
PAIRS = [(10, 14)] * 5 + [(8, 11)] * 3 + [(12, 9)] * 3 + [(15, 9)] * 5


def frames(pairs):
    codes = [f"p{i:02d}" for i in range(len(pairs))]
    pre = pd.DataFrame({"participant": codes, "wellbeing": [a for a, _ in pairs]})
    post = pd.DataFrame({"participant": codes, "wellbeing": [b for _, b in pairs]})
    return pre, post


def test_rci_of_each_row_by_hand(tiny):
    result = reliable_change(tiny, "wellbeing", [a for a, _ in PAIRS], [b for _, b in PAIRS])
    assert result["rci"].tolist() == pytest.approx([2.0] * 5 + [1.5] * 3 + [-1.5] * 3 + [-3.0] * 5)
    assert result["category"].value_counts().to_dict() == {"unchanged": 6, "improved": 5, "deteriorated": 5}
    assert "2.5 * 1.414 * sqrt(1 - 0.68) = 2.000" in result.attrs["method"]


def test_group_reliable_change_counts_by_hand(tiny):
    summary = privacy.change_summary(*frames(PAIRS), tiny, "wellbeing", K)
    table = summary.categories.table
    assert table.index.tolist() == ["improved", "unchanged", "deteriorated"]  # no cut-off: no "recovered"
    assert table["count"].tolist() == [5, 6, 5] and not table["suppressed"].any()
    assert summary.n == 16
    # mean change: (5 * 4 + 3 * 3 - 3 * 3 - 5 * 6) / 16 = (20 - 30) / 16 = -0.625
    assert summary.mean == pytest.approx(-0.625)
    assert "made up for this test" in summary.reliable_change_note


def test_a_single_reliable_deterioration_is_hidden_with_a_covering_cell(tiny):
    # 6 improved (10 -> 14), 6 unchanged (8 -> 11), 1 deteriorated (15 -> 9): 13 pairs.
    # The 1 shows "fewer than 5"; alone it would be 13 - 6 - 6, so the smaller of the others
    # (improved, first of the two sixes) is hidden too. An onlooker then knows improved +
    # deteriorated = 7 with improved >= 5: improved 5 to 7, deteriorated 0 to 2; neither is pinned.
    pairs = [(10, 14)] * 6 + [(8, 11)] * 6 + [(15, 9)]
    table = privacy.change_summary(*frames(pairs), tiny, "wellbeing", K).categories.table
    assert table["shown"].tolist() == ["hidden", "6", "fewer than 5"]
    assert table["count"].isna().tolist() == [True, False, True]
