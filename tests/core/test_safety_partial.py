"""Safety rules on partial answers: a skipped item never silences a rule the given answers already meet.

Golden cases are worked by hand from shared/instruments.md: PHQ-4 items score 0-3, total >= 6
is a check-in, anxiety (items 1-2) or depression (items 3-4) >= 3 is information; WHO-5 items
score 0-5, the percentage is 4 x the total, and a percentage <= 28 is a check-in.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.core.safety import evaluate, evaluate_one
from toolkit.core.scoring import score

S = "skipped"
DISTRESS, SUBSCALE, LOW = "moderate_or_higher_distress", "anxiety_or_depression_positive", "very_low_wellbeing"


def level_and_rules(inst: str, answers: list) -> tuple[str, tuple[str, ...]]:
    items = [f"{inst}_{n}" for n in range(1, len(answers) + 1)]
    frame = pd.DataFrame([answers], columns=items, dtype=object)
    out = evaluate(inst, frame, score(inst, frame))
    return out["level"].iloc[0], out["rules"].iloc[0]


@pytest.mark.parametrize(("answers", "expected"), [
    ([3, 3, 3, S], ("check_in", (DISTRESS, SUBSCALE))),  # total >= 9; anxiety 6; depression >= 3
    ([1, 2, 3, S], ("check_in", (DISTRESS, SUBSCALE))),  # total >= 6; anxiety 3; depression >= 3
    ([S, 3, S, S], ("info", (SUBSCALE,))),  # anxiety >= 3; total >= 3 may stay below 6
    ([S, S, 2, 1], ("info", (SUBSCALE,))),  # depression 3; total >= 3
    ([2, S, 1, S], ("", ())),  # total >= 3, anxiety >= 2, depression >= 1: nothing is certain
    ([S, S, S, S], ("", ())),
])
def test_phq4_partial_answers(answers, expected):
    assert level_and_rules("phq4", answers) == expected


@pytest.mark.parametrize(("answers", "expected"), [
    ([0, 0, 0, 0, S], ("check_in", (LOW,))),  # at most 5 -> 20 %
    ([0, 1, 0, 1, S], ("check_in", (LOW,))),  # at most 7 -> 28 %, on the cut-off
    ([0, 1, 0, 2, S], ("", ())),  # at most 8 -> 32 %
    ([1, 1, 1, 1, S], ("", ())),  # at most 9 -> 36 %
    ([0, 0, 0, S, S], ("", ())),  # at most 10 -> 40 %
    ([S, S, S, S, S], ("", ())),
])
def test_who5_partial_answers(answers, expected):
    assert level_and_rules("who5", answers) == expected


def test_evaluate_one_treats_a_left_out_answer_as_skipped():
    assert evaluate_one("who5", {"who5_1": 0, "who5_2": 0, "who5_3": 0, "who5_4": 0}).level == "check_in"
    assert evaluate_one("help_indicators", {}).level == ""


RANK = {"": 0, "info": 1, "check_in": 2}
#: Each instrument's number of items and response values.
ITEMS = {"phq4": (4, range(4)), "who5": (5, range(6))}


@st.composite
def partial_answers(draw):
    inst = draw(st.sampled_from(sorted(ITEMS)))
    n, values = ITEMS[inst]
    return inst, draw(st.lists(st.one_of(st.sampled_from(values), st.just(S)), min_size=n, max_size=n))


@settings(max_examples=300, deadline=None)
@given(partial_answers(), st.data())
def test_filling_the_gaps_never_lowers_the_level(case, data):
    inst, partial = case
    reported = level_and_rules(inst, partial)[0]
    values = ITEMS[inst][1]
    filled = [data.draw(st.sampled_from(values)) if a == S else a for a in partial]
    assert RANK[level_and_rules(inst, filled)[0]] >= RANK[reported], (partial, filled)
