"""Cronbach's alpha, item-rest correlations, reliable change and mean change, against hand sums."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.core.change import mean_change, reliable_change, s_diff
from toolkit.core.reliability import NegativeItemRestWarning, cronbach_alpha, item_rest_correlations
from toolkit.errors import ResponseDataError

ECR = [f"ecr_rs_{i}" for i in range(1, 10)]
BRS = [f"brs_{i}" for i in range(1, 7)]
Z = 1.959963984540054  # standard normal 97.5th percentile, for the 95% interval of alpha


def ecr_anxiety(matrix: list[list[int]]) -> pd.DataFrame:
    """ECR-RS answers with the three anxiety items (7-9, none reverse-keyed) set from ``matrix``."""
    frame = pd.DataFrame(np.nan, index=range(len(matrix)), columns=ECR)
    frame[["ecr_rs_7", "ecr_rs_8", "ecr_rs_9"]] = np.array(matrix, dtype=float)
    return frame


# Five respondents x three items (values 1-7):
#   item 7: 2 3 4 5 1   mean 3,   deviations -1 0 1 2 -2,          SS 10,  variance 10/4 = 2.5
#   item 8: 3 3 5 4 2   mean 3.4, deviations -.4 -.4 1.6 .6 -1.4,  SS 5.2, variance 1.3
#   item 9: 3 4 4 5 2   mean 3.6, deviations -.6 .4 .4 1.4 -1.6,   SS 5.2, variance 1.3
#   totals: 8 10 13 14 5  mean 10, deviations -2 0 3 4 -5,         SS 54,  variance 13.5
# alpha = k/(k-1) * (1 - sum of item variances / total variance) = 3/2 * (1 - 5.1/13.5)
#       = 3/2 * 8.4/13.5 = 12.6/13.5 = 14/15 = 0.9333...
HAND = [[2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5], [1, 2, 2]]


def test_alpha_matches_the_hand_computation():
    result = cronbach_alpha("ecr_rs", ecr_anxiety(HAND), "anxiety")
    assert result.alpha == pytest.approx(14 / 15, abs=1e-12)
    assert (result.n, result.k) == (5, 3)


def test_alpha_interval_is_bonett_2002():
    # se of ln(1 - alpha) = sqrt(2k / ((k - 1)(n - 2))) = sqrt(6 / (2 x 3)) = 1, and 1 - alpha = 1/15:
    # low = 1 - exp(ln(1/15) + 1.96 x 1) = 1 - e^1.96 / 15 = 1 - 7.0993/15 = 0.5267
    # high = 1 - exp(ln(1/15) - 1.96 x 1) = 1 - e^-1.96 / 15 = 1 - 0.1409/15 = 0.9906
    result = cronbach_alpha("ecr_rs", ecr_anxiety(HAND), "anxiety")
    assert result.ci_low == pytest.approx(1 - math.exp(Z) / 15, abs=1e-9)
    assert result.ci_high == pytest.approx(1 - math.exp(-Z) / 15, abs=1e-9)
    assert result.ci_low == pytest.approx(0.5267, abs=1e-4)
    assert result.ci_high == pytest.approx(0.9906, abs=1e-4)


def test_alpha_uses_complete_cases_only():
    with_gap = ecr_anxiety(HAND + [[7, np.nan, 1]])  # the sixth respondent skipped item 8
    result = cronbach_alpha("ecr_rs", with_gap, "anxiety")
    assert result.n == 5
    assert result.alpha == pytest.approx(14 / 15, abs=1e-12)


def test_alpha_rises_when_items_agree():
    # item 9 replaced by a copy of item 7: the items now agree more
    agreeing = [[a, b, a] for a, b, _ in HAND]
    assert cronbach_alpha("ecr_rs", ecr_anxiety(agreeing), "anxiety").alpha > 14 / 15
    # all three items identical per person: alpha = 3/2 * (1 - 3v/9v) = 1
    identical = [[a, a, a] for a, _, _ in HAND]
    assert cronbach_alpha("ecr_rs", ecr_anxiety(identical), "anxiety").alpha == pytest.approx(1.0)


def test_alpha_is_undefined_when_nobody_varies():
    same = cronbach_alpha("ecr_rs", ecr_anxiety([[4, 4, 4]] * 5), "anxiety")
    assert math.isnan(same.alpha)
    assert math.isnan(same.ci_low) and math.isnan(same.ci_high)


def test_alpha_needs_three_complete_responses():
    with pytest.raises(ResponseDataError, match="2 complete responses; alpha needs at least three"):
        cronbach_alpha("ecr_rs", ecr_anxiety(HAND[:2]), "anxiety")


# --- Item-rest correlations ------------------------------------------------------------------


LATENT = [1, 2, 3, 4, 5, 2, 4, 3]  # how resilient each of eight people is, on the 1-5 scale


def brs_answers(unreversed_item_2: bool) -> pd.DataFrame:
    """Consistent BRS answers: agree with items 1, 3, 5 and disagree with 2, 4, 6 as resilience rises.

    With ``unreversed_item_2`` item 2 is entered already reversed (as if copied from the paper form,
    which prints 5..1 for it), so keying it again turns it against the rest of the scale."""
    rows = []
    for level in LATENT:
        rows.append({"brs_1": level, "brs_2": level if unreversed_item_2 else 6 - level, "brs_3": level,
                     "brs_4": 6 - level, "brs_5": level, "brs_6": 6 - level})
    return pd.DataFrame(rows)


def test_an_unreversed_item_warns_with_negative_item_rest_correlation():
    with pytest.warns(NegativeItemRestWarning, match="item 'brs_2' of scale 'resilience'") as caught:
        table = item_rest_correlations("brs", brs_answers(unreversed_item_2=True), "resilience")
    assert len(caught) == 1  # only brs_2
    r = dict(zip(table["item"], table["item_rest_r"], strict=False))
    assert r["brs_2"] == pytest.approx(-1.0)  # keyed brs_2 = 6 - level; the rest sums to 5 x level
    assert all(r[i] > 0 for i in BRS if i != "brs_2")


def test_correctly_keyed_items_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", NegativeItemRestWarning)
        table = item_rest_correlations("brs", brs_answers(unreversed_item_2=False), "resilience")
    assert (table["item_rest_r"] > 0.99).all()  # every keyed item equals the level


# --- Reliable change (Jacobson & Truax, 1991) -------------------------------------------------

TINY = """\
id: tiny
version: "1"
kind: reflection
title: {en: Tiny test scale}
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
    norms: {sd: 2.5, reliability: 0.68, cutoff: 9.5, source: made up for this test}
  - id: distress
    label: {en: Distress}
    items: [q1, q2]
    method: sum
    higher_is_better: false
    no_bands_reason: a test scale
    norms: {sd: 2.5, reliability: 0.68, cutoff: 9.5, source: made up for this test}
  - id: plain
    label: {en: No norms}
    items: [q1, q2]
    method: sum
    higher_is_better: true
    no_bands_reason: a test scale
