"""Properties of the vectorised scoring engine that must hold for any answers (hypothesis).

The reference implementations at the bottom are written per respondent, straight from the
published rules in shared/instruments.md, and share nothing with toolkit/core/scoring.py.
"""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.core import scoring
from toolkit.core.scoring import score
from toolkit.instruments import MISSING_CODES, load_instrument

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MISSING_VALUES = [*MISSING_CODES, "", None, float("nan")]

#: The bundled questionnaires and checklists that have scales.
SCORED = ["who5", "phq4", "csi4", "brs", "ecr_rs", "eu_signs", "help_indicators"]


def items_of(instrument_id: str) -> list:
    inst = load_instrument(instrument_id)
    return [i for i in inst.items if i.type not in ("free_text", "multiple_choice")]


def values_of(instrument_id: str, item) -> list[float]:
    return list(load_instrument(instrument_id).response_scale_of(item).values)


def answer(instrument_id: str, item, missing: str | None = "codes"):
    """One cell: a value on the item's response scale, or (about one time in four) a missing answer:
    any kind of missing answer with ``missing="codes"``, NaN only with ``missing="nan"`` (which keeps
    the frame numeric and the test fast), never with ``missing=None``."""
    on_scale = st.sampled_from(values_of(instrument_id, item))
    if missing is None:
        return on_scale
    gap = st.sampled_from(MISSING_VALUES) if missing == "codes" else st.just(float("nan"))
    return st.one_of(on_scale, on_scale, on_scale, gap)


def rows(instrument_id: str, missing: str | None = "codes"):
    return st.fixed_dictionaries({i.id: answer(instrument_id, i, missing) for i in items_of(instrument_id)})


def frames(instrument_id: str, min_size: int = 1, max_size: int = 8, missing: str | None = "codes"):
    return st.lists(rows(instrument_id, missing), min_size=min_size, max_size=max_size).map(
        lambda records: pd.DataFrame(records, dtype=float if missing != "codes" else None))


def assert_same_scores(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=False,
                                  rtol=1e-12, atol=1e-12)


# --- Reverse keying --------------------------------------------------------------------------


@pytest.mark.parametrize("instrument_id", SCORED)
def test_reversing_twice_is_identity_for_every_item_value(instrument_id):
    for item in items_of(instrument_id):
        values = values_of(instrument_id, item)
        lo, hi = min(values), max(values)
        for x in values:
            once = (lo + hi) - x
            assert once in values  # keying maps the response scale onto itself
            assert (lo + hi) - once == x


def _without_reverse_keys(instrument_id: str):
    inst = load_instrument(instrument_id)
    items = [i.model_copy(update={"reverse": False}) for i in inst.items]
    return inst.model_copy(update={"items": items})


@pytest.mark.parametrize("instrument_id", ["brs", "ecr_rs"])
@FAST
@given(data=st.data())
def test_engine_reversal_undoes_a_reversal_done_in_the_data(instrument_id, data):
    """Reversed items entered already reversed, then reversed by the engine, score like raw values
    given to the same instrument without reverse keys: (lo+hi) - ((lo+hi) - x) = x."""
    frame = data.draw(frames(instrument_id, missing="nan"))
    inst = load_instrument(instrument_id)
    flipped = frame.copy()
    for item in inst.items:
        if item.reverse:
            values = values_of(instrument_id, item)
            lo_hi = min(values) + max(values)
            flipped[item.id] = [lo_hi - v if isinstance(v, (int, float)) and not math.isnan(v) else v
                                for v in frame[item.id]]
    assert_same_scores(score(inst, flipped), score(_without_reverse_keys(instrument_id), frame))


# --- Independence of column order and of other rows ---------------------------------------------


@pytest.mark.parametrize("instrument_id", SCORED)
@FAST
@given(data=st.data())
def test_scores_do_not_depend_on_column_order(instrument_id, data):
    frame = data.draw(frames(instrument_id, missing="nan"))
    frame.insert(0, "participant", [f"p{i}" for i in range(len(frame))])
    shuffled = frame[data.draw(st.permutations(list(frame.columns)))]
    assert_same_scores(score(instrument_id, shuffled), score(instrument_id, frame))


@pytest.mark.parametrize("instrument_id", ["phq4", "brs", "ecr_rs", "help_indicators"])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_respondents_scores_do_not_depend_on_other_rows(instrument_id, data):
    frame = data.draw(frames(instrument_id, min_size=2))
    k = data.draw(st.integers(0, len(frame) - 1))
    alone = score(instrument_id, frame.iloc[[k]])
    within = score(instrument_id, frame).iloc[[k]]
    assert_same_scores(alone, within)


# --- The engine against a naive per-respondent reference ----------------------------------------


def _answered(x) -> bool:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return False
    return not (isinstance(x, str) and (x.strip() == "" or x in MISSING_CODES))


def _mean(keyed: list, need: int) -> tuple[float, int]:
    got = [float(v) for v in keyed if v is not None]
    return (sum(got) / len(got) if len(got) >= need else float("nan")), len(got)


def _sum(values: list, need: int) -> tuple[float, int]:
    got = [float(v) for v in values if v is not None]
    return (sum(got) if len(got) >= need else float("nan")), len(got)


def reference_brs(row: dict) -> dict:
    """instruments.md 4: mean(brs_1, 6-brs_2, brs_3, 6-brs_4, brs_5, 6-brs_6); needs 5 of 6;
    low < 3.00 <= normal <= 4.30 < high."""
    keyed = []
    for i in range(1, 7):
        x = row[f"brs_{i}"]
        keyed.append(None if not _answered(x) else (6 - float(x) if i in (2, 4, 6) else float(x)))
    m, n = _mean(keyed, 5)
    band = "" if math.isnan(m) else "low" if m < 3 else "normal" if m <= 4.3 else "high"
    return {"resilience": m, "resilience_answered": n, "resilience_band": band}


