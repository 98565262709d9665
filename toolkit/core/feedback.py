"""Personal feedback: what a participant reads about their own scores, in their language.

Pure: a row of scores in, plain records out. The widgets render them; the text itself
(labels, band feedback, descriptions) comes from the instrument file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from toolkit.content.text import pick, ui
from toolkit.instruments.model import Instrument


@dataclass(frozen=True)
class ScaleFeedback:
    scale: str
    label: str
    score: float | None
    shown: str  # the score as text, or why there is none
    band: str  # band id, "" when unbanded or unscored
    band_label: str
    text: str  # the band's feedback, or the scale's description for unbanded scales
    answered: int
    required: int


def personal_feedback(inst: Instrument, scores: dict, language: str = "en") -> list[ScaleFeedback]:
    out = []
    for scale in inst.scales:
        value = scores.get(scale.id)
        answered = int(scores.get(f"{scale.id}_answered", 0))
        scored = value is not None and not (isinstance(value, float) and math.isnan(value))
        band = next((b for b in scale.bands if scored and b.contains(float(value))), None)
        if scored:
            shown = f"{value:.0f}" if scale.method != "mean" else f"{value:.2f}"
        else:
            shown = ui("not_scored", language, required=scale.required, total=len(scale.items), answered=answered)
        text = pick(band.feedback, language) if band else (pick(scale.description, language) if scored else "")
        out.append(ScaleFeedback(
            scale=scale.id, label=pick(scale.label, language), score=float(value) if scored else None,
            shown=shown, band=band.id if band else "", band_label=pick(band.label, language) if band else "",
            text=text, answered=answered, required=scale.required))
    return out


def feedback_html(fb: ScaleFeedback, language: str, css_class: str) -> str:
    """One scale's feedback as escaped HTML: the score line, then band, text or why it is unscored."""
    import html

    head = ui("score_line", language, label=fb.label, score=fb.shown if fb.score is not None else "–")
    body = []
    if fb.band_label:
        body.append(f"<b>{html.escape(fb.band_label)}</b>")
    if fb.text:
        body.append(html.escape(fb.text))
    if fb.score is None:
        body.append(html.escape(fb.shown))
    return f"<div class='{css_class}'><p><b>{html.escape(head)}</b></p><p>{' '.join(body)}</p></div>"


def personal_report(inst: Instrument, answers: dict, *, language: str = "en", locale: str | None = None) -> dict:
    """Everything a participant sees after submitting, computed from their answers alone.

    Returns a dict: ``scores`` (the scoring row), ``feedback`` (ScaleFeedback list),
    ``level`` and ``rules`` (safety), ``safety`` (message and crisis resources when a rule
    fired, else None) and ``figure`` (a plotly Figure fitting the instrument, or None).
    """
    import pandas as pd

    from toolkit.core import charts, safety
    from toolkit.core.scoring import score

    scored_ids = [i.id for i in inst.scored_items]
    row = {i: _scoring_value(answers.get(i)) for i in scored_ids}
    frame = pd.DataFrame([row], columns=scored_ids)
    scores = score(inst, frame).iloc[0].to_dict() if scored_ids and inst.scales else {}
    fired = safety.evaluate(inst, frame, pd.DataFrame([scores])) if inst.safety else None
    level = str(fired["level"].iloc[0]) if fired is not None else ""
    rules = tuple(fired["rules"].iloc[0]) if fired is not None else ()
    report = {
        "instrument": inst.id,
        "scores": scores,
        "feedback": personal_feedback(inst, scores, language),
        "level": level,
        "rules": rules,
        "safety": None,
        "figure": charts.personal_chart(inst, scores, language) if scores else None,
    }
    if level:
        report["safety"] = {"message": safety.safety_message(level, language, rules),
                            "crisis": safety.crisis_resources(locale, language)}
    return report


def _scoring_value(value):
    """Scoring takes numbers and missing codes; an unanswered item is 'skipped'."""
    return "skipped" if value is None else value
