"""Consent-aware autosave, the one way a form or an exercise keeps a participant's answers.

Questionnaires, plans and the saving exercises all keep answers the same way, so the rules
live here once: nothing is written without a store, a code and the participant's storage
consent (``toolkit.widgets.join.is_saving``); each answer is written (an upsert) the
moment it changes; a page built again for the same code shows what was saved; and answers
given before joining are saved once the participant joins with consent.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from toolkit.content.text import ui
from toolkit.errors import AttuneError
from toolkit.instruments import Instrument, load_instrument
from toolkit.widgets.join import JoinForm, is_saving

#: Seconds of no typing after which typed text is saved (inside a kernel).
TYPING_PAUSE = 0.8


class PageParticipant:
    """Who answers on this page (a code, or the page's ``JoinForm``) and whether their answers are saved."""

    def __init__(self, store, participant: str | JoinForm | None):
        self.store = store
        self.join = participant if isinstance(participant, JoinForm) else None
        self._code = participant if isinstance(participant, str) else None

    @property
    def code(self) -> str | None:
        return self.join.code if self.join is not None else self._code

    @property
    def saving(self) -> bool:
        return is_saving(self.store, self.code, self.join)


class Autosave(PageParticipant):
    """``Autosave(instrument, store, participant, timepoint, language, show)``: one instrument's answers.

    ``show(answers)`` puts answers on the page without them being saved again. Call
    ``start()`` once the page's controls exist: it shows what was saved for this code and,
    with a ``JoinForm``, follows it from then on (a join shows the saved answers, then saves
    what is already on the page over them). ``note`` says whether answers are being saved.
    """

    def __init__(self, instrument: Instrument | str, store, participant: str | JoinForm | None, timepoint: str,
                 language: str, show: Callable[[dict[str, Any]], None]):
        super().__init__(store, participant)
        self.instrument = load_instrument(instrument)
        self.timepoint = timepoint
        self.language = language
        self._show = show
        self.on_page: dict[str, Any] = {}
        self.errors: list[str] = []
        self.note = w.HTML()
        self._pending: dict[str, Any] = {}  # item id -> save scheduled for a pause in typing

    def start(self) -> None:
        if self.join is not None:
            self.join.on_join(self._joined)
            if self.join.code:
                self._joined(self.join)
                return
        self._restore()

    def save(self, item_id: str, value: Any, *, typing: bool = False) -> None:
        """Remember a changed answer; write it when the participant consented to storage.

        ``typing``: the value arrives keystroke by keystroke, so inside a kernel it is written
        once typing pauses (a closed tab loses at most the last moment of typing). Outside a
        kernel (tests, scripts) it is written at once: another library's loop may look
        "running" there without ever running our callback.
        """
        if self.on_page.get(item_id) == value:
            return
        self.on_page[item_id] = value
        if not self.saving:
            return
        self._cancel(item_id)
        if typing and _in_kernel():
            self._pending[item_id] = _loop().call_later(TYPING_PAUSE, self._write_later, item_id, value)
        else:
            self._write(item_id, value)

    def flush(self) -> None:
        """Write typed text still waiting for a pause (before submitting)."""
        for item_id in list(self._pending):
            self._cancel(item_id)
            if self.saving:
                self._write(item_id, self.on_page.get(item_id))

    def _cancel(self, item_id: str) -> None:
        pending = self._pending.pop(item_id, None)
        if pending is not None:
            pending.cancel()

    def _write_later(self, item_id: str, value: Any) -> None:
        self._pending.pop(item_id, None)
        if self.saving:  # consent may have been withdrawn while the participant typed
            self._write(item_id, value)

    def _write(self, item_id: str, value: Any) -> None:
        try:
            self.store.record_answer(self.code, self.instrument, item_id, value, timepoint=self.timepoint)
        except AttuneError as exc:
            message = ui("save_error", self.language, reason=str(exc))
            self.errors.append(message)
            self.note.value = f"<p role='alert'>{html.escape(message)}</p>"

    def _joined(self, join: JoinForm) -> None:
        """The participant joined (or erased): show what was saved, then save what is on the page."""
        for item_id in list(self._pending):
            self._cancel(item_id)  # saved again below, under the new choices
        page = {k: v for k, v in self.on_page.items() if v is not None}
        self.on_page = {}
        self._restore()
        for item_id, value in page.items():
            self.save(item_id, value)  # writes only what differs from the saved answer
        if self.saving and page:
            self._show(page)

    def _restore(self) -> None:
        if self.saving:
            saved = {k: v for k, v in self.store.saved_answers(self.code, self.instrument, self.timepoint).items()
                     if v != "skipped"}  # an answer cleared again is no answer to show
            if saved:
                self.on_page.update(saved)
                self._show(saved)
            note = ui("saved_note", self.language, code=self.code)
        else:
            note = ui("not_saved_note", self.language)
        self.note.value = f"<p class='attune-note'>{html.escape(note)}</p>"


def _loop():
    import asyncio

    return asyncio.get_running_loop()


def _in_kernel() -> bool:
    """Whether this runs inside a Jupyter kernel, whose event loop runs scheduled callbacks."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    try:
        _loop()
    except RuntimeError:
        return False
    return True
