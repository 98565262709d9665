"""The take-home download: the participant's own summary as one HTML file, offered as a link.

The link is an anchor with the ``download`` attribute whose address is a
``data:text/html;base64,…`` URI holding the whole file, so the download needs no server
route and sends nothing anywhere. The file is built only when the participant presses
"Prepare my summary" (it carries plotly.js, a few megabytes), from:

* what is saved under their code, only if they joined with storage consent, and
* the forms on this page (``forms=[...]``), so that someone who chose not to save can
  still take their plan home. A form on the page replaces the saved copy of the same
  instrument and timepoint, because it is the newer one.

The participant chooses which parts go into the file (everything optional); the privacy
note says that the file holds private answers and suggests where to keep it.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from datetime import date

import ipywidgets as w

from toolkit.content.text import pick
from toolkit.errors import AttuneError, UnknownInstrumentError
from toolkit.instruments import load_instrument
from toolkit.render.takehome import Entry, build_takehome_html, entry_label, first_step_content
from toolkit.widgets import JoinForm
from toolkit.widgets.autosave import PageParticipant
from toolkit.widgets.exercise import exercise_style

DEFAULT_FILENAME = "attune-summary.html"


def download_anchor(document: str, label: str, filename: str = DEFAULT_FILENAME) -> str:
    """An ``<a download>`` whose ``data:text/html;base64`` address decodes back to ``document``."""
    payload = base64.b64encode(document.encode("utf-8")).decode("ascii")
    return (f"<a class='attune-download' download='{html.escape(filename)}' "
            f"href='data:text/html;charset=utf-8;base64,{payload}'>{html.escape(label)}</a>")


def decode_anchor(anchor: str) -> str:
    """The document inside an anchor made by ``download_anchor`` (for tests and checks)."""
    start = anchor.index(";base64,") + len(";base64,")
    end = anchor.index("'", start)
    return base64.b64decode(anchor[start:end]).decode("utf-8")


def saved_entries(store, code: str) -> list[Entry]:
    """Everything saved under ``code``, one entry per instrument and timepoint, in the order answered.

    Instruments that are not bundled (a workshop's own file, known by id only) are skipped.
    """
    if store is None or not code:
        return []
    frame = store.answers(participant=code)
    if frame.empty:
        return []
    first = frame.groupby(["instrument", "timepoint"], sort=False)["answered_at"].min().sort_values()
    entries: list[Entry] = []
    for instrument_id, timepoint in first.index:
        try:
            inst = load_instrument(instrument_id)
        except (UnknownInstrumentError, AttuneError):
            continue
        entries.append(Entry(inst, store.saved_answers(code, inst, timepoint), timepoint))
    return entries


def merge_entries(saved: Iterable[Entry], on_page: Iterable[Entry]) -> list[Entry]:
    """Saved entries, each replaced by the page's copy of the same instrument and timepoint; then page-only ones."""
    page = {(e.instrument.id, e.timepoint): e for e in on_page}
    out = []
    for entry in saved:
        out.append(page.pop((entry.instrument.id, entry.timepoint), entry))
    out.extend(page.values())
    return [e for e in out if e.has_answers]


def _page_entry(form) -> Entry:
    """An entry from a form on the page (a ``QuestionnaireForm``, ``PlanForm`` or anything with the same parts)."""
    entry = getattr(form, "entry", None)
    if isinstance(entry, Entry):
        return entry
    return Entry(load_instrument(form.instrument), dict(form.answers), getattr(form, "timepoint", ""))


class TakeHomeDownload(w.VBox):
    """``TakeHomeDownload(store, participant, forms=[...], language=...)``: prepare, choose, download."""

    def __init__(self, store=None, participant: str | JoinForm | None = None, *, forms: Iterable = (),
                 language: str = "en", filename: str = DEFAULT_FILENAME, today: str | None = None):
        self.store = store
        self.language = language
        self.filename = filename
        self.today = today
        self.forms = list(forms)
        self.participant = PageParticipant(store, participant)
        self.entries: list[Entry] = []
        self._boxes: list[w.Checkbox] = []
        self.document: str = ""
        t = first_step_content().takehome
        self.texts = t
        self.prepare_button = w.Button(description=pick(t.prepare_button, language), button_style="primary")
        self.prepare_button.on_click(lambda _: self.prepare())
        self.choices = w.VBox()
        self.questions_box = w.Checkbox(value=True, description=pick(t.include_questions, language), indent=False)
        self.questions_box.observe(lambda _: self._build(), names="value")
        self.link = w.HTML()
        self.status = w.HTML()
        e = html.escape
        super().__init__([
            exercise_style(),
            w.HTML(f"<h3>{e(pick(t.heading, language))}</h3><p>{e(pick(t.intro, language))}</p>"
                   f"<div class='attune-private' role='note'><p>{e(pick(t.privacy, language))}</p></div>"),
            self.prepare_button, self.status, self.choices, self.link,
        ])
        self.add_class("attune")

    # -- who and what ------------------------------------------------------------------------

    @property
    def code(self) -> str | None:
        return self.participant.code

    @property
    def saving(self) -> bool:
        """Saved answers are read only for a participant who consented to storage (as the forms do)."""
        return self.participant.saving

    def collect(self) -> list[Entry]:
        """Saved entries (with consent) merged with the forms on this page."""
        saved = saved_entries(self.store, self.code) if self.saving else []
        return merge_entries(saved, (_page_entry(f) for f in self.forms))

    # -- actions (also called directly by tests) ------------------------------------------------

    def prepare(self) -> str:
        """Gather the participant's entries, offer a choice of parts, and build the link; returns the document."""
        t, lang = self.texts, self.language
        self.entries = self.collect()
        repeated = {e.instrument.id for e in self.entries if sum(x.instrument.id == e.instrument.id
                                                                  for x in self.entries) > 1}
        self._boxes = [w.Checkbox(value=True, indent=False,
                                  description=entry_label(e, lang, with_timepoint=e.instrument.id in repeated))
                       for e in self.entries]
        for box in self._boxes:
            box.observe(lambda _: self._build(), names="value")
        if not self.entries:
            self.choices.children = []
            self.link.value = ""
            self.document = ""
            self.status.value = f"<p role='status'>{html.escape(pick(t.nothing_yet, lang))}</p>"
            return ""
        self.choices.children = [w.HTML(f"<p><b>{html.escape(pick(t.choose_heading, lang))}</b></p>"),
                                 *self._boxes, self.questions_box]
        self.status.value = f"<p role='status'>{html.escape(pick(t.ready, lang))}</p>"
        return self._build()

    def choose(self, instrument_id: str, include: bool) -> None:
        """Include or leave out every part from ``instrument_id`` (as unticking its box does)."""
        for entry, box in zip(self.entries, self._boxes, strict=False):
            if entry.instrument.id == instrument_id:
                box.value = include

    def _build(self) -> str:
        if not self.entries:
            return ""
        chosen = [e for e, box in zip(self.entries, self._boxes, strict=False) if box.value]
        self.document = build_takehome_html(chosen, language=self.language, code=self.code,
                                            created=self.today or date.today().isoformat(),
                                            include_questions=self.questions_box.value)
        self.link.value = download_anchor(self.document, pick(self.texts.download_label, self.language), self.filename)
        return self.document


def takehome(session, forms: Iterable = ()) -> TakeHomeDownload:
    """For a notebook: ``takehome(session, forms=[conversation, action])``."""
    return TakeHomeDownload(session.store, session.join_form, forms=forms, language=session.language)
