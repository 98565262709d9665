"""Personal feedback: what a participant reads about their own scores, in their language.

Pure: a row of scores in, plain frozen records out; ``toolkit.render.feedback`` renders
them. The text itself (labels, band feedback, descriptions) comes from the instrument file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolkit.content.text import number, pick, ui
from toolkit.instruments.model import Instrument

if TYPE_CHECKING:
    from toolkit.core.support import CrisisInfo


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
            shown = number(value, language, decimals=2 if scale.method == "mean" else 0)
        else:
            shown = ui("not_scored", language, required=scale.required, total=len(scale.items), answered=answered)
        text = pick(band.feedback, language) if band else (pick(scale.description, language) if scored else "")
        out.append(ScaleFeedback(
            scale=scale.id, label=pick(scale.label, language), score=float(value) if scored else None,
            shown=shown, band=band.id if band else "", band_label=pick(band.label, language) if band else "",
            text=text, answered=answered, required=scale.required))
    return out


@dataclass(frozen=True)
class SafetyNotice:
    """What a participant sees privately when a safety rule fired: the calm message and support contacts."""

    message: Mapping[str, Any]  # toolkit.core.support.safety_message
    crisis: CrisisInfo


@dataclass(frozen=True)
class PersonalReport:
    """Everything a participant sees after submitting, computed from their answers alone.

    Frozen, so the widget that shows it cannot change what was scored.
    """

    instrument: str
    scores: Mapping[str, Any]
    feedback: tuple[ScaleFeedback, ...]
    level: str = ""  # "" when no safety rule fired
    rules: tuple[str, ...] = ()
    safety: SafetyNotice | None = None
    figure: Any = None  # a plotly Figure fitting the instrument, or None


def personal_report(inst: Instrument, answers: dict, *, language: str = "en", locale: str | None = None) -> PersonalReport:
    """Score ``answers``, check the safety rules and put the participant's own feedback together."""
    import pandas as pd

    from toolkit.core import charts, safety, support
    from toolkit.core.scoring import score

    scored_ids = [i.id for i in inst.scored_items]
    row = {i: _scoring_value(answers.get(i)) for i in scored_ids}
    frame = pd.DataFrame([row], columns=scored_ids)
    scores = score(inst, frame).iloc[0].to_dict() if scored_ids and inst.scales else {}
    fired = safety.evaluate(inst, frame, pd.DataFrame([scores])) if inst.safety else None
    level = str(fired["level"].iloc[0]) if fired is not None else ""
    rules = tuple(fired["rules"].iloc[0]) if fired is not None else ()
    notice = (SafetyNotice(support.safety_message(level, language, rules), support.crisis_resources(locale, language))
              if level else None)
    return PersonalReport(
        instrument=inst.id, scores=scores, feedback=tuple(personal_feedback(inst, scores, language)),
        level=level, rules=rules, safety=notice,
        figure=charts.personal_chart(inst, scores, language) if scores else None)


def _scoring_value(value):
    """Scoring takes numbers and missing codes; an unanswered item is 'skipped'."""
    return "skipped" if value is None else value
