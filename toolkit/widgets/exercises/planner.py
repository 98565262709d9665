"""Guided plans: an exercise instrument's prompts, saved as you go, shown back privately.

A plan is an exercise instrument (``kind: exercise``: free-text, yes/no or multiple-choice
items, no scales), so ``PlanForm`` is a ``QuestionnaireForm`` with the one thing a plan does
differently: finishing it scores nothing. It records that the plan was completed (only with
storage consent) and shows the participant their own answers, escaped. Everything else is
the questionnaire form's: visible labels, "prefer not to say", autosave of each answer the
moment it is given (a text box saves when the participant leaves it), restore on rejoin,
and nothing written without consent.

This module also shows the session 6 guidance from ``content/exercises/first_step.yaml``
(tips for opening the conversation, where to look and what to ask in a first call,
realistic expectations) as plain, escaped HTML cards.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, Literal

import ipywidgets as w

from toolkit.content.text import pick
from toolkit.errors import AttuneError
from toolkit.instruments import Instrument, load_instrument
from toolkit.render.takehome import Entry, first_step_content, plan_html
from toolkit.widgets import JoinForm, QuestionnaireForm
from toolkit.widgets.style import style_widget

#: The timepoint plans are kept under when a notebook names none.
DEFAULT_TIMEPOINT = "workshop"

#: Extra rules for the exercise widgets, scoped to the ``attune`` class like ``widgets/style.py``.
EXERCISE_CSS = """
<style>
.attune .attune-cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 220px), 1fr));
  gap: 12px; margin: 8px 0; }
.attune .attune-card { border: 1px solid #c8c8c8; border-radius: 6px; padding: 10px 12px; background: #fff;
  overflow-wrap: anywhere; }
.attune .attune-card h3, .attune .attune-card h4 { margin: 0 0 6px 0; font-size: 17px; }
.attune .attune-card p { margin: 6px 0; }
.attune .attune-card dl, .attune .attune-plan { display: block !important; }
.attune .attune-card dt, .attune .attune-plan dt { display: block !important; float: none !important;
  width: auto !important; font-weight: 600; margin-top: 8px; }
.attune .attune-card dd, .attune .attune-plan dd { display: block !important; float: none !important;
  margin: 2px 0 0 0 !important; padding: 0 !important; width: auto !important; max-width: 100% !important; }
