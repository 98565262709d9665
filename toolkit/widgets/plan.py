"""Guided plans: an exercise instrument's prompts, saved as you go, shown back privately.

A plan is an exercise instrument (``kind: exercise``: free-text, yes/no or multiple-choice
items, no scales), so ``PlanForm`` is a ``QuestionnaireForm`` with the one thing a plan does
differently: finishing it scores nothing. It records that the plan was completed (only with
storage consent) and shows the participant their own answers, escaped. Everything else is
the questionnaire form's: visible labels, "prefer not to say", autosave of each answer (typed
text once typing pauses), restore on rejoin, and nothing written without consent.

It lives here, not in an exercise, because several exercises build on it (the session 6
plans, the session 5 therapist checklist).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from toolkit.content.text import pick
from toolkit.errors import AttuneError
from toolkit.instruments import Instrument, load_instrument
from toolkit.render.takehome import Entry, first_step_content, plan_html
from toolkit.widgets.form import QuestionnaireForm
from toolkit.widgets.join import JoinForm

#: The timepoint plans are kept under when a notebook names none.
DEFAULT_TIMEPOINT = "workshop"


class NotAnExerciseError(AttuneError):
    """A plan was asked for with an instrument that is not an exercise."""


class PlanForm(QuestionnaireForm):
    """``PlanForm(instrument, store, participant, timepoint=..., language=...)``: a guided plan.

    ``instrument`` is an exercise instrument (id or path); ``participant`` is a code or the
    page's ``JoinForm``. ``answer(item_id, value)`` answers from code as a participant would;
    ``submit()`` returns ``{"instrument", "answers", "saved"}`` and shows the private recap.
    """

    stylesheets = ("exercise",)

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
        self.add_class("attune-plan-form")

    @property
    def entry(self) -> Entry:
        """What is on the page now, as the take-home summary takes it."""
        return Entry(self.instrument, self.answers, self.timepoint)

    def submit(self) -> dict[str, Any]:
        """Record that the plan was completed (with consent only) and show it back, escaped. No scoring."""
        self.autosave.flush()  # typed text not yet saved
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