def reference_ecr_rs(row: dict) -> dict:
    """instruments.md 5: avoidance = mean(8-1, 8-2, 8-3, 8-4, 5, 6), needs 5 of 6;
    anxiety = mean(7, 8, 9), needs 3 of 3; never banded."""
    def keyed(i):
        x = row[f"ecr_rs_{i}"]
        return None if not _answered(x) else (8 - float(x) if i <= 4 else float(x))
    avoidance, n_av = _mean([keyed(i) for i in range(1, 7)], 5)
    anxiety, n_ax = _mean([keyed(i) for i in range(7, 10)], 3)
    return {"avoidance": avoidance, "avoidance_answered": n_av, "avoidance_band": "",
            "anxiety": anxiety, "anxiety_answered": n_ax, "anxiety_band": ""}


def reference_phq4(row: dict) -> dict:
    """instruments.md 2 and the band table: sums needing every item; total 0-2 none, 3-5 mild,
    6-8 moderate, 9-12 severe; anxiety/depression 0-2 below, 3-6 positive."""
    def value(i):
        x = row[f"phq4_{i}"]
        return float(x) if _answered(x) else None
    total, n_t = _sum([value(i) for i in (1, 2, 3, 4)], 4)
    anxiety, n_a = _sum([value(i) for i in (1, 2)], 2)
    depression, n_d = _sum([value(i) for i in (3, 4)], 2)

    def total_band(t):
        return "" if math.isnan(t) else "none" if t <= 2 else "mild" if t <= 5 else "moderate" if t <= 8 else "severe"

    def sub_band(s):
        return "" if math.isnan(s) else "below" if s <= 2 else "positive"
    return {"total": total, "total_answered": n_t, "total_band": total_band(total),
            "anxiety": anxiety, "anxiety_answered": n_a, "anxiety_band": sub_band(anxiety),
            "depression": depression, "depression_answered": n_d, "depression_band": sub_band(depression)}


REFERENCES = {"brs": reference_brs, "ecr_rs": reference_ecr_rs, "phq4": reference_phq4}


@pytest.mark.parametrize("instrument_id", sorted(REFERENCES))
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_vectorised_engine_equals_naive_reference(instrument_id, data):
    frame = data.draw(frames(instrument_id, max_size=10))
    expected = pd.DataFrame([REFERENCES[instrument_id](r) for r in frame.to_dict("records")])
    got = score(instrument_id, frame)
    for column in expected.columns:
        if column.endswith("_band"):
            assert got[column].astype(str).tolist() == expected[column].tolist(), column
        elif column.endswith("_answered"):
            assert got[column].tolist() == expected[column].tolist(), column
        else:
            np.testing.assert_allclose(got[column].to_numpy(float), expected[column].to_numpy(float),
                                       rtol=1e-12, equal_nan=True, err_msg=column)


# --- One more missing answer lowers the answered count by exactly one ----------------------------


@pytest.mark.parametrize("instrument_id", SCORED)
@FAST
@given(data=st.data())
def test_prefer_not_to_say_in_a_full_row_lowers_answered_by_one(instrument_id, data):
    full = data.draw(rows(instrument_id, missing=None))
    item = data.draw(st.sampled_from(sorted(full)))
    before = score(instrument_id, pd.DataFrame([full])).iloc[0]
    after = score(instrument_id, pd.DataFrame([{**full, item: "prefer_not_to_say"}])).iloc[0]
    for scale in load_instrument(instrument_id).scales:
        drop = 1 if item in scale.items else 0
        assert after[f"{scale.id}_answered"] == before[f"{scale.id}_answered"] - drop, scale.id


# --- Chunked scoring gives the same result as scoring each chunk on its own ---------------------


def _numeric_frame(instrument_id: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {}
    for item in items_of(instrument_id):
        values = np.asarray(values_of(instrument_id, item), dtype=float)
        column = rng.choice(values, size=n)
        column[rng.random(n) < 0.08] = np.nan
        columns[item.id] = column
    return pd.DataFrame(columns)


def _chunk_by_chunk(instrument_id: str, frame: pd.DataFrame, size: int) -> pd.DataFrame:
    return pd.concat([score(instrument_id, frame.iloc[i:i + size]) for i in range(0, len(frame), size)])


@pytest.mark.parametrize("instrument_id", ["brs", "ecr_rs"])
def test_big_frame_over_four_chunks_equals_chunk_by_chunk(instrument_id):
    n = scoring.CHUNK_ROWS * 5 + 321  # six chunks: the threaded path (four or more chunks)
    frame = _numeric_frame(instrument_id, n, seed=len(instrument_id))
    whole = score(instrument_id, frame)
    assert len(whole) == n
    pd.testing.assert_frame_equal(whole, _chunk_by_chunk(instrument_id, frame, scoring.CHUNK_ROWS))


@pytest.mark.parametrize("instrument_id", ["phq4", "ecr_rs"])
@FAST
@given(data=st.data())
def test_small_chunks_give_the_same_scores_as_one_chunk(instrument_id, data):
    frame = data.draw(frames(instrument_id, min_size=1, max_size=25, missing="nan"))
    chunk = data.draw(st.integers(1, 7))
    one_chunk = score(instrument_id, frame)
    with mock.patch.object(scoring, "CHUNK_ROWS", chunk):
        many = score(instrument_id, frame)
    pd.testing.assert_frame_equal(many, one_chunk)
