"""Safety rules fire exactly where the reference says, privately, and can only be made stricter.

Thresholds come from shared/instruments.md, "Bands and safety rules used by the toolkit":
phq4 total >= 6 or who5 percent <= 28 -> check_in; phq4 anxiety >= 3 or depression >= 3
-> info. Answers are written out by hand so each sum can be checked by eye.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from toolkit.core import safety
from toolkit.core.safety import (
    SafetyResult,
    SafetyRuleError,
    check_not_weaker,
    effective_rules,
    evaluate,
    evaluate_one,
)
from toolkit.core.scoring import score
from toolkit.core.support import crisis_resources, safety_message
from toolkit.errors import ResponseDataError
from toolkit.instruments import load_instrument
from toolkit.instruments.model import SafetyRule

PHQ4 = ["phq4_1", "phq4_2", "phq4_3", "phq4_4"]
WHO5 = ["who5_1", "who5_2", "who5_3", "who5_4", "who5_5"]
DISTRESS = "moderate_or_higher_distress"  # phq4 total >= 6, check_in
SUBSCALE = "anxiety_or_depression_positive"  # phq4 anxiety or depression >= 3, info


def phq4(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=PHQ4)


def result(instrument: str, answers: pd.DataFrame) -> list[tuple[str, tuple[str, ...]]]:
    out = evaluate(instrument, answers, score(instrument, answers))
    return list(zip(out["level"], out["rules"], strict=False))


# -- PHQ-4 --------------------------------------------------------------------------------

def test_phq4_total_of_6_fires_a_check_in():
    # 2 + 1 + 2 + 1 = 6; anxiety 3 and depression 3 fire the info rule as well
    [(level, rules)] = result("phq4", phq4([2, 1, 2, 1]))
    assert level == "check_in"
    assert DISTRESS in rules


def test_phq4_total_of_5_does_not_fire_a_check_in():
    # 1 + 1 + 2 + 1 = 5: anxiety 2, depression 3, so only the info rule fires
    [(level, rules)] = result("phq4", phq4([1, 1, 2, 1]))
    assert level == "info"
    assert rules == (SUBSCALE,)


def test_phq4_anxiety_of_3_fires_info():
    # anxiety 2 + 1 = 3, depression 0, total 3
    assert result("phq4", phq4([2, 1, 0, 0])) == [("info", (SUBSCALE,))]


def test_phq4_anxiety_of_2_fires_nothing():
    assert result("phq4", phq4([1, 1, 0, 0])) == [("", ())]


def test_the_highest_level_wins_and_every_fired_rule_is_listed():
    # total 6 (check_in) and anxiety 6 (info)
    assert result("phq4", phq4([3, 3, 0, 0])) == [("check_in", (DISTRESS, SUBSCALE))]


# -- WHO-5 --------------------------------------------------------------------------------

def test_who5_percent_of_28_fires_a_check_in():
    answers = pd.DataFrame([[2, 2, 1, 1, 1]], columns=WHO5)  # total 7, percent 28
    assert score("who5", answers)["percent"].iloc[0] == 28
    assert result("who5", answers) == [("check_in", ("very_low_wellbeing",))]


def test_who5_percent_of_32_fires_nothing():
    answers = pd.DataFrame([[2, 2, 2, 1, 1]], columns=WHO5)  # total 8, percent 32
    assert score("who5", answers)["percent"].iloc[0] == 32
    assert result("who5", answers) == [("", ())]


# -- missing answers ----------------------------------------------------------------------

def test_missing_answers_never_fire():
    answers = phq4(["skipped", "prefer_not_to_say", "dont_know", None], [None, None, None, None], ["", " ", "", ""])
    assert result("phq4", answers) == [("", ())] * 3


def test_an_unscored_total_fires_only_when_the_answers_given_already_reach_it():
    # 3 + 3 + (0..3) + (0..3): the total is at least 6 whatever the skipped answers would be
    assert result("phq4", phq4([3, 3, "skipped", None])) == [("check_in", (DISTRESS, SUBSCALE))]
    # 2 + 2 + (0..3) + (0..3) may stay below 6: only the scored anxiety subscale (4) fires
    assert result("phq4", phq4([2, 2, "skipped", None])) == [("info", (SUBSCALE,))]


def test_a_nan_score_with_nothing_answered_never_fires():
    answers = phq4([None, None, None, None])
    scores = pd.DataFrame({"total": [np.nan], "anxiety": [np.nan], "depression": [np.nan]})
    out = evaluate("phq4", answers, scores)
    assert (out["level"].iloc[0], out["rules"].iloc[0]) == ("", ())


@pytest.mark.parametrize("answer", [None, np.nan, "", "skipped", "prefer_not_to_say", "dont_know"])
def test_a_missing_item_answer_never_fires_an_item_rule(answer):
    answers = pd.DataFrame({"afraid_of_partner": [answer]}, dtype=object)
    out = evaluate("help_indicators", answers, pd.DataFrame(index=[0]))
    assert out["level"].iloc[0] == ""


@pytest.mark.parametrize("answer", [1, 1.0, "1", " 1 ", True])
def test_an_item_rule_compares_the_raw_answer(answer):
    answers = pd.DataFrame({"afraid_of_partner": [answer]})
    out = evaluate("help_indicators", answers, pd.DataFrame(index=[0]))
    assert (out["level"].iloc[0], out["rules"].iloc[0]) == ("check_in", ("afraid_of_partner",))


def test_an_item_rule_does_not_fire_for_another_value():
    out = evaluate("help_indicators", pd.DataFrame({"afraid_of_partner": [0]}), pd.DataFrame(index=[0]))
    assert out["level"].iloc[0] == ""


# -- many rows at once --------------------------------------------------------------------

def random_phq4(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 4, size=(n, 4)).astype(object)
    values[rng.random((n, 4)) < 0.1] = "skipped"
    values[rng.random((n, 4)) < 0.05] = None
    return pd.DataFrame(values, columns=PHQ4)


def test_evaluate_over_many_rows_equals_evaluate_one_row_by_row():
    answers = random_phq4(300)
    scores = score("phq4", answers)
    out = evaluate("phq4", answers, scores)
    for i in range(len(answers)):
        one = evaluate_one("phq4", answers.iloc[i].to_dict(), scores.iloc[i].to_dict())
        assert one == SafetyResult(out["level"].iloc[i], out["rules"].iloc[i])
    assert set(out["level"]) == {"", "info", "check_in"}  # the sample exercises every level


def test_evaluate_one_scores_the_answers_itself_when_no_scores_are_given():
    assert evaluate_one("phq4", {"phq4_1": 2, "phq4_2": 2}) == SafetyResult("info", (SUBSCALE,))
    assert evaluate_one("phq4", {"phq4_1": 3, "phq4_2": 3}) == SafetyResult("check_in", (DISTRESS, SUBSCALE))
    assert evaluate_one("phq4", {}) == SafetyResult("", ())


def test_evaluate_reads_each_column_once_whatever_the_number_of_rows(monkeypatch):
    calls = []
    original = safety._numeric
    monkeypatch.setattr(safety, "_numeric", lambda column: calls.append(column.name) or original(column))
    answers = random_phq4(5000)
    evaluate("phq4", answers, score("phq4", answers))
    assert sorted(calls) == ["anxiety", "depression", "total"]


def test_evaluate_keeps_the_index_of_the_answers():
    answers = phq4([3, 3, 0, 0], [0, 0, 0, 0])
    answers.index = ["a", "b"]
    assert list(evaluate("phq4", answers).index) == ["a", "b"]


def test_a_column_a_rule_needs_must_be_present():
    with pytest.raises(ResponseDataError, match="'afraid_of_partner'"):
        evaluate("help_indicators", pd.DataFrame({"earlier_wounds": [1]}), pd.DataFrame(index=[0]))


def test_answers_and_scores_must_have_the_same_rows():
    with pytest.raises(ResponseDataError, match="same respondents"):
        evaluate("phq4", phq4([0, 0, 0, 0]), score("phq4", phq4([0, 0, 0, 0], [1, 1, 1, 1])))


# -- workshop rules: stricter, never weaker -------------------------------------------------

def rule(rule_id: str, level: str, when: dict) -> SafetyRule:
    return SafetyRule.model_validate({"id": rule_id, "level": level, "when": when, "source": "workshop"})


def test_a_lower_threshold_is_stricter_and_accepted():
    defaults = load_instrument("phq4").safety
    stricter = [rule(DISTRESS, "check_in", {"scale": "total", "op": ">=", "value": 5}), defaults[1]]
    assert check_not_weaker(defaults, stricter) == []


def test_a_higher_threshold_is_reported_as_weaker():
    defaults = load_instrument("phq4").safety
    weaker = [rule(DISTRESS, "check_in", {"scale": "total", "op": ">=", "value": 7}), defaults[1]]
    [problem] = check_not_weaker(defaults, weaker)
    assert DISTRESS in problem and "total >= 7" in problem


def test_a_lower_level_is_reported():
    defaults = load_instrument("phq4").safety
    [problem] = check_not_weaker(defaults, [rule(DISTRESS, "info", {"scale": "total", "op": ">=", "value": 6}),
                                            defaults[1]])
    assert "lowers the level" in problem


def test_a_removed_default_rule_is_reported():
    defaults = load_instrument("phq4").safety
    [problem] = check_not_weaker(defaults, [defaults[0]])
    assert SUBSCALE in problem and "missing" in problem


def test_dropping_one_part_of_an_any_rule_is_weaker():
    defaults = load_instrument("phq4").safety
    only_anxiety = rule(SUBSCALE, "info", {"scale": "anxiety", "op": ">=", "value": 3})
    assert check_not_weaker(defaults, [defaults[0], only_anxiety]) != []


def test_a_who5_cut_off_may_rise_but_not_fall():
    defaults = load_instrument("who5").safety
    assert check_not_weaker(defaults, [rule("very_low_wellbeing", "check_in",
                                            {"scale": "percent", "op": "<=", "value": 32})]) == []
    assert check_not_weaker(defaults, [rule("very_low_wellbeing", "check_in",
                                            {"scale": "percent", "op": "<=", "value": 24})]) != []


def test_effective_rules_merges_stricter_and_added_rules():
    added = {"id": "any_depression", "level": "info", "when": {"scale": "depression", "op": ">=", "value": 2}}
    rules = effective_rules("phq4", [rule(DISTRESS, "check_in", {"scale": "total", "op": ">=", "value": 5}), added])
    assert [r.id for r in rules] == [DISTRESS, SUBSCALE, "any_depression"]
    out = evaluate("phq4", phq4([1, 1, 2, 1]), rules=rules)  # total 5 now fires the check-in
    assert out["level"].iloc[0] == "check_in"


def test_effective_rules_refuses_a_weaker_rule():
    with pytest.raises(SafetyRuleError, match="thresholds may only be made stricter"):
        effective_rules("phq4", [rule(DISTRESS, "check_in", {"scale": "total", "op": ">=", "value": 9})])


def test_effective_rules_refuses_a_rule_on_an_unknown_scale():
    with pytest.raises(SafetyRuleError, match="'totl'"):
        effective_rules("phq4", [rule("typo", "info", {"scale": "totl", "op": ">=", "value": 9})])


def test_without_workshop_rules_the_defaults_apply():
    assert effective_rules("phq4") == tuple(load_instrument("phq4").safety)


# -- crisis resources ---------------------------------------------------------------------

LOCALES = ["en-GB", "en-US", "en-IE", "es-ES", "de-DE"]


@pytest.mark.parametrize("locale", LOCALES)
def test_each_named_locale_has_emergency_crisis_and_partner_violence_contacts(locale):
    info = crisis_resources(locale)
    assert info.locale == locale
    assert {"emergency", "crisis", "partner_violence"} <= {r.kind for r in info.resources}


def test_an_unknown_locale_falls_back_to_international_and_says_so():
    info = crisis_resources("fr-FR")
    assert info.locale == "international"
    assert "'fr-FR'" in info.warnings[0] and "international" in info.warnings[0]
    assert {r.kind for r in info.resources} >= {"emergency", "directory"}


def test_no_locale_falls_back_to_international_and_asks_for_one():
    info = crisis_resources(None)
    assert info.locale == "international"
    assert "names no locale" in info.warnings[0]


def test_a_locale_of_a_known_country_uses_that_country():
    info = crisis_resources("es_us", language="es")
    assert info.locale == "en-US"
    assert "en-US" in info.warnings[0]
    assert info.resources[0].hours == "24 horas al día"


def test_every_unverified_entry_gets_a_verify_before_use_warning_naming_it():
    info = crisis_resources("en-GB")
    unverified = [r for r in info.resources if not r.verified]
    assert unverified  # the file ships every entry unverified
    notes = [w for w in info.warnings if w.startswith("Verify before use")]
    assert len(notes) == len(unverified)
    for r, note in zip(unverified, notes, strict=False):
        assert r.name in note and r.checked_on.isoformat() in note


@pytest.mark.parametrize("locale", LOCALES + ["international"])
def test_every_shipped_entry_is_unverified_dated_and_sourced(locale):
    for r in crisis_resources(locale).resources:
        assert r.verified is False
        assert r.checked_on.year >= 2025
        assert len(r.source) > 20, r.id


def test_contacts_are_shown_emergency_first():
    groups = crisis_resources("en-GB").by_kind()
    assert [g[1][0].kind for g in groups] == ["emergency", "crisis", "partner_violence"]


def test_contacts_are_given_in_the_participants_language():
    info = crisis_resources("es-ES")
    assert info.country == "España"
    assert any("gratuit" in r.notes for r in info.resources)


# -- the message the participant reads ----------------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("level", ["info", "check_in"])
def test_each_level_has_every_text_in_english_and_spanish(level, language):
    message = safety_message(level, language)
    for key in ("heading", "body", "offer", "urgent", "privacy", "resources_heading"):
        assert message[key].strip(), key
    assert message["body"] != safety_message(level, "en" if language == "es" else "es")["body"]


def test_the_check_in_is_offered_as_the_participants_choice():
    offer = safety_message("check_in", "en")["offer"]
    assert "private" in offer and "You choose" in offer


def test_info_suggests_a_doctor_or_mental_health_professional():
    body = safety_message("info", "en")["body"]
    assert "doctor" in body and "mental-health professional" in body


@pytest.mark.parametrize("level", ["info", "check_in"])
def test_messages_are_private_and_not_diagnostic(level):
    message = safety_message(level, "en")
    assert message["privacy"].startswith("Only you can see this")
    assert "not a diagnosis" in message["body"]
    assert not re.search(r"\b(disorder|illness|you have depression|you are depressed)\b", " ".join(
        v for v in message.values() if isinstance(v, str)), re.I)


def test_nothing_fired_means_nothing_to_show():
    message = safety_message("", "en")
    assert all(v in ("", []) for v in message.values())


def test_an_unknown_level_is_an_error():
    with pytest.raises(ValueError, match="unknown safety level"):
        safety_message("urgent")


def test_fear_of_a_partner_adds_guidance_towards_individual_help():
    assert safety_message("check_in", "en")["notes"] == []
    [note] = safety_message("check_in", "en", rules=("afraid_of_partner",))["notes"]
    assert "couple sessions are not the right place" in note


def test_not_feeling_safe_in_a_session_gets_words_of_its_own_not_the_low_mood_message():
    alone = safety_message("info", "en", ["not_safe_today"])
    assert "did not feel safe taking part today" in alone["body"] and "low mood" not in alone["body"]
    assert "no te resulta seguro participar" in safety_message("info", "es", ["not_safe_today"])["body"]
    # with another rule that has no body of its own, the level's body stays (it describes that rule)
    mixed = safety_message("info", "en", ["not_safe_today", "anxiety_or_depression_positive"])
    assert "low mood" in mixed["body"]