licence: {terms: {en: test only}, commercial_use: allowed, attribution: {en: test}}
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return str(path)


def test_s_diff_is_sd_times_root_2_times_root_of_1_minus_r():
    # 2.5 x sqrt(2) x sqrt(1 - 0.68) = 2.5 x sqrt(0.64) = 2.5 x 0.8 = 2.0
    assert s_diff(2.5, 0.68) == pytest.approx(2.0, abs=1e-12)


# S_diff = 2.0, so RCI = (post - pre) / 2; reliable when |RCI| > 1.96, i.e. |diff| > 3.92.
# Cut-off 9.5, higher is better: "recovered" = reliably improved and moved from <= 9.5 to > 9.5.
@pytest.mark.parametrize("pre, post, rci, category", [
    (5, 12, 3.5, "recovered"),         # 12 - 5 = 7; 7/2 = 3.5 > 1.96; 5 -> 12 crosses 9.5
    (10, 14, 2.0, "improved"),         # 14 - 10 = 4; 4/2 = 2.0 > 1.96; already above 9.5 before
    (2, 6, 2.0, "improved"),           # 6 - 2 = 4; 2.0 > 1.96; still below 9.5 after
    (0, 3.92, 1.96, "unchanged"),      # 3.92/2 = 1.96 exactly: not > 1.96
    (0, 3.93, 1.965, "improved"),      # 3.93/2 = 1.965 > 1.96
    (3.92, 0, -1.96, "unchanged"),     # -1.96 exactly: not < -1.96
    (3.93, 0, -1.965, "deteriorated"),  # -1.965 < -1.96
    (12, 6, -3.0, "deteriorated"),     # 6 - 12 = -6; -6/2 = -3
    (8, 9, 0.5, "unchanged"),          # 1/2 = 0.5
], ids=["recovered", "improved-above", "improved-below", "exactly+1.96", "just-above+1.96",
        "exactly-1.96", "just-below-1.96", "deteriorated", "small"])
