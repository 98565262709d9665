"""Joining a workshop: a pseudonymous code, explicit and separate consents, and who may come back.

A code names a participant; it opens nothing. What opens a participant's record is the
device key their browser keeps (``device``: the workshop server's HttpOnly cookie, handed
to the kernel by Voilà; a page without one gets a key of its own, good for this page only)
or, on another device, their code with the recovery phrase shown once when they joined.
A typed code without its phrase is treated exactly like a code nobody has: the page says
the same thing, takes the same time and shows nothing, so codes cannot be tried out.
"""

from __future__ import annotations

import html
import threading
import time
import weakref
from collections.abc import Callable

import ipywidgets as w

from toolkit.content.text import ui
from toolkit.core.pseudonyms import is_valid_code, new_code, normalise_code
from toolkit.core.resume import AttemptBudget, new_device_key, new_phrase, read_phrase, show_phrase
from toolkit.errors import AttuneError
from toolkit.widgets.style import style_widget

#: The join form of each code that joined with consent on this kernel: lets a results panel
#: save the participant's choice of how to be reached (``page_join``).
_PAGES: weakref.WeakValueDictionary[str, JoinForm] = weakref.WeakValueDictionary()
REACH = ("break", "screen")


def page_join(code: str | None) -> JoinForm | None:
    """The join form on this kernel through which ``code`` joined with consent, if any."""
    page = _PAGES.get(code) if code else None
    return page if page is not None and page.saving and page.code == code else None


def _paragraphs(*lines: str, role: str = "status") -> str:
    return f"<div role='{role}'>" + "".join(f"<p>{html.escape(line)}</p>" for line in lines) + "</div>"