.attune .attune-guide ul, .attune .attune-guide ol { padding-left: 1.3em; }
.attune .attune-guide li { margin: 6px 0; }
.attune .attune-answer { white-space: pre-wrap; overflow-wrap: anywhere; }
.attune a.attune-download { display: inline-block; padding: 10px 16px; min-height: 44px; box-sizing: border-box;
  background: #0b5cad; color: #fff; border-radius: 4px; text-decoration: none; font-size: 16px; }
.attune a.attune-download:focus-visible, .attune a.attune-download:hover { outline: 3px solid #f0b400;
  outline-offset: 2px; }
.attune .widget-dropdown { flex-direction: column; align-items: flex-start; width: 100%; height: auto; }
.attune .widget-dropdown select { width: 100%; max-width: 100%; font-size: 16px; min-height: 40px; }
</style>
"""


def exercise_style() -> w.HTML:
    """The base stylesheet plus the exercise rules (include once per widget)."""
    return w.HTML(EXERCISE_CSS, layout=w.Layout(display="none"))


class NotAnExerciseError(AttuneError):
    """A plan was asked for with an instrument that is not an exercise."""


class PlanForm(QuestionnaireForm):
    """``PlanForm(instrument, store, participant, timepoint=..., language=...)``: a guided plan.

    ``instrument`` is an exercise instrument (id or path); ``participant`` is a code or the
    page's ``JoinForm``. ``answer(item_id, value)`` answers from code as a participant would;
    ``submit()`` returns ``{"instrument", "answers", "saved"}`` and shows the private recap.
    """

    def __init__(self, instrument: Instrument | str, store=None, participant: str | JoinForm | None = None,
                 timepoint: str = DEFAULT_TIMEPOINT, *, language: str = "en", locale: str | None = None,
                 on_submit: Callable[[PlanForm], None] | None = None):
        inst = load_instrument(instrument)
        if inst.kind != "exercise":
            raise NotAnExerciseError(
                f"{inst.id} is a {inst.kind} instrument, not an exercise: use session.questionnaire({inst.id!r}) "
                "for questionnaires and checklists that are scored")
        super().__init__(inst, store, participant, timepoint, language=language, locale=locale, on_submit=on_submit)
        texts = first_step_content().plan
        self.recap_heading = texts.recap_heading
        self.submit_button.description = pick(texts.save_button, language)
        self.children = (exercise_style(), *self.children)
        self.add_class("attune-plan-form")

    @property
    def entry(self) -> Entry:
        """What is on the page now, as the take-home summary takes it."""
        return Entry(self.instrument, self.answers, self.timepoint)

    def submit(self) -> dict[str, Any]:
        """Record that the plan was completed (with consent only) and show it back, escaped. No scoring."""
        saved = self.saving
        if saved:
            try:
                self.store.submit(self.code, self.instrument, self.timepoint)
            except AttuneError as exc:
                self.save_errors.append(str(exc))
                saved = False
        self.result = {"instrument": self.instrument.id, "answers": self.answers, "saved": saved}
        self.results.children = [w.HTML(plan_recap_html(self.entry, self.language, saved=saved,
                                                        heading=self.recap_heading))]
        if self.on_submit:
            self.on_submit(self)
        return self.result


def plan_recap_html(entry: Entry, language: str = "en", *, saved: bool, heading: dict[str, str] | None = None) -> str:
    """The participant's own plan, escaped, with a line on whether it is saved."""
    texts = first_step_content().plan
    head = f"<h3>{html.escape(pick(heading or texts.recap_heading, language))}</h3>"
    note = pick(texts.recap_saved if saved else texts.recap_not_saved, language)
    body = plan_html(entry, language) if entry.has_answers else f"<p>{html.escape(pick(texts.empty, language))}</p>"
    return (f"<div class='attune-feedback' role='status'>{head}{body}"
            f"<p class='attune-note'>{html.escape(note)}</p></div>")


def guided_plan(session, instrument: str, timepoint: str = DEFAULT_TIMEPOINT) -> PlanForm:
    """A plan for a notebook: ``guided_plan(session, "conversation_plan", timepoint="session6")``."""
    return PlanForm(instrument, session.store, session.join_form, timepoint,
                    language=session.language, locale=session.locale)


# -- session 6 guidance ------------------------------------------------------------------------

Section = Literal["opening", "research", "expectations"]


def first_step_html(section: Section, language: str = "en") -> str:
    """One part of the session 6 guidance as escaped HTML, with its sources in a details element."""
    c = first_step_content()
    e = html.escape
    parts: list[str] = []
    if section == "opening":
        s = c.opening
        parts.append(f"<h3>{e(pick(s.title, language))}</h3><p>{e(pick(s.intro, language))}</p>")
        cards = "".join(f"<div class='attune-card'><h4>{e(pick(tip.title, language))}</h4>"
                        f"<p>{e(pick(tip.text, language))}</p></div>" for tip in s.tips)
        parts.append(f"<div class='attune-cards'>{cards}</div>")
        parts.append(f"<div class='attune-private' role='note'><p>{e(pick(s.safety, language))}</p></div>")
    elif section == "research":
        s = c.research
        where = "".join(f"<li>{e(pick(x, language))}</li>" for x in s.where_to_look)
        questions = "".join(f"<li>{e(pick(q.text, language))}</li>" for q in s.questions)
        parts.append(f"<h3>{e(pick(s.title, language))}</h3><p>{e(pick(s.intro, language))}</p><ul>{where}</ul>"
                     f"<h4>{e(pick(s.questions_heading, language))}</h4><ol>{questions}</ol>"
                     f"<p class='attune-note'>{e(pick(s.tip, language))}</p>")
    elif section == "expectations":
        s = c.expectations
        points = "".join(f"<li>{e(pick(p.text, language))}</li>" for p in s.points)
        parts.append(f"<h3>{e(pick(s.title, language))}</h3><ul>{points}</ul>"
                     f"<div class='attune-feedback'><p><b>{e(pick(s.strength, language))}</b></p></div>")
    else:
        raise ValueError(f"unknown section {section!r}: choose opening, research or expectations")
    sources = getattr(c, section).sources
    if sources:
        items = "".join(f"<li>{e(c.sources[ident])}</li>" for ident in sources)
        heading = pick(c.sources_heading, language)
        parts.append(f"<details><summary>{e(heading)}</summary><ul class='attune-note'>{items}</ul></details>")
    return f"<div class='attune-guide'>{''.join(parts)}</div>"


def first_step_guide(section: Section, language: str = "en") -> w.VBox:
    """The guidance as a widget: ``first_step_guide("opening", language=language)``."""
    box = w.VBox([style_widget(), exercise_style(), w.HTML(first_step_html(section, language))])
    box.add_class("attune")
    return box
