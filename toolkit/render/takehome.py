"""The take-home summary: one self-contained HTML file with a participant's own results and plans.

Pure: answers in, an HTML string out. Nothing here reads the store, builds a widget or
touches the network; ``toolkit.widgets.exercises.takehome_widget`` gathers the answers and offers
the file for download.

The file must open anywhere, offline, for years: plotly.js is embedded inline
(``include_plotlyjs=True``) once, before the first chart, and a Content-Security-Policy meta
tag forbids the page from loading or sending anything. Every text that came from a
participant is HTML-escaped; so is every text from the package's own files. Item-level
answers are shown only for exercises (plans, checklists); questionnaires show their scale
scores with the instrument's own plain-language feedback, never single answers, so that a
sensitive yes (for example about fear of a partner) is never written into a file that might
be found by someone else.

This module also reads ``content/exercises/first_step.yaml`` (session 6 texts and the
strings of the plan and take-home widgets), because the take-home needs those strings and
must not import the widget modules.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import Field

from toolkit.content import EXERCISES_DIR, css
from toolkit.content.datafile import LocatedData, read_yaml, validate
from toolkit.content.text import number, pick, ui
from toolkit.errors import AttuneError, Problem
from toolkit.instruments import MISSING_CODES, Instrument, load_instrument
from toolkit.instruments.model import Id, Strict, Text
from toolkit.render.feedback import feedback_html

CONTENT_DIR = EXERCISES_DIR

#: The page may run its own inline scripts and styles and show inline images; it may load,
#: fetch, frame or submit nothing. Plotly's bundle is inline, so the chart still draws.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")


# -- content: content/exercises/first_step.yaml ---------------------------------------------

class Tip(Strict):
    id: Id
    title: Text
    text: Text


class Question(Strict):
    id: Id
    text: Text


class Opening(Strict):
    title: Text
    intro: Text
    tips: list[Tip] = Field(min_length=1)
    safety: Text
    sources: list[Id] = Field(default_factory=list)


class Research(Strict):
    title: Text
    intro: Text
    where_to_look: list[Text] = Field(min_length=1)
    questions_heading: Text
    questions: list[Question] = Field(min_length=1)
    tip: Text
    sources: list[Id] = Field(default_factory=list)


class Expectations(Strict):
    title: Text
    points: list[Question] = Field(min_length=1)
    strength: Text
    sources: list[Id] = Field(default_factory=list)


class PlanTexts(Strict):
    save_button: Text
    recap_heading: Text
    recap_saved: Text
    recap_not_saved: Text
    empty: Text
    not_answered: Text


class TakeHomeTexts(Strict):
    heading: Text
    intro: Text
    privacy: Text
    prepare_button: Text
    choose_heading: Text
    download_label: Text
    ready: Text
    nothing_yet: Text
    document_title: Text
    private_note: Text
    code_line: Text
    created_line: Text
    results_heading: Text
    plans_heading: Text
    questions_heading: Text
    include_questions: Text
    chart_note: Text
    support: Text
    footer: Text


class FirstStepContent(Strict):
    opening: Opening
    research: Research
    expectations: Expectations
    plan: PlanTexts
    takehome: TakeHomeTexts
    sources_heading: Text
    sources: dict[Id, str]


def _check_sources(content: FirstStepContent, src: LocatedData) -> list[Problem]:
    """Every short citation id used by a section is listed under ``sources``."""
    problems = []
    for section in ("opening", "research", "expectations"):
        for n, ident in enumerate(getattr(content, section).sources):
            if ident not in content.sources:
                problems.append(src.problem((section, "sources", n), f"source {ident!r} is not listed under 'sources'"))
    return problems


@cache
def first_step_content() -> FirstStepContent:
    """Session 6 texts and the plan and take-home widget strings (validated; problems as path:line)."""
    return validate(read_yaml(CONTENT_DIR / "first_step.yaml"), FirstStepContent, _check_sources)


def _text(texts: dict[str, str], language: str, **values: object) -> str:
    text = pick(texts, language)
    return text.format(**values) if values else text


# -- what goes into the file -----------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One instrument's answers at one timepoint, as the store or a form on the page holds them."""

    instrument: Instrument
    answers: Mapping[str, Any] = field(default_factory=dict)
    timepoint: str = ""

    @property
    def is_plan(self) -> bool:
        """Exercises (plans, checklists) show their answers; questionnaires show their scores."""
        return self.instrument.kind == "exercise"

    @property
    def has_answers(self) -> bool:
        return any(_answered(v) for v in self.answers.values())


def as_entry(entry: Entry | Sequence) -> Entry:
    """An ``Entry``, or a tuple ``(instrument, answers)`` / ``(instrument, answers, timepoint)``."""
    if isinstance(entry, Entry):
        return entry
    instrument, answers, *rest = entry
    return Entry(load_instrument(instrument), dict(answers or {}), str(rest[0]) if rest else "")


