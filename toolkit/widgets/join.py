"""Joining a workshop: a pseudonymous code, and explicit, separate consents before anything is stored."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from toolkit.content.text import ui
from toolkit.core.pseudonyms import is_valid_code, new_code, normalise_code
from toolkit.errors import AttuneError
from toolkit.widgets.style import style_widget


class JoinForm(w.VBox):
    """The first thing a participant sees: get or enter a code, read what happens, choose.

    Without storage consent everything still works on the page, but nothing is written.
    Forms that were given this join form as their participant save from the moment the
    participant joins with consent (see ``on_join``).
    """

    def __init__(self, store=None, *, language: str = "en", k: int = 5):
        self.store = store
        self.language = language
        self.code: str | None = None
        self.saving = False
        self.checkin_consent = False
        self._callbacks: list[Callable[[JoinForm], None]] = []
        t = lambda key, **kw: ui(key, language, **kw)  # noqa: E731

        self.new_code_button = w.Button(description=t("new_code_button"), tooltip=t("new_code_button"))
        self.code_input = w.Text(description=t("have_code_label"), placeholder=t("have_code_placeholder"),
                                 style={"description_width": "initial"})
        self.consent_text = w.HTML(t("consent_text", k=k))
        self.storage_box = w.Checkbox(value=False, description=t("storage_consent_label"), indent=False)
        self.checkin_box = w.Checkbox(value=False, description=t("checkin_consent_label"), indent=False)
        self.couple_input = w.Text(description=t("couple_label"), placeholder=t("have_code_placeholder"),
                                   style={"description_width": "initial"})
        self.continue_button = w.Button(description=t("continue_button"), button_style="primary")
        self.status = w.HTML()
        self.erase_button = w.Button(description=t("erase_button"), layout=w.Layout(display="none"))
        self.erase_confirm = w.Button(description=t("erase_confirm"), button_style="danger",
                                      layout=w.Layout(display="none"))

        self.new_code_button.on_click(lambda _: self._give_new_code())
        self.code_input.observe(lambda ch: self._recognise(ch["new"]), names="value")
        self.continue_button.on_click(lambda _: self.join())
        self.erase_button.on_click(lambda _: setattr(self.erase_confirm.layout, "display", "flex"))
        self.erase_confirm.on_click(lambda _: self.erase())

        super().__init__([
            style_widget(),
            w.HTML(f"<h2>{html.escape(t('join_heading'))}</h2><p>{html.escape(t('join_intro'))}</p>"),
            self.new_code_button, self.code_input,
            w.HTML(f"<h3>{html.escape(t('consent_heading'))}</h3>"), self.consent_text,
            self.storage_box, self.checkin_box, self.couple_input,
            self.continue_button, self.status, self.erase_button, self.erase_confirm,
        ])
        self.add_class("attune")

    # -- actions (also called directly by tests and notebooks) ---------------------------

    def _give_new_code(self) -> None:
        self.code_input.value = self._fresh_code()

    def _recognise(self, text: str) -> None:
        """A returning participant (after a reload, on another device): keep the choices they made."""
        code = normalise_code(text or "")
        if self.store is None or not is_valid_code(code):
            return
        record = self.store.participant(code)
        if record and record["storage_consent"]:
            self.storage_box.value = True
            self.checkin_box.value = record["checkin_consent"]
            self.status.value = f"<div role='status'><p>{html.escape(ui('welcome_back', self.language))}</p></div>"

    def _fresh_code(self) -> str:
        """A code nobody in this store has, so two people never share a record."""
        taken = set(self.store.participants()["code"]) if self.store is not None else set()
        return new_code(avoid=taken)

    def join(self, code: str | None = None, *, storage_consent: bool | None = None,
             checkin_consent: bool | None = None, couple: str | None = None) -> bool:
        """Join with the code and choices on the form (or given here). Returns whether answers will be saved."""
        t = lambda key, **kw: ui(key, self.language, **kw)  # noqa: E731
        if code is not None:
            self.code_input.value = code
        if storage_consent is not None:
            self.storage_box.value = storage_consent
        if checkin_consent is not None:
            self.checkin_box.value = checkin_consent
        if couple is not None:
            self.couple_input.value = couple
        entered = normalise_code(self.code_input.value or "")
        if not entered:
            entered = self._fresh_code()
            self.code_input.value = entered
        if not is_valid_code(entered):
            self.status.value = f"<p role='alert'>{html.escape(t('code_invalid'))}</p>"
            return False
        partner = normalise_code(self.couple_input.value or "") or None
        if partner is not None and not is_valid_code(partner):
            self.status.value = f"<p role='alert'>{html.escape(t('code_invalid'))}</p>"
            return False
        saving = False
        if self.store is not None:
            try:
                saving = self.store.register(entered, storage_consent=self.storage_box.value,
                                             checkin_consent=self.checkin_box.value, couple=partner)
            except AttuneError as exc:
                self.status.value = f"<p role='alert'>{html.escape(str(exc))}</p>"
                return False
        self.code, self.saving, self.checkin_consent = entered, saving, bool(self.checkin_box.value) and saving
        lines = [t("joined_saved" if saving else "joined_not_saved", code=entered)]
        kept = not saving and self.store is not None and self.store.participant(entered) is not None
        if kept:
            lines.append(t("earlier_answers_kept"))
        if saving and partner:
            linked = self.store.couple_of(entered) == partner
            lines.append(t("couple_linked" if linked else "couple_pending"))
        self.status.value = "<div role='status'>" + "".join(f"<p>{html.escape(line)}</p>" for line in lines) + "</div>"
        self.erase_button.layout.display = "flex" if saving or kept else "none"
        for callback in list(self._callbacks):
            callback(self)
        return saving

    def erase(self) -> int:
        """Erase every stored row about this code; the page keeps working without saving."""
        from toolkit.errors import UnknownParticipantError

        t = lambda key, **kw: ui(key, self.language, **kw)  # noqa: E731
        removed = 0
        if self.store is not None and self.code:
            try:
                removed = self.store.erase(self.code)
            except UnknownParticipantError:
                removed = 0
        self.status.value = f"<p>{html.escape(t('erase_done' if removed else 'erase_nothing', code=self.code or ''))}</p>"
        self.saving = False
        self.storage_box.value = False
        self.erase_confirm.layout.display = "none"
        self.erase_button.layout.display = "none"
        for callback in list(self._callbacks):
            callback(self)
        return removed

    def on_join(self, callback: Callable[[JoinForm], None]) -> None:
        """Call ``callback(join_form)`` whenever the participant joins, changes choices or erases."""
        self._callbacks.append(callback)


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