class JoinForm(w.VBox):
    """The first thing a participant sees: get a code (or come back with one), read what happens, choose.

    Without storage consent everything still works on the page, but nothing is written.
    Forms that were given this join form as their participant save from the moment the
    participant joins with consent (see ``on_join``). ``room`` caps how many participants
    the store may hold; ``clock`` (seconds) paces the page's attempts.
    """

    def __init__(self, store=None, *, language: str = "en", k: int = 5, device: str | None = None,
                 room: int | None = None, clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.language = language
        self.room = room
        self.code: str | None = None
        self.saving = False
        self.checkin_consent = False
        self.device = device if _usable(device) else new_device_key()
        self._offered: str | None = None  # a code this page drew (or the notebook named): the page may take it
        self._budget = AttemptBudget(clock)
        self._lock = threading.RLock()  # the device may be recognised from a background thread
        self._callbacks: list[Callable[[JoinForm], None]] = []
        t = lambda key, **kw: ui(key, language, **kw)  # noqa: E731

        self.new_code_button = w.Button(description=t("new_code_button"), tooltip=t("new_code_button"))
        self.code_input = w.Text(description=t("have_code_label"), placeholder=t("have_code_placeholder"),
                                 style={"description_width": "initial"})
        self.phrase_input = w.Text(description=t("phrase_label"), placeholder=t("phrase_placeholder"),
                                   style={"description_width": "initial"})
        self.consent_text = w.HTML(t("consent_text", k=k))
        self.storage_box = w.Checkbox(value=False, description=t("storage_consent_label"), indent=False)
        self.checkin_box = w.Checkbox(value=False, description=t("checkin_consent_label"), indent=False)
        self.reach = w.RadioButtons(options=[(t(f"reach_{r}"), r) for r in REACH], value=None,
                                    layout=w.Layout(width="auto"))
        self.reach_status = w.HTML()
        self.couple_input = w.Text(description=t("couple_label"), placeholder=t("have_code_placeholder"),
                                   style={"description_width": "initial"})
        self.couple_consent_box = w.Checkbox(value=False, description=t("couple_consent_label"), indent=False)
        self.continue_button = w.Button(description=t("continue_button"), button_style="primary")
        self.status = w.HTML()
        self.phrase_box = w.HTML()
        self.replace_confirm = w.Button(description=t("replace_confirm"), layout=w.Layout(display="none"))
        self.erase_button = w.Button(description=t("erase_button"), layout=w.Layout(display="none"))
        self.erase_confirm = w.Button(description=t("erase_confirm"), button_style="danger",
                                      layout=w.Layout(display="none"))

        self.new_code_button.on_click(lambda _: self._give_new_code())
        self.continue_button.on_click(lambda _: self.join())
        self.replace_confirm.on_click(lambda _: self.join(replace=True))
        self.erase_button.on_click(lambda _: setattr(self.erase_confirm.layout, "display", "flex"))
        self.erase_confirm.on_click(lambda _: self.erase())
        self.reach.observe(lambda change: self.choose_reach(change["new"]) if self.saving else None, names="value")

        super().__init__([
            style_widget(),
            w.HTML(f"<h2>{html.escape(t('join_heading'))}</h2><p>{html.escape(t('join_intro'))}</p>"),
            self.new_code_button, self.code_input, self.phrase_input,
            w.HTML(f"<h3>{html.escape(t('consent_heading'))}</h3>"), self.consent_text,
            self.storage_box, self.checkin_box, w.HTML(f"<p>{html.escape(t('reach_label'))}</p>"), self.reach,
            self.reach_status, self.couple_input, self.couple_consent_box,
            self.continue_button, self.status, self.phrase_box, self.replace_confirm,
            self.erase_button, self.erase_confirm,
        ])
        self.add_class("attune")
        if device is not None:
            self.recognise(device)

    # -- actions (also called directly by tests and notebooks) ---------------------------

    def _t(self, key: str, **values) -> str:
        return ui(key, self.language, **values)

    def _give_new_code(self) -> None:
        self.offer(self._fresh_code())

    def offer(self, code: str) -> None:
        """Put ``code`` on the form as this page's own (a new code, or one the notebook names)."""
        self._offered = normalise_code(code)
        self.code_input.value = code

    def _fresh_code(self) -> str:
        """A code nobody in this store has, so two people never share a record."""
        taken = set(self.store.participants()["code"]) if self.store is not None else set()
        return new_code(avoid=taken)

    def recognise(self, device: str | None) -> bool:
        """This browser's device key arrived: if it joined before, restore the participant's choices and answers."""
        with self._lock:
            if not _usable(device) or self.store is None:
                return False
            page_key, self.device = self.device, device
            if self.code is not None:  # joined before the key arrived: the browser keeps what this page began
                if self.store.owns(self.code, page_key):
                    self.store.add_device(self.code, device, holder=page_key)
                return False  # never switch the page to someone else under the participant
            code = self.store.device_code(device)
            record = self.store.participant(code) if code else None
            if not record or not record["storage_consent"]:
                return False
            self._offered = None
            self.code_input.value = code
            self._restore(record)
            self._joined_as(code, True, [self._t("welcome_back", code=code)])
            return True

    def join(self, code: str | None = None, *, storage_consent: bool | None = None,
             checkin_consent: bool | None = None, couple: str | None = None, phrase: str | None = None,
             replace: bool = False) -> bool:
        """Join with the code and choices on the form (or given here). Returns whether answers will be saved.

        A ``code`` given here is the notebook's (or a test's) choice, taken like a new code;
        a code typed into the form opens a stored record only with its ``phrase``.
        """
        with self._lock:
            return self._join(code, storage_consent, checkin_consent, couple, phrase, replace)

    def _join(self, code, storage_consent, checkin_consent, couple, phrase, replace) -> bool:
        t = self._t
        if code is not None:
            self.offer(code)
        if storage_consent is not None:
            self.storage_box.value = storage_consent
        if checkin_consent is not None:
            self.checkin_box.value = checkin_consent
        if couple is not None:
            self.couple_input.value = couple
        if phrase is not None:
            self.phrase_input.value = phrase
        self.status.value = ""  # every answer is new to the page (and to a screen reader), even a repeated one
        if not self._budget.take():
            return self._refuse("too_many_tries")
        self.replace_confirm.layout.display = "none"
        entered = normalise_code(self.code_input.value or "")
        if not entered:
            self.offer(entered := self._fresh_code())
        partner = normalise_code(self.couple_input.value or "") or None
        if not is_valid_code(entered) or (partner is not None and not is_valid_code(partner)):
            return self._refuse("code_invalid")
        if self.store is None:
            return self._joined_as(entered, False, [t("joined_not_saved", code=entered)])
        owner = self.store.device_code(self.device)
        if entered == owner:
            return self._choose_again(entered, partner)
        if entered == self._offered:
            return self._start(entered, partner, owner, replace)
        return self._come_back(entered)

    def _refuse(self, key: str, **values) -> bool:
        self.status.value = _paragraphs(self._t(key, **values), role="alert")
        return False

    def _restore(self, record: dict) -> None:
        """Put a stored participant's choices back on the form."""
        self.storage_box.value, self.checkin_box.value = True, bool(record["checkin_consent"])
        self.couple_consent_box.value = bool(record.get("couple_consent"))
        self.reach.value = record.get("checkin_reach") if record.get("checkin_reach") in REACH else None

    def _couple_line(self, code: str, partner: str) -> str:
        """Linked only when the couple features may use the link; otherwise the same words as for a pending one."""
        return self._t("couple_linked" if self.store.paired_with(code) == partner else "couple_pending")

    def _choose_again(self, code: str, partner: str | None) -> bool:
        """This device's own participant changes their choices (consents, couple link, how to be reached)."""
        try:
            saving = self.store.register(code, storage_consent=self.storage_box.value,
                                         checkin_consent=self.checkin_box.value, couple=partner,
                                         couple_consent=self.couple_consent_box.value)
            if saving:
                self.store.set_checkin_reach(code, self.reach.value)
        except AttuneError as exc:
            return self._refuse_text(str(exc))
        lines = [self._t("joined_saved" if saving else "joined_not_saved", code=code)]
        if not saving:
            lines.append(self._t("earlier_answers_kept"))
        elif partner:
            lines.append(self._couple_line(code, partner))
        return self._joined_as(code, saving, lines, erasable=True)

    def _start(self, code: str, partner: str | None, owner: str | None, replace: bool) -> bool:
        """A new participant: with consent, a record, this device, and a recovery phrase shown once."""
        t = self._t
        if not self.storage_box.value:
            return self._joined_as(code, False, [t("joined_not_saved", code=code)])
        if owner is not None and not replace:
            self.replace_confirm.layout.display = "flex"
            return self._refuse("replace_ask", code=owner)
        from toolkit.store.responses import CodeTakenError, RoomFullError

        phrase = new_phrase()
        try:
            self.store.enrol(code, device=self.device, phrase=phrase, checkin_consent=self.checkin_box.value,
                             couple=partner, room=self.room, couple_consent=self.couple_consent_box.value)
            if self.reach.value is not None:
                self.store.set_checkin_reach(code, self.reach.value)
        except RoomFullError:
            return self._refuse("room_full")
        except CodeTakenError:
            self._offered = None
            return self._refuse("code_taken")
        except AttuneError as exc:
            return self._refuse_text(str(exc))
        self.phrase_box.value = (
            f"<div class='attune-phrase' role='alert'><h3>{html.escape(t('phrase_heading'))}</h3>"
            f"<p><b>{html.escape(t('your_code', code=code))}</b><br>"
            f"<b>{html.escape(t('phrase_shown', phrase=show_phrase(phrase, self.language)))}</b></p>"
            f"<p>{html.escape(t('phrase_write_down'))}</p></div>")
        lines = [t("joined_saved", code=code)]
        if partner:
            lines.append(self._couple_line(code, partner))
        return self._joined_as(code, True, lines, erasable=True)

    def _come_back(self, code: str) -> bool:
        """A typed code: opens its record only with the right phrase; every other case reads the same."""
        typed = (self.phrase_input.value or "").strip()
        if not typed:
            return self._refuse("resume_needs_phrase")
        outcome = self.store.resume(code, read_phrase(typed, self.language), self.device)
        self.phrase_input.value = ""
        if outcome == "locked":
            return self._refuse("resume_locked")
        if outcome != "resumed":
            return self._refuse("resume_no_match")
        record = self.store.participant(code)
        self._offered = None
        if record:
            self._restore(record)
        return self._joined_as(code, True, [self._t("welcome_back", code=code)], erasable=True)

    def _refuse_text(self, message: str) -> bool:
        self.status.value = _paragraphs(message, role="alert")
        return False

    def _joined_as(self, code: str, saving: bool, lines: list[str], *, erasable: bool = False) -> bool:
        self.code, self.saving = code, saving
        self.checkin_consent = bool(self.checkin_box.value) and saving
        if saving:
            _PAGES[code] = self
        self.erase_button.layout.display = "flex" if saving or erasable else "none"
        for callback in list(self._callbacks):
            callback(self)
        # Said last: "your answers are filled in again" is true only once the forms have restored them.
        self.status.value = _paragraphs(*lines)
        return saving

    def erase(self) -> int:
        """Erase every stored row about this page's participant (this device's, never a typed code's)."""
        from toolkit.errors import UnknownParticipantError

        with self._lock:
            removed = 0
            if self.store is not None and self.store.owns(self.code, self.device):
                try:
                    removed = self.store.erase(self.code)
                except UnknownParticipantError:
                    removed = 0
            self.status.value = _paragraphs(self._t("erase_done" if removed else "erase_nothing", code=self.code or ""))
            self.saving = False
            self.storage_box.value = False
            self.phrase_box.value = ""
            self.erase_confirm.layout.display = "none"
            self.erase_button.layout.display = "none"
            for callback in list(self._callbacks):
                callback(self)
            return removed

    def choose_reach(self, reach: str | None) -> bool:
        """Save how this participant wants to be reached for a check-in (their own device only)."""
        with self._lock:
            if reach not in (*REACH, None) or self.store is None or not self.saving \
                    or not self.store.owns(self.code, self.device):
                return False
            self.store.set_checkin_reach(self.code, reach)
            if self.reach.value != reach:
                self.reach.value = reach  # the observer saves again: harmless, same value
            self.reach_status.value = _paragraphs(self._t("reach_saved")) if reach else ""
            return True

    def on_join(self, callback: Callable[[JoinForm], None]) -> None:
        """Call ``callback(join_form)`` whenever the participant joins, changes choices or erases."""
        self._callbacks.append(callback)


def _usable(device: object) -> bool:
    """A device key as the server makes them (long and random); anything else is ignored."""
    return isinstance(device, str) and 32 <= len(device) <= 128 and device.isascii()


def is_saving(store, code: str | None, join: JoinForm | None) -> bool:
    """Whether answers for ``code`` go to ``store``: a store, a code, and storage consent.

    With the page's join form, its current state decides (consent can change on the page);
    with a bare code, the store's consent record does.
    """
    if store is None or not code:
        return False
    if join is not None:
        return join.saving
    record = store.participant(code)
    return bool(record and record["storage_consent"])