def _answered(value: Any) -> bool:
    if value is None or (isinstance(value, str) and (value in MISSING_CODES or not value.strip())):
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, (list, tuple, set)) and not value)


def entry_label(entry: Entry, language: str = "en", *, with_timepoint: bool = False) -> str:
    """The instrument's title (plain text, not escaped), with the timepoint when asked."""
    title = pick(entry.instrument.title, language)
    return f"{title} ({entry.timepoint})" if with_timepoint and entry.timepoint else title


# -- results: scale scores with the instrument's feedback --------------------------------------

def entry_scores(entry: Entry) -> dict[str, Any]:
    """The scoring row for one participant's answers ({} when the instrument has no scales)."""
    import pandas as pd

    from toolkit.core.scoring import score

    inst = entry.instrument
    scored = [i.id for i in inst.scored_items]
    if not scored or not inst.scales:
        return {}
    row = {i: ("skipped" if entry.answers.get(i) is None else entry.answers.get(i)) for i in scored}
    try:
        return score(inst, pd.DataFrame([row], columns=scored)).iloc[0].to_dict()
    except AttuneError:
        return {}  # answers that no longer fit the instrument file are left out, not guessed


def entry_feedback(entry: Entry, language: str = "en"):
    """``toolkit.core.feedback.ScaleFeedback`` for every scale of the entry's instrument."""
    from toolkit.core.feedback import personal_feedback

    scores = entry_scores(entry)
    return personal_feedback(entry.instrument, scores, language) if scores else []


def entry_figure(entry: Entry, language: str = "en"):
    """The participant's own chart for the entry (``toolkit.core.charts.personal_chart``), or None."""
    scores = entry_scores(entry)
    if not scores:
        return None
    try:
        from toolkit.core.charts import personal_chart

        return personal_chart(entry.instrument, scores, language)
    except (ImportError, KeyError, ValueError):
        return None  # no chart is better than a wrong one: the scores are in the text


# -- plans: each prompt with the participant's answer ------------------------------------------

def answer_text(inst: Instrument, item_id: str, value: Any, language: str = "en") -> str:
    """An answer in words (plain text, not escaped): the participant's text, Yes/No, option labels."""
    item = inst.item(item_id)
    if not _answered(value):
        if isinstance(value, str) and value in ("prefer_not_to_say", "dont_know"):
            return ui(value, language)
        return pick(first_step_content().plan.not_answered, language)
    if item.type == "free_text":
        return str(value)
    scale = inst.response_scale_of(item)  # yes/no items too: the instrument's own labels
    values = value if isinstance(value, (list, tuple, set)) else [value]
    return ", ".join(_option_label(scale, v, language) for v in values)


def _option_label(scale, value: Any, language: str) -> str:
    for option in scale.options if scale is not None else []:
        if isinstance(value, (int, float)) and math.isclose(option.value, value):
            return pick(option.label, language) if option.label else number(option.value, language)
    return str(value)


def plan_rows(entry: Entry, language: str = "en") -> list[tuple[str, str]]:
    """(prompt, answer) for every item of an exercise, in the instrument's order (plain text)."""
    inst = entry.instrument
    return [(pick(item.text, language), answer_text(inst, item.id, entry.answers.get(item.id), language))
            for item in inst.items]


def plan_html(entry: Entry, language: str = "en") -> str:
    """The prompts and answers as an escaped definition list (used by the recap and the file)."""
    rows = "".join(f"<dt>{html.escape(q)}</dt><dd class='attune-answer'>{html.escape(a)}</dd>"
                   for q, a in plan_rows(entry, language))
    return f"<dl class='attune-plan'>{rows}</dl>"


# -- the file ------------------------------------------------------------------------------------

