"""A questionnaire form built from any instrument file: answers autosave, feedback is private.

The form is a thin shell. Its answers are kept by ``toolkit.widgets.autosave.Autosave``
(saved the moment they are given, with consent only; restored for the same participant
and timepoint), and on submit it hands them to the core: scoring, safety rules, personal
feedback and a chart, shown by ``toolkit.widgets.results``. Whatever a participant typed is
only ever shown back escaped.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from toolkit.content.text import pick, ui
from toolkit.core.feedback import PersonalReport, personal_report
from toolkit.errors import AttuneError
from toolkit.instruments import Instrument, load_instrument
from toolkit.widgets.autosave import Autosave
from toolkit.widgets.items import ItemControl
from toolkit.widgets.join import JoinForm
from toolkit.widgets.results import render_results
from toolkit.widgets.style import style_widget


class QuestionnaireForm(w.VBox):
    """``QuestionnaireForm(instrument, store=..., participant=..., timepoint=...)``.

    ``participant`` is a code, or the page's ``JoinForm`` (the form then starts saving as
    soon as the participant joins with consent). ``locale`` picks the crisis resources
    shown when a safety rule fires.
    """

    #: Stylesheets of ``content/css/`` added to the participant one.
    stylesheets: tuple[str, ...] = ()

    def __init__(self, instrument: Instrument | str, store=None, participant: str | JoinForm | None = None,
                 timepoint: str = "pre", *, language: str = "en", locale: str | None = None,
                 on_submit: Callable[[QuestionnaireForm], None] | None = None):
        self.instrument = load_instrument(instrument)
        self.store = store
        self.timepoint = timepoint
        self.language = language
        self.locale = locale
        self.on_submit = on_submit
        self.result: PersonalReport | None = None
        self.checkin_recorded = False
        self.figures: list = []
        self.autosave = Autosave(self.instrument, store, participant, timepoint, language, self._show)
        t = self._t
        inst = self.instrument

        self.controls = [ItemControl(inst, item, language, n) for n, item in enumerate(inst.items, start=1)]
        for control in self.controls:
            control.on_change(self._answer_changed)
        self.progress_bar = w.IntProgress(value=0, min=0, max=len(self.controls), description="",
                                          layout=w.Layout(width="100%"))
        self.progress_label = w.HTML()
        self.saving_note = self.autosave.note
        self.submit_button = w.Button(description=t("submit_button"), button_style="primary")
        self.submit_button.on_click(lambda _: self.submit())  # submit() shows the busy state first
        self.results = w.VBox()

        header = [f"<h2>{html.escape(pick(inst.title, language))}</h2>",
                  f"<p>{html.escape(pick(inst.instructions, language))}</p>"]
        if inst.adapted_wording_note:
            header.append(f"<details><summary>{html.escape(t('adapted_note_heading'))}</summary>"
                          f"<p class='attune-note'>{html.escape(pick(inst.adapted_wording_note, language))}</p></details>")
        super().__init__([
            style_widget(*self.stylesheets), w.HTML("".join(header)), self.saving_note,
            w.VBox([c.widget for c in self.controls]),
            self.progress_bar, self.progress_label, self.submit_button, self.results,
        ])
        self.add_class("attune")
        self.autosave.start()
        self._refresh()

    # -- saving ------------------------------------------------------------------------------

    @property
    def code(self) -> str | None:
        return self.autosave.code

    @property
    def saving(self) -> bool:
        """Whether answers go to the store: a store, a code, and the participant's storage consent."""
        return self.autosave.saving

    @property
    def save_errors(self) -> list[str]:
        return self.autosave.errors

    def _t(self, key: str, **values) -> str:
        return ui(key, self.language, **values)

    def _control(self, item_id: str) -> ItemControl:
        return next(c for c in self.controls if c.item.id == item_id)

    def _answer_changed(self, control: ItemControl) -> None:
        self.autosave.save(control.item.id, control.value, typing=control.item.type == "free_text")
        self._refresh()

    def _show(self, answers: dict[str, Any]) -> None:
        """Put saved (or re-saved) answers on the page without saving them again."""
        for control in self.controls:
            if control.item.id in answers:
                control.set_value(answers[control.item.id])
        self._refresh()

    def _refresh(self) -> None:
        """Show progress after answers changed (subclasses show more)."""
        answered = sum(c.value is not None for c in self.controls)
        self.progress_bar.value = answered
        progress = self._t("progress", answered=answered, total=len(self.controls))
        self.progress_label.value = f"<span role='status'>{html.escape(progress)}</span>"

    # -- answering from code (tests, demos) -------------------------------------------------

    def answer(self, item_id: str, value: Any) -> None:
        """Answer as a participant would by clicking: the value is shown and autosaved."""
        control = self._control(item_id)
        if control.item.type == "slider" and isinstance(value, (int, float)):
            control._slider.value = value
            control._slider_moved()
        elif control.item.type == "multiple_choice":
            for v, box in zip(control._boxes_values, control._boxes, strict=False):
                box.value = v in (value or [])
        elif control.item.type == "free_text":
            control.control.value = value or ""
        else:
            control.control.value = value

    @property
    def answers(self) -> dict[str, Any]:
        return {c.item.id: c.value for c in self.controls}

    # -- submitting ---------------------------------------------------------------------------

    def _busy(self) -> w.HTML:
        """At the tap: the button disabled and "Working out your results…" announced (aria-busy), sent
        to the page before the scoring starts; the feedback replaces it."""
        self.submit_button.disabled = True
        working = html.escape(self._t("results_working"))
        note = w.HTML(f"<p class='attune-working' role='status' aria-live='polite' aria-busy='true'>{working}</p>")
        self.results.children = (note,)
        return note

    def submit(self) -> PersonalReport:
        """Score, check safety rules, record the submission and show the participant's own feedback."""
        note = self._busy()
        try:
            return self._submit()
        finally:
            if self.results.children == (note,):  # no feedback came (an error): do not stay busy
                self.results.children = ()
            self.submit_button.disabled = False

    def _submit(self) -> PersonalReport:
        self.autosave.flush()  # typed text not yet saved
        report = personal_report(self.instrument, self.answers, language=self.language, locale=self.locale)
        self.result = report
        self.checkin_recorded = False
        if self.saving:
            try:
                # Only a check_in rule raises a flag by itself; at "info" the participant may still ask.
                flag = report.level == "check_in"
                self.checkin_recorded = self.store.submit(self.code, self.instrument, self.timepoint,
                                                          level="check_in" if flag else None,
                                                          rules=report.rules if flag else ())
            except AttuneError as exc:
                self.save_errors.append(str(exc))
        self.figures = [report.figure] if report.figure is not None else []
        self.results.children = render_results(report, self.instrument, language=self.language, code=self.code,
                                               checkin_recorded=self.checkin_recorded,
                                               on_checkin=self.request_checkin if self.saving else None)
        if self.on_submit:
            self.on_submit(self)
        return report

    def request_checkin(self) -> bool:
        """The participant asks for a private check-in: record consent and the flag (only them and the facilitator)."""
        if not (self.result and self.result.level and self.store is not None and self.code):
            return False
        if not self.saving:
            return False
        self.store.register(self.code, storage_consent=True, checkin_consent=True)
        if self.autosave.join is not None:
            self.autosave.join.checkin_consent = True
        return self.store.submit(self.code, self.instrument, self.timepoint, level=self.result.level,
                                 rules=self.result.rules)