def test_reliable_change_category_when_higher_is_better(tiny, pre, post, rci, category):
    result = reliable_change(tiny, "wellbeing", [pre], [post])
    assert result["diff"][0] == pytest.approx(post - pre)
    assert result["rci"][0] == pytest.approx(rci, abs=1e-12)
    assert result["category"][0] == category


@pytest.mark.parametrize("pre, post, category", [
    (12, 5, "recovered"),      # 5 - 12 = -7; RCI -3.5 is a reliable fall in distress; 12 -> 5 crosses below 9.5
    (8, 2, "improved"),        # -6/2 = -3.0; already below 9.5 before
    (5, 12, "deteriorated"),   # +7/2 = +3.5: more distress
    (0, 3.92, "unchanged"),    # +1.96 exactly
], ids=["recovered", "improved", "deteriorated", "exactly-1.96"])
def test_reliable_change_category_when_lower_is_better(tiny, pre, post, category):
    assert reliable_change(tiny, "distress", [pre], [post])["category"][0] == category


def test_reliable_change_of_many_people_at_once(tiny):
    result = reliable_change(tiny, "wellbeing", pd.Series([5, 10, 8, np.nan], index=[7, 8, 9, 10]),
                             [12, 14, 9, 11])
    assert result["category"].tolist() == ["recovered", "improved", "unchanged", ""]  # no pre score: no category
    assert result["rci"].tolist()[:3] == pytest.approx([3.5, 2.0, 0.5])
    assert "S_diff = SD * sqrt(2) * sqrt(1 - r)" in result.attrs["method"]
    assert "made up for this test" in result.attrs["method"]


def test_reliable_change_without_norms_raises_a_clear_error(tiny):
    with pytest.raises(ResponseDataError, match="scale 'plain' of tiny declares no norms"):
        reliable_change(tiny, "plain", [1], [2])


def test_reliable_change_on_a_bundled_scale_without_norms_raises():
    with pytest.raises(ResponseDataError, match="scale 'total' of phq4 declares no norms"):
        reliable_change("phq4", "total", [9], [3])


def test_reliable_change_needs_aligned_pairs(tiny):
    with pytest.raises(ResponseDataError, match="pre has 2 scores and post has 1"):
        reliable_change(tiny, "wellbeing", [1, 2], [3])


# --- Mean change --------------------------------------------------------------------------------


def test_mean_change_with_t_interval():
    pre = [10, 12, 9, 15, 11]
    post = [12, 15, 10, 19, 12]
    # differences 2, 3, 1, 4, 1: mean 11/5 = 2.2
    # deviations -.2, .8, -1.2, 1.8, -1.2: SS = .04 + .64 + 1.44 + 3.24 + 1.44 = 6.8; s^2 = 6.8/4 = 1.7
    # se = sqrt(1.7/5) = sqrt(0.34) = 0.58310; t(0.975, df 4) = 2.77645; half width = 1.61894
    result = mean_change(pre, post)
    half = stats.t.ppf(0.975, 4) * math.sqrt(0.34)
    assert result["n"] == 5
    assert result["mean"] == pytest.approx(2.2)
    assert result["ci_low"] == pytest.approx(2.2 - half)
    assert result["ci_high"] == pytest.approx(2.2 + half)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((0.58106, 3.81894), abs=1e-5)


def test_mean_change_drops_incomplete_pairs():
    result = mean_change([10, 12, 9, 15, 11, np.nan, 3], [12, 15, 10, 19, 12, 20, np.nan])
    assert result["n"] == 5
    assert result["mean"] == pytest.approx(2.2)  # as above


def test_mean_change_of_one_pair_has_no_interval():
    result = mean_change([1, np.nan], [2, 5])
    assert result["n"] == 1
    assert math.isnan(result["mean"]) and math.isnan(result["ci_low"]) and math.isnan(result["ci_high"])