def build_takehome_html(entries: Iterable[Entry | Sequence], *, language: str = "en", code: str | None = None,
                        created: str | None = None, include_questions: bool = True) -> str:
    """A complete, self-contained HTML document summarising a participant's own results and plans.

    ``entries``: ``Entry`` objects or ``(instrument, answers[, timepoint])`` tuples. Results
    (instruments with scales) list every scale's score with its plain-language feedback and
    the instrument's chart; plans (exercises) list every prompt with the participant's answer.
    ``include_questions`` adds the questions to ask a therapist in a first call. ``created``
    is shown as given (the caller passes today's date), so the same input gives the same file.
    """
    c = first_step_content()
    t = c.takehome
    lang = language
    entries = [e for e in (as_entry(x) for x in entries) if e.has_answers]
    seen: dict[str, int] = {}
    for e in entries:
        seen[e.instrument.id] = seen.get(e.instrument.id, 0) + 1
    repeated = {i for i, n in seen.items() if n > 1}

    body = [f"<h1>{html.escape(pick(t.document_title, lang))}</h1>",
            f"<p class='private' role='note'>{html.escape(pick(t.private_note, lang))}</p>"]
    meta = []
    if code:
        meta.append(html.escape(_text(t.code_line, lang, code=code)))
    if created:
        meta.append(html.escape(_text(t.created_line, lang, date=created)))
    if meta:
        body.append(f"<p class='note'>{' · '.join(meta)}</p>")

    results = [e for e in entries if not e.is_plan and e.instrument.scales]
    plans = [e for e in entries if e.is_plan]
    plotly_included = False
    if results:
        body.append(f"<section><h2>{html.escape(pick(t.results_heading, lang))}</h2>")
        for n, entry in enumerate(results, start=1):
            chart, plotly_included = _chart_html(entry, lang, n, plotly_included)
            body.append(_result_article(entry, lang, entry.instrument.id in repeated, chart))
        body.append("</section>")
    if plans:
        body.append(f"<section><h2>{html.escape(pick(t.plans_heading, lang))}</h2>")
        for entry in plans:
            label = entry_label(entry, lang, with_timepoint=entry.instrument.id in repeated)
            body.append(f"<article><h3>{html.escape(label)}</h3>{plan_html(entry, lang)}</article>")
        body.append("</section>")
    if include_questions:
        items = "".join(f"<li>{html.escape(pick(q.text, lang))}</li>" for q in c.research.questions)
        body.append(f"<section><h2>{html.escape(pick(t.questions_heading, lang))}</h2>"
                    f"<article><ul>{items}</ul><p class='note'>{html.escape(pick(c.research.tip, lang))}</p>"
                    "</article></section>")
    body.append(f"<footer><p>{html.escape(pick(t.support, lang))}</p>"
                f"<p class='note'>{html.escape(pick(t.footer, lang))}</p></footer>")

    return ("<!DOCTYPE html>\n"
            f"<html lang='{html.escape(lang)}'>\n<head>\n<meta charset='utf-8'>\n"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">\n"
            "<meta name='referrer' content='no-referrer'>\n"
            f"<title>{html.escape(pick(t.document_title, lang))}</title>\n"
            f"<style>\n{css('takehome')}</style>\n</head>\n<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def _result_article(entry: Entry, lang: str, with_timepoint: bool, chart: str) -> str:
    inst = entry.instrument
    parts = [f"<article><h3>{html.escape(entry_label(entry, lang, with_timepoint=with_timepoint))}</h3>"]
    parts += [feedback_html(fb, lang, "feedback") for fb in entry_feedback(entry, lang)]
    parts.append(chart)
    parts.append(f"<p class='note'>{html.escape(pick(inst.licence.attribution, lang))}</p></article>")
    return "".join(parts)


def _chart_html(entry: Entry, lang: str, n: int, plotly_included: bool) -> tuple[str, bool]:
    """The entry's chart as an HTML fragment; plotly.js goes inline with the first chart only."""
    figure = entry_figure(entry, lang)
    if figure is None:
        return "", plotly_included
    from toolkit.core.charts import CONFIG

    wide = _fit_small_screens(figure)
    fragment = figure.to_html(full_html=False, include_plotlyjs=not plotly_included, config=CONFIG,
                              div_id=f"attune-chart-{n}", default_width="100%")
    from toolkit.core.charts import personal_chart_notes

    # What the chart means (directions on the plane, that the midline is no norm) travels with it in text.
    notes = "".join(f"<p class='note'>{html.escape(text)}</p>"
                    for text in personal_chart_notes(entry.instrument, entry_scores(entry), lang))
    note = html.escape(pick(first_step_content().takehome.chart_note, lang))
    box = "<div class='chart-box wide' tabindex='0'>" if wide else "<div class='chart-box'>"
    return f"<figure class='chart'>{box}{fragment}</div>{notes}<figcaption>{note}</figcaption></figure>", True


def _fit_small_screens(figure) -> bool:
    """Make the participant chart readable on a 360 px phone as well as a laptop; True if it needs width.

    ``toolkit.core.charts`` lays figures out for a projector. A chart with labels inside the plot
    (the attachment plane) cannot shrink to a phone without its labels running into each
    other: it is kept as it is and shown at a readable width in a box that scrolls sideways.
    In a simpler chart, the notes sit at a fixed height below the plot, where a legend that
    wraps on a narrow screen runs into them; the file says the same in text right above the
    chart, so those notes are dropped and the legend gets the room.
    """
    annotations = list(figure.layout.annotations)
    if any(a.xref != "paper" for a in annotations):  # unset xref means data coordinates
        return True
    figure.layout.annotations = [a for a in annotations if not (a.yref == "paper" and a.y is not None and a.y < 0)]
    figure.update_layout(height=max(figure.layout.height or 330, 400), margin=dict(l=20, r=20, b=130))
    return False
