"""What a session notebook needs in one object: the store, the participant's join form, forms.

Notebooks hold prose and calls; this shell wires the parameters cell (language, store
path, participant, locale) to the widgets so that every session notebook starts the same
way and a trainer can run any of them with other settings.
"""

from __future__ import annotations


class Session:
    """``Session(language=..., store_path=..., participant=..., locale=...)`` for one notebook."""

    def __init__(self, *, language: str = "en", store_path: str | None = None, participant: str | None = None,
                 locale: str | None = None, k: int | None = None):
        from toolkit.settings import current_workshop, resolve_k, resolve_locale, resolve_store_path
        from toolkit.store.sqlite import ResponseStore
        from toolkit.widgets import JoinForm

        workshop = current_workshop()  # set by `attune serve` for its kernels
        k = resolve_k(k, workshop)
        self.language = language
        self.locale = resolve_locale(locale, workshop)
        self.store = ResponseStore(resolve_store_path(store_path, workshop))
        self.join_form = JoinForm(self.store, language=language, k=k)
        if participant:
            self.join_form.code_input.value = participant

    def join(self):
        """The join-and-consent widget (show it at the top of the notebook)."""
        return self.join_form

    @property
    def code(self) -> str | None:
        return self.join_form.code

    def questionnaire(self, instrument: str, timepoint: str = "pre"):
        """A questionnaire form that saves under the joined participant (if they consented)."""
        from toolkit.widgets import QuestionnaireForm

        return QuestionnaireForm(instrument, self.store, self.join_form, timepoint,
                                 language=self.language, locale=self.locale)
