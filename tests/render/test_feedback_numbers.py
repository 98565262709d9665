"""The participant's own feedback writes a mean score with the language's decimal mark (issue 15)."""

from __future__ import annotations

from toolkit.core.feedback import personal_feedback as feedback_of
from toolkit.instruments import load_instrument
from toolkit.render.feedback import feedback_html


def personal_feedback(instrument: str, scores: dict, language: str):
    return feedback_of(load_instrument(instrument), scores, language)


def test_a_spanish_mean_score_reads_with_a_decimal_comma():
    [fb] = personal_feedback("brs", {"resilience": 3.5, "resilience_answered": 6}, "es")
    assert fb.shown == "3,50"
    [en] = personal_feedback("brs", {"resilience": 3.5, "resilience_answered": 6}, "en")
    assert en.shown == "3.50"


def test_a_sum_score_has_no_decimals_in_either_language():
    [total, percent] = personal_feedback("who5", {"total": 15, "total_answered": 5, "percent": 60,
                                                  "percent_answered": 5}, "es")
    assert (total.shown, percent.shown) == ("15", "60")


def test_the_spanish_feedback_page_never_shows_a_decimal_point_in_the_score():
    [fb] = personal_feedback("brs", {"resilience": 4.17, "resilience_answered": 6}, "es")
    html = feedback_html(fb, "es", "attune-feedback")
    assert "4,17" in html and "4.17" not in html
