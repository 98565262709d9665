"""A questionnaire form built from any instrument file: answers autosave, feedback is private.

The form is a thin shell. It saves each answer the moment it is given (when the
participant consented to storage), restores saved answers when it is built again for the
same participant and timepoint, and on submit hands the answers to the core: scoring,
safety rules, personal feedback and a chart. Whatever a participant typed is only ever
shown back escaped.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from toolkit.content.text import pick, ui
from toolkit.errors import AttuneError
from toolkit.instruments import Instrument, load_instrument
from toolkit.widgets.items import ItemControl
from toolkit.widgets.join import JoinForm, is_saving
from toolkit.widgets.style import style_widget


class QuestionnaireForm(w.VBox):
    """``QuestionnaireForm(instrument, store=..., participant=..., timepoint=...)``.

    ``participant`` is a code, or the page's ``JoinForm`` (the form then starts saving as
    soon as the participant joins with consent). ``locale`` picks the crisis resources
    shown when a safety rule fires.
    """

    def __init__(self, instrument: Instrument | str, store=None, participant: str | JoinForm | None = None,
                 timepoint: str = "pre", *, language: str = "en", locale: str | None = None,
                 on_submit: Callable[[QuestionnaireForm], None] | None = None):
        self.instrument = load_instrument(instrument)
        self.store = store
        self.timepoint = timepoint
        self.language = language
        self.locale = locale
        self.on_submit = on_submit
        self.result: dict[str, Any] | None = None
        self.figures: list = []
        self.save_errors: list[str] = []
        self._pending: dict = {}  # item id -> scheduled save of free text
        self._join = participant if isinstance(participant, JoinForm) else None
        self.code: str | None = participant if isinstance(participant, str) else None
        t = self._t
        inst = self.instrument

        self.controls = [ItemControl(inst, item, language, n) for n, item in enumerate(inst.items, start=1)]
        for control in self.controls:
            control.on_change(self._answer_changed)
        self.progress_bar = w.IntProgress(value=0, min=0, max=len(self.controls), description="",
                                          layout=w.Layout(width="100%"))
        self.progress_label = w.HTML()
        self.saving_note = w.HTML()
        self.submit_button = w.Button(description=t("submit_button"), button_style="primary")
        self.submit_button.on_click(lambda _: self.submit())
        self.results = w.VBox()

        header = [f"<h2>{html.escape(pick(inst.title, language))}</h2>",
                  f"<p>{html.escape(pick(inst.instructions, language))}</p>"]
        if inst.adapted_wording_note:
            header.append(f"<details><summary>{html.escape(t('adapted_note_heading'))}</summary>"
                          f"<p class='attune-note'>{html.escape(pick(inst.adapted_wording_note, language))}</p></details>")
        super().__init__([
            style_widget(), w.HTML("".join(header)), self.saving_note,
            w.VBox([c.widget for c in self.controls]),
            self.progress_bar, self.progress_label, self.submit_button, self.results,
        ])
        self.add_class("attune")
        if self._join is not None:
            self._join.on_join(self._joined)
            if self._join.code:
                self._joined(self._join)
        else:
            self._restore()
        self._update_progress()

    # -- saving ------------------------------------------------------------------------------

    @property
    def saving(self) -> bool:
        """Whether answers go to the store: a store, a code, and the participant's storage consent."""
        return is_saving(self.store, self.code, self._join)

    def _t(self, key: str, **values) -> str:
        return ui(key, self.language, **values)

    def _joined(self, join: JoinForm) -> None:
        """The participant joined (or erased): restore what was saved, then save what is on the page."""
        self.code = join.code
        on_page = {c.item.id: c.value for c in self.controls if c.value is not None}
        self._restore()
        if self.saving:
            for item_id, value in on_page.items():
                self._save(item_id, value)
                self._control(item_id).set_value(value)
        self._update_progress()

    def _restore(self) -> None:
        if self.saving:
            saved = self.store.saved_answers(self.code, self.instrument, self.timepoint)
            for control in self.controls:
                if control.item.id in saved:
                    control.set_value(saved[control.item.id])
        self.saving_note.value = (f"<p class='attune-note'>{html.escape(self._t('saved_note', code=self.code))}</p>"
                                  if self.saving else
                                  f"<p class='attune-note'>{html.escape(self._t('not_saved_note'))}</p>")

    def _control(self, item_id: str) -> ItemControl:
        return next(c for c in self.controls if c.item.id == item_id)

    def _answer_changed(self, control: ItemControl) -> None:
        if self.saving:
            if control.item.type == "free_text":
                self._save_soon(control)
            else:
                self._save(control.item.id, control.value)
        self._update_progress()

    def _save_soon(self, control: ItemControl, delay: float = 0.8) -> None:
        """Free text arrives keystroke by keystroke: save once typing pauses, so a closed tab loses
        at most the last moment of typing. Outside a kernel (tests, scripts) save at once: another
        library's loop may look "running" there without ever running our callback."""
        import asyncio

        if not _in_kernel():
            self._save(control.item.id, control.value)
            return
        loop = asyncio.get_running_loop()
        pending = self._pending.pop(control.item.id, None)
        if pending is not None:
            pending.cancel()
        self._pending[control.item.id] = loop.call_later(
            delay, lambda: (self._pending.pop(control.item.id, None), self._save(control.item.id, control.value)))

    def _save(self, item_id: str, value: Any) -> None:
        try:
            self.store.record_answer(self.code, self.instrument, item_id, value, timepoint=self.timepoint)
        except AttuneError as exc:
            message = self._t("save_error", reason=str(exc))
            self.save_errors.append(message)
            self.saving_note.value = f"<p role='alert'>{html.escape(message)}</p>"

    def _update_progress(self) -> None:
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

    def submit(self) -> dict[str, Any]:
        """Score, check safety rules, record the submission and show the participant's own feedback."""
        from toolkit.core.feedback import personal_report
        from toolkit.widgets.results import render_results

        for item_id, pending in list(self._pending.items()):  # typed text not yet saved
            pending.cancel()
            self._pending.pop(item_id, None)
            self._save(item_id, self._control(item_id).value)

        self.result = personal_report(self.instrument, self.answers, language=self.language, locale=self.locale)
        checkin_recorded = False
        if self.saving:
            try:
                # Only a check_in rule raises a flag by itself; at "info" the participant may still ask.
                flag = self.result["level"] == "check_in"
                checkin_recorded = self.store.submit(self.code, self.instrument, self.timepoint,
                                                     level="check_in" if flag else None,
                                                     rules=self.result["rules"] if flag else ())
            except AttuneError as exc:
                self.save_errors.append(str(exc))
        self.result["checkin_recorded"] = checkin_recorded
        self.figures = [self.result["figure"]] if self.result.get("figure") is not None else []
        self.results.children = render_results(self, self.result)
        if self.on_submit:
            self.on_submit(self)
        return self.result

    def request_checkin(self) -> bool:
        """The participant asks for a private check-in: record consent and the flag (only them and the facilitator)."""
        if not (self.result and self.result["level"] and self.store is not None and self.code):
            return False
        if not self.saving:
            return False
        self.store.register(self.code, storage_consent=True, checkin_consent=True)
        if self._join is not None:
            self._join.checkin_consent = True
        return self.store.submit(self.code, self.instrument, self.timepoint, level=self.result["level"],
                                 rules=self.result["rules"])


def _in_kernel() -> bool:
    """Whether this runs inside a Jupyter kernel, whose event loop runs scheduled callbacks."""
    import asyncio

    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
