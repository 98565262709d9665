"""Golden scores for every bundled instrument, worked out by hand from the published rules.

Every expected value is computed in the comment next to it from shared/instruments.md (the
scoring section of each instrument and the last section, "Bands and safety rules used by the
toolkit", for bands and the minimum number of answered items), never from the engine.
Reverse keying is (min + max) - x: 6 - x for BRS, 8 - x for ECR-RS.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

from toolkit.core.scoring import band_of, score
from toolkit.errors import ResponseDataError
from toolkit.instruments import load_instrument

WHO5 = [f"who5_{i}" for i in range(1, 6)]
PHQ4 = [f"phq4_{i}" for i in range(1, 5)]
CSI4 = [f"csi4_{i}" for i in range(1, 5)]
BRS = [f"brs_{i}" for i in range(1, 7)]
ECR = [f"ecr_rs_{i}" for i in range(1, 10)]
EU_SIGNS = ["avoids_closeness", "avoids_feelings_talk", "withdraws_from_conversations", "long_lasting",
            "no_progress", "feeling_distressed", "feeling_alone"]
HELP_COUNTED = ["earlier_wounds", "recurring_cycles", "communication_breakdown", "intimacy_loss", "persistent_signs"]
HELP = HELP_COUNTED + ["afraid_of_partner"]
COLUMNS = {"who5": WHO5, "phq4": PHQ4, "csi4": CSI4, "brs": BRS, "ecr_rs": ECR,
           "eu_signs": EU_SIGNS, "help_indicators": HELP}

MISSING = ["skipped", "prefer_not_to_say", "dont_know", "", np.nan, None]
MISSING_IDS = ["skipped", "prefer_not_to_say", "dont_know", "blank-string", "NaN", "None"]


def one(instrument: str, values: list) -> pd.Series:
    """Score a single respondent whose answers are given in item order."""
    frame = pd.DataFrame([values], columns=COLUMNS[instrument])
    return score(instrument, frame).iloc[0]


def assert_scored(row: pd.Series, scale: str, value: float, answered: int, band: str) -> None:
    if math.isnan(value):
        assert math.isnan(row[scale]), f"{scale} should be unscored, got {row[scale]}"
    else:
        assert row[scale] == pytest.approx(value, abs=1e-12), scale
    assert row[f"{scale}_answered"] == answered, f"{scale}_answered"
    assert row[f"{scale}_band"] == band, f"{scale}_band"


NAN = float("nan")

# --- WHO-5: total = sum of 5 items (0-5); percent = total x 4; bands on percent -----------------


def test_who5_all_answered_gives_sum_and_percent():
    row = one("who5", [5, 4, 3, 2, 1])
    assert_scored(row, "total", 15, 5, "")  # 5+4+3+2+1 = 15; total has no bands
    assert_scored(row, "percent", 60, 5, "good")  # 15 x 4 = 60 -> good (51-100)


def test_who5_extremes():
    assert_scored(one("who5", [0, 0, 0, 0, 0]), "percent", 0, 5, "very_low")  # 0 x 4 = 0
    assert_scored(one("who5", [5, 5, 5, 5, 5]), "percent", 100, 5, "good")  # 25 x 4 = 100


@pytest.mark.parametrize("values, total, percent, band", [
    ([2, 2, 1, 1, 1], 7, 28, "very_low"),   # 2+2+1+1+1 = 7; 7 x 4 = 28 <= 28 -> very_low
    ([2, 2, 2, 1, 1], 8, 32, "low"),        # 2+2+2+1+1 = 8; 8 x 4 = 32 -> low (29-50)
    ([3, 3, 2, 2, 2], 12, 48, "low"),       # 3+3+2+2+2 = 12; 12 x 4 = 48 -> low (29-50)
    ([3, 3, 3, 2, 2], 13, 52, "good"),      # 3+3+3+2+2 = 13; 13 x 4 = 52 -> good (51-100)
], ids=["percent28", "percent32", "percent48", "percent52"])
def test_who5_percent_band_boundaries(values, total, percent, band):
    row = one("who5", values)
    assert_scored(row, "total", total, 5, "")
    assert_scored(row, "percent", percent, 5, band)


def test_who5_needs_every_item():
    row = one("who5", [5, 5, 5, 5, np.nan])  # 4 of 5 answered; sum scales need all 5
    assert_scored(row, "total", NAN, 4, "")
    assert_scored(row, "percent", NAN, 4, "")


# --- PHQ-4: total = 1+2+3+4 (0-12); anxiety = 1+2; depression = 3+4 (0-6) ----------------------


def test_phq4_all_answered_gives_three_sums():
    row = one("phq4", [1, 2, 3, 0])
    assert_scored(row, "total", 6, 4, "moderate")  # 1+2+3+0 = 6 -> moderate (6-8)
    assert_scored(row, "anxiety", 3, 2, "positive")  # 1+2 = 3 -> positive (>= 3)
    assert_scored(row, "depression", 3, 2, "positive")  # 3+0 = 3 -> positive (>= 3)


@pytest.mark.parametrize("values, total, band", [
    ([0, 0, 0, 0], 0, "none"),       # 0
    ([1, 1, 0, 0], 2, "none"),       # 1+1+0+0 = 2 -> none (0-2)
    ([2, 1, 0, 0], 3, "mild"),       # 2+1+0+0 = 3 -> mild (3-5)
    ([2, 2, 1, 0], 5, "mild"),       # 2+2+1+0 = 5 -> mild (3-5)
    ([2, 2, 1, 1], 6, "moderate"),   # 2+2+1+1 = 6 -> moderate (6-8)
    ([3, 3, 2, 0], 8, "moderate"),   # 3+3+2+0 = 8 -> moderate (6-8)
    ([3, 3, 2, 1], 9, "severe"),     # 3+3+2+1 = 9 -> severe (9-12)
    ([3, 3, 3, 3], 12, "severe"),    # 3+3+3+3 = 12 -> severe (9-12)
], ids=["t0", "t2", "t3", "t5", "t6", "t8", "t9", "t12"])
def test_phq4_total_band_boundaries(values, total, band):
    assert_scored(one("phq4", values), "total", total, 4, band)


@pytest.mark.parametrize("values, anxiety, a_band, depression, d_band", [
    ([1, 1, 1, 1], 2, "below", 2, "below"),        # 1+1 = 2 and 1+1 = 2 -> below (0-2)
    ([2, 1, 1, 2], 3, "positive", 3, "positive"),  # 2+1 = 3 and 1+2 = 3 -> positive (3-6)
    ([0, 2, 2, 0], 2, "below", 2, "below"),        # 0+2 = 2 and 2+0 = 2
    ([3, 0, 0, 3], 3, "positive", 3, "positive"),  # 3+0 = 3 and 0+3 = 3
    ([3, 3, 3, 3], 6, "positive", 6, "positive"),  # 3+3 = 6 (maximum)
], ids=["2-2", "3-3", "2-2b", "3-3b", "6-6"])
def test_phq4_subscale_band_boundaries(values, anxiety, a_band, depression, d_band):
    row = one("phq4", values)
    assert_scored(row, "anxiety", anxiety, 2, a_band)
    assert_scored(row, "depression", depression, 2, d_band)


def test_phq4_missing_depression_item_leaves_anxiety_scored():
    row = one("phq4", [2, 1, 3, np.nan])
    assert_scored(row, "total", NAN, 3, "")  # 3 of 4 answered: total needs all 4
    assert_scored(row, "anxiety", 3, 2, "positive")  # 2+1 = 3: both anxiety items answered
    assert_scored(row, "depression", NAN, 1, "")  # 1 of 2 answered


# --- CSI-4: total = sum of 4 items (item 1: 0-6; items 2-4: 0-5), 0-21 ----------------------------


def test_csi4_all_answered_gives_sum():
    assert_scored(one("csi4", [4, 3, 5, 2]), "total", 14, 4, "satisfied")  # 4+3+5+2 = 14


@pytest.mark.parametrize("values, total, band", [
    ([0, 0, 0, 0], 0, "dissatisfied"),    # 0
    ([3, 4, 3, 3], 13, "dissatisfied"),   # 3+4+3+3 = 13 < 13.5 -> dissatisfied (0-13)
    ([3, 4, 4, 3], 14, "satisfied"),      # 3+4+4+3 = 14 -> satisfied (14-21)
    ([6, 5, 5, 5], 21, "satisfied"),      # 6+5+5+5 = 21 (maximum: item 1 goes to 6)
], ids=["t0", "t13", "t14", "t21"])
def test_csi4_band_boundaries(values, total, band):
    assert_scored(one("csi4", values), "total", total, 4, band)


def test_csi4_item_1_accepts_6_but_item_2_does_not():
    assert one("csi4", [6, 0, 0, 0])["total"] == 6  # item 1 runs 0-6 ("Perfect" = 6)
    with pytest.raises(ResponseDataError, match="column 'csi4_2': value 6 is not on the item's response scale"):
        one("csi4", [0, 6, 0, 0])  # items 2-4 run 0-5


def test_csi4_needs_every_item():
    assert_scored(one("csi4", [6, 5, "skipped", 5]), "total", NAN, 3, "")


# --- BRS: resilience = mean(brs_1, 6-brs_2, brs_3, 6-brs_4, brs_5, 6-brs_6), needs 5 of 6 ------


def test_brs_all_answered_reverse_keys_items_2_4_6():
    # keyed: 4, 6-2=4, 5, 6-1=5, 3, 6-2=4 -> 25/6 = 4.1667 -> normal (3.00-4.30)
    assert_scored(one("brs", [4, 2, 5, 1, 3, 2]), "resilience", 25 / 6, 6, "normal")


@pytest.mark.parametrize("values, mean, band", [
    ([1, 5, 1, 5, 1, 5], 1.0, "low"),     # 1, 6-5=1, 1, 1, 1, 1 -> 6/6 = 1.00
    ([5, 1, 5, 1, 5, 1], 5.0, "high"),    # 5, 6-1=5, 5, 5, 5, 5 -> 30/6 = 5.00
    ([5, 5, 5, 5, 5, 5], 3.0, "normal"),  # 5, 1, 5, 1, 5, 1 -> 18/6 = 3.00
    ([1, 1, 1, 1, 1, 1], 3.0, "normal"),  # 1, 5, 1, 5, 1, 5 -> 18/6 = 3.00
], ids=["all-low", "all-high", "all-5-raw", "all-1-raw"])
def test_brs_reverse_keying_is_six_minus_x(values, mean, band):
    assert_scored(one("brs", values), "resilience", mean, 6, band)


# Achievable BRS means are k/6 (6 answered) or k/5 (5 answered) for whole k. 4.30 itself is not
# achievable: 4.30 x 6 = 25.8 and 4.30 x 5 = 21.5 are not whole numbers. The nearest achievable
# means are 4.2 (21/5) and 25/6 = 4.1667 below it, and 26/6 = 4.3333 and 22/5 = 4.4 above it.
# The band edges themselves (exactly 4.30, 2.99 ...) are pinned with band_of further down.
@pytest.mark.parametrize("values, mean, answered, band", [
    ([3, 3, 3, 3, 3, 4], 17 / 6, 6, "low"),         # 3+3+3+3+3+(6-4=2) = 17; 17/6 = 2.833 < 3
    ([3, 3, 3, 3, 3, 3], 18 / 6, 6, "normal"),      # 3 x 6 = 18; 18/6 = 3.00 exactly -> normal
    ([3, 3, 3, 3, 2, np.nan], 14 / 5, 5, "low"),    # 3+3+3+3+2 = 14; 14/5 = 2.8 < 3
    ([3, 3, 3, 3, 3, np.nan], 15 / 5, 5, "normal"), # 15/5 = 3.00 exactly -> normal
], ids=["17/6", "18/6", "14/5", "15/5"])
def test_brs_band_boundary_low_normal(values, mean, answered, band):
    assert_scored(one("brs", values), "resilience", mean, answered, band)


@pytest.mark.parametrize("values, mean, answered, band", [
    ([5, 2, 4, 2, 4, 2], 25 / 6, 6, "normal"),      # 5+(6-2=4)+4+4+4+4 = 25; 25/6 = 4.1667 <= 4.30
    ([5, 2, 4, 2, 4, np.nan], 21 / 5, 5, "normal"), # 5+4+4+4+4 = 21; 21/5 = 4.2 <= 4.30
    ([5, 1, 4, 2, 4, 2], 26 / 6, 6, "high"),        # 5+(6-1=5)+4+4+4+4 = 26; 26/6 = 4.3333 > 4.30
    ([5, 1, 4, 2, 4, np.nan], 22 / 5, 5, "high"),   # 5+5+4+4+4 = 22; 22/5 = 4.4 > 4.30
], ids=["25/6", "21/5", "26/6", "22/5"])
def test_brs_band_boundary_normal_high(values, mean, answered, band):
    assert_scored(one("brs", values), "resilience", mean, answered, band)


@pytest.mark.parametrize("value, band", [
    (1.0, "low"), (2.99, "low"), (2.9999999, "low"),   # low: mean < 3.00
    (3.0, "normal"), (4.3, "normal"),                  # normal: 3.00 <= mean <= 4.30 (both inclusive)
    (4.3000001, "high"), (4.31, "high"), (5.0, "high"),  # high: mean > 4.30
])
def test_brs_band_edges_exactly(value, band):
    scale = load_instrument("brs").scale("resilience")
    assert list(band_of(scale, np.array([value]))) == [band]


def test_brs_five_answered_gives_mean_of_five():
    # keyed 4, 6-2=4, 5, 6-1=5, 3 (brs_6 skipped) -> 21/5 = 4.2 -> normal
    assert_scored(one("brs", [4, 2, 5, 1, 3, "skipped"]), "resilience", 21 / 5, 5, "normal")


def test_brs_four_answered_is_unscored():
    assert_scored(one("brs", [4, 2, 5, 1, np.nan, "dont_know"]), "resilience", NAN, 4, "")


# --- ECR-RS: avoidance = mean(8-1, 8-2, 8-3, 8-4, 5, 6), needs 5 of 6; anxiety = mean(7, 8, 9), 3 of 3


def test_ecr_rs_all_answered_reverse_keys_items_1_to_4():
    row = one("ecr_rs", [2, 3, 4, 5, 6, 7, 3, 4, 6])
    assert_scored(row, "avoidance", 31 / 6, 6, "")  # 8-2=6, 8-3=5, 8-4=4, 8-5=3, 6, 7 -> 31/6 = 5.1667
    assert_scored(row, "anxiety", 13 / 3, 3, "")  # 3+4+6 = 13 -> 13/3 = 4.3333


@pytest.mark.parametrize("values, avoidance, anxiety", [
    ([7, 7, 7, 7, 1, 1, 1, 1, 1], 1.0, 1.0),   # 8-7=1 x 4, 1, 1 -> 6/6 = 1; 3/3 = 1
    ([1, 1, 1, 1, 7, 7, 7, 7, 7], 7.0, 7.0),   # 8-1=7 x 4, 7, 7 -> 42/6 = 7; 21/3 = 7
    ([4, 4, 4, 4, 4, 4, 4, 4, 4], 4.0, 4.0),   # 8-4=4: the midpoint maps to itself
    ([1, 7, 1, 7, 1, 7, 1, 2, 3], 4.0, 2.0),   # 7+1+7+1+1+7 = 24 -> 24/6 = 4; 1+2+3 = 6 -> 6/3 = 2
], ids=["min", "max", "mid", "mixed"])
def test_ecr_rs_reverse_keying_is_eight_minus_x(values, avoidance, anxiety):
    row = one("ecr_rs", values)
    assert_scored(row, "avoidance", avoidance, 6, "")
    assert_scored(row, "anxiety", anxiety, 3, "")


def test_ecr_rs_avoidance_with_five_answered_is_mean_of_five():
    # ecr_rs_6 skipped: 8-2=6, 8-3=5, 8-4=4, 8-5=3, 6 -> 24/5 = 4.8
    assert_scored(one("ecr_rs", [2, 3, 4, 5, 6, "skipped", 3, 4, 6]), "avoidance", 24 / 5, 5, "")


def test_ecr_rs_avoidance_with_four_answered_is_unscored():
    assert_scored(one("ecr_rs", [2, 3, 4, "", np.nan, 7, 3, 4, 6]), "avoidance", NAN, 4, "")


def test_ecr_rs_anxiety_needs_all_three():
    row = one("ecr_rs", [2, 3, 4, 5, 6, 7, 3, 4, "prefer_not_to_say"])
    assert_scored(row, "anxiety", NAN, 2, "")
    assert_scored(row, "avoidance", 31 / 6, 6, "")  # unaffected: 31/6 as above


def test_ecr_rs_never_has_a_band():
    frame = pd.DataFrame([[a] * 9 for a in range(1, 8)] + [[np.nan] * 9], columns=ECR)
    result = score("ecr_rs", frame)
    for scale in ("avoidance", "anxiety"):
        assert (result[f"{scale}_band"] == "").all()
        assert list(result[f"{scale}_band"].cat.categories) == [""]


# --- Reflection checklists: count of "yes" (1) answers among the answered items --------------------


@pytest.mark.parametrize("values, count, band", [
    ([0, 0, 0, 0, 0, 0, 0], 0, "few_signs"),    # 0 yes
    ([1, 0, 0, 0, 0, 0, 0], 1, "few_signs"),    # 1 yes -> few (0-1)
    ([1, 1, 0, 0, 0, 0, 0], 2, "some_signs"),   # 2 yes -> some (2-4)
    ([1, 1, 1, 1, 0, 0, 0], 4, "some_signs"),   # 4 yes -> some (2-4)
    ([1, 1, 1, 1, 1, 0, 0], 5, "many_signs"),   # 5 yes -> many (5-7)
    ([1, 1, 1, 1, 1, 1, 1], 7, "many_signs"),   # 7 yes
], ids=["0", "1", "2", "4", "5", "7"])
def test_eu_signs_counts_yes_answers_and_bands_them(values, count, band):
    assert_scored(one("eu_signs", values), "signs", count, 7, band)


def test_eu_signs_counts_only_answered_items():
    # 3 answered (1, 1, 0) and 4 unanswered of different kinds: 1+1+0 = 2 -> some_signs
    row = one("eu_signs", [1, "skipped", 1, "prefer_not_to_say", 0, "", np.nan])
    assert_scored(row, "signs", 2, 3, "some_signs")


def test_eu_signs_with_nothing_answered_is_unscored():
    assert_scored(one("eu_signs", ["skipped"] * 7), "signs", NAN, 0, "")


@pytest.mark.parametrize("counted, count, band", [
    ([0, 0, 0, 0, 0], 0, "few_indicators"),    # 0 yes
    ([0, 1, 0, 0, 0], 1, "few_indicators"),    # 1 -> few (0-1)
    ([0, 1, 1, 0, 0], 2, "some_indicators"),   # 2 -> some (2-3)
    ([1, 1, 1, 0, 0], 3, "some_indicators"),   # 3 -> some (2-3)
    ([1, 1, 1, 1, 0], 4, "many_indicators"),   # 4 -> many (4-5)
    ([1, 1, 1, 1, 1], 5, "many_indicators"),   # 5
], ids=["0", "1", "2", "3", "4", "5"])
def test_help_indicators_counts_yes_answers_and_bands_them(counted, count, band):
    assert_scored(one("help_indicators", counted + [0]), "indicators", count, 5, band)


def test_help_indicators_fear_of_partner_is_not_counted():
    # afraid_of_partner = 1 has its own safety rule and is not one of the five counted items
    assert_scored(one("help_indicators", [0, 1, 0, 0, 0, 1]), "indicators", 1, 5, "few_indicators")


# --- Missing answers: every typed code, a blank string, NaN and None count as unanswered ------


@pytest.mark.parametrize("missing", MISSING, ids=MISSING_IDS)
def test_each_missing_kind_counts_as_unanswered_in_a_sum_scale(missing):
    row = one("phq4", [1, 1, 1, missing])
    assert_scored(row, "total", NAN, 3, "")
    assert_scored(row, "anxiety", 2, 2, "below")


@pytest.mark.parametrize("missing", MISSING, ids=MISSING_IDS)
def test_each_missing_kind_counts_as_unanswered_in_a_mean_scale(missing):
    # brs_2 missing: 4, 5, 6-1=5, 3, 6-2=4 -> 21/5 = 4.2
    assert_scored(one("brs", [4, missing, 5, 1, 3, 2]), "resilience", 21 / 5, 5, "normal")


def test_all_missing_kinds_together():
    frame = pd.DataFrame({c: MISSING for c in WHO5})
    result = score("who5", frame)
    assert result["total_answered"].tolist() == [0] * len(MISSING)
    assert result["total"].isna().all()
    assert (result["percent_band"] == "").all()


def test_answered_counts_per_scale():
    frame = pd.DataFrame([
        [3, 3, 3, 3],                        # all four answered
        [3, np.nan, 3, 3],                   # anxiety 1 of 2, depression 2 of 2
        ["skipped", "", "dont_know", None],  # none answered
    ], columns=PHQ4)
    result = score("phq4", frame)
    assert result["total_answered"].tolist() == [4, 3, 0]
    assert result["anxiety_answered"].tolist() == [2, 1, 0]
    assert result["depression_answered"].tolist() == [2, 2, 0]


def test_numbers_written_as_text_score_like_numbers():
    text = one("brs", ["4", "2", "5", "1", "3", "2"])
    assert text["resilience"] == pytest.approx(25 / 6)  # same as [4, 2, 5, 1, 3, 2] above


# --- The engine leaves its input alone and keeps identifiers and the index -----------------------


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"participant": ["p1", "p2"], **{c: [1.0, np.nan] for c in BRS}}),
    pd.DataFrame({"participant": ["p1", "p2"], **{c: [5, "skipped"] for c in BRS}}),
    pd.DataFrame({c: pd.array([1, None], dtype="Int64") for c in BRS}),
], ids=["float", "mixed-object", "nullable-int"])
def test_input_frame_is_not_modified(frame):
    before = copy.deepcopy(frame)
    score("brs", frame)
    pd.testing.assert_frame_equal(frame, before)


def test_identifiers_are_carried_through_and_index_is_preserved():
    frame = pd.DataFrame({
        "participant": ["ana", "ben", "cai"],
        "timepoint": ["pre", "pre", "post"],
        "workshop": ["w1", "w1", "w2"],
        **{c: [0, 3, 5] for c in WHO5},
    }, index=pd.Index([17, 3, 99], name="row"))
    result = score("who5", frame)
    assert list(result.index) == [17, 3, 99]
    assert result.index.name == "row"
    assert result["participant"].tolist() == ["ana", "ben", "cai"]
    assert result["timepoint"].tolist() == ["pre", "pre", "post"]
    assert result["workshop"].tolist() == ["w1", "w1", "w2"]
    assert result["total"].tolist() == [0, 15, 25]  # 0 x 5; 3 x 5; 5 x 5


def test_output_has_value_answered_and_band_for_every_scale():
    result = score("phq4", pd.DataFrame([[0, 0, 0, 0]], columns=PHQ4))
    assert list(result.columns) == ["total", "total_answered", "total_band",
                                    "anxiety", "anxiety_answered", "anxiety_band",
                                    "depression", "depression_answered", "depression_band"]
