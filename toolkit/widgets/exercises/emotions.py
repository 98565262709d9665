"""Emotion-vocabulary explorer: families of feeling words; pick today's and see them named back.

Naming a feeling precisely is part of emotional awareness (curriculum, session 4). The words
and families are data (``content/exercises/emotions.yaml``); the picks are kept through the
``emotion_checkin`` exercise instrument, so they follow the store's consent rules.

This module also holds what the saving exercises share: reading an exercise's content file
and ``ExerciseAnswers``, the consent-aware saving that ``QuestionnaireForm`` does for
questionnaires. The I-statement builder imports both from here (it uses the feeling words).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import ipywidgets as w
from pydantic import BaseModel, Field

from toolkit.content import EXERCISES_DIR
from toolkit.content.datafile import read_yaml, validate
from toolkit.content.text import pick, ui
from toolkit.errors import AttuneError
from toolkit.instruments import MISSING_CODES, load_instrument
from toolkit.instruments.model import Id, Strict, Text
from toolkit.widgets import JoinForm
from toolkit.widgets.join import is_saving
from toolkit.widgets.style import style_widget

CONTENT_DIR = EXERCISES_DIR
M = TypeVar("M", bound=BaseModel)

# Additions to widgets/style.py for the exercises, scoped to their own class so that the
# questionnaire forms on the same page keep their look. On a 360 px phone: text at 16 px,
# labels above their controls and left-aligned, touch targets of about 44 px, and the
# timers' buttons side by side.
EXERCISE_CSS = """
<style>
.attune-exercise .widget-html-content { font-size: 16px; line-height: 1.45; }
.attune-exercise .widget-label { text-align: left; }
.attune-exercise .attune-item > .widget-dropdown > select { flex: 0 0 auto; height: 40px; width: 100%;
  font-size: 16px; }
.attune-exercise .attune-item > .widget-text > input { align-self: stretch; }
.attune-exercise .attune-item .widget-inline-hbox { margin-left: 0; margin-right: 0; max-width: 100%; }
.attune-exercise .attune-section { border-bottom: 1px solid #d0d0d0; padding: 10px 0 12px 0; width: 100%; }
.attune-exercise .widget-checkbox { min-height: 36px; }
.attune-exercise .widget-checkbox span { font-size: 16px; }
.attune-exercise .widget-checkbox input[type=checkbox] { width: 20px; height: 20px; margin-right: 10px; }
.attune-exercise .widget-play .jupyter-button { min-width: 56px; min-height: 44px; font-size: 18px; }
.attune-exercise .widget-readout { font-size: 20px; font-weight: 600; min-width: 6em; text-align: left; }
</style>
"""


def exercise_style() -> w.HTML:
    """The toolkit's stylesheet and the exercises' additions; include once per exercise widget."""
    return w.HTML(style_widget().value + EXERCISE_CSS, layout=w.Layout(display="none"))


def exercise_box(widget: w.Box) -> None:
    """Give an exercise widget the classes its styles hang on."""
    widget.add_class("attune")
    widget.add_class("attune-exercise")


@cache
def load_content(name: str, model: type[M]) -> M:
    """An exercise's content file, checked against its model (problems reported as path:line)."""
    return validate(read_yaml(CONTENT_DIR / f"{name}.yaml"), model)


class ExerciseAnswers:
    """Saves an exercise's answers as ``QuestionnaireForm`` does for a questionnaire.

    Nothing is written without a store, a code and the participant's storage consent. When
    the participant joins (through the page's ``JoinForm``), saved answers are shown first,
    then whatever is already on the page is saved over them. ``show(answers)`` puts answers on
    the page without them being saved again; ``note`` says whether answers are being saved.
    """

    def __init__(self, instrument: str, store, participant: str | JoinForm | None, timepoint: str,
                 language: str, show: Callable[[dict[str, Any]], None]):
        self.instrument = load_instrument(instrument)
        self.store = store
        self.timepoint = timepoint
        self.language = language
        self._show = show
        self._join = participant if isinstance(participant, JoinForm) else None
        self.code: str | None = participant if isinstance(participant, str) else None
        self.on_page: dict[str, Any] = {}
        self.errors: list[str] = []
        self.note = w.HTML()

    def start(self) -> None:
        """Call once the widget's controls exist: restore, and follow the join form from now on."""
        if self._join is not None:
            self._join.on_join(self._joined)
            if self._join.code:
                self._joined(self._join)
                return
        self._restore()

    @property
    def saving(self) -> bool:
        return is_saving(self.store, self.code, self._join)

    def save(self, item_id: str, value: Any) -> None:
        """Remember a changed answer; write it when the participant consented to storage."""
        if self.on_page.get(item_id) == value:
            return
        self.on_page[item_id] = value
        if not self.saving:
            return
        try:
            self.store.record_answer(self.code, self.instrument, item_id, value, timepoint=self.timepoint)
        except AttuneError as exc:
            message = ui("save_error", self.language, reason=str(exc))
            self.errors.append(message)
            self.note.value = f"<p role='alert'>{html.escape(message)}</p>"

    def _joined(self, join: JoinForm) -> None:
        self.code = join.code
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
                     if v not in MISSING_CODES}
            if saved:
                self.on_page.update(saved)
                self._show(saved)
            note = ui("saved_note", self.language, code=self.code)
            self.note.value = f"<p class='attune-note'>{html.escape(note)}</p>"
        else:
            self.note.value = f"<p class='attune-note'>{html.escape(ui('not_saved_note', self.language))}</p>"


# -- content -----------------------------------------------------------------------------------


class Word(Strict):
    id: Id
    text: Text


class Family(Strict):
    id: Id
    value: int  # the family's option value in emotion_checkin.yaml (item `families`)
    name: Text
    hint: Text
    words: list[Word] = Field(min_length=1)


class EmotionsContent(Strict):
    title: Text
    intro: Text
    own_words_label: Text
    own_words_placeholder: Text
    today_i_notice: Text
    nothing_yet: Text
    clear_button: Text
    private_note: Text
    source_note: Text
    families: list[Family] = Field(min_length=1)


def emotions_content() -> EmotionsContent:
    return load_content("emotions", EmotionsContent)


def feeling_words(language: str = "en") -> list[tuple[str, str, str]]:
    """Every feeling word as (word id, word, family name) in ``language``, in the file's order."""
    return [(word.id, pick(word.text, language), pick(family.name, language))
            for family in emotions_content().families for word in family.words]


def name_back(words: list[str], language: str = "en") -> str:
    """"Today I notice: calm, hopeful." as plain text (escape it to show it), or "" for no words."""
    words = [word.strip() for word in words if word and word.strip()]
    if not words:
        return ""
    return pick(emotions_content().today_i_notice, language).format(words=", ".join(words))


# -- widget ------------------------------------------------------------------------------------


class EmotionExplorer(w.VBox):
    """``EmotionExplorer(store, participant, timepoint, language=...)``: tick the words that fit today."""

    def __init__(self, store=None, participant: str | JoinForm | None = None, timepoint: str = "pre", *,
                 language: str = "en"):
        content = emotions_content()
        self.language = language
        self._quiet = False
        self._family_of: dict[str, int] = {}
        self.boxes: dict[str, w.Checkbox] = {}
        sections = []
        for family in content.families:
            header = w.HTML(f"<h4>{html.escape(pick(family.name, language))}</h4>"
                            f"<p class='attune-note'>{html.escape(pick(family.hint, language))}</p>")
            boxes = []
            for word in family.words:
                box = w.Checkbox(value=False, description=pick(word.text, language), indent=False)
                box.observe(lambda _: self._changed(), names="value")
                self.boxes[word.id] = box
                self._family_of[word.id] = family.value
                boxes.append(box)
            section = w.VBox([header, *boxes])
            section.add_class("attune-item")
            sections.append(section)
        self.own_words = w.Text(description=pick(content.own_words_label, language),
                                placeholder=pick(content.own_words_placeholder, language),
                                continuous_update=False, style={"description_width": "initial"},
                                layout=w.Layout(width="100%"))
        self.own_words.observe(lambda _: self._changed(), names="value")
        self.named_back = w.HTML()
        self.clear_button = w.Button(description=pick(content.clear_button, language))
        self.clear_button.on_click(lambda _: self.clear())
        self.answers = ExerciseAnswers("emotion_checkin", store, participant, timepoint, language, self._show)

        own = w.VBox([self.own_words])
        own.add_class("attune-item")
        super().__init__([
            exercise_style(),
            w.HTML(f"<h2>{html.escape(pick(content.title, language))}</h2>"
                   f"<p>{html.escape(pick(content.intro, language))}</p>"),
            self.answers.note, *sections, own, self.named_back, self.clear_button,
            w.HTML(f"<p class='attune-note'>{html.escape(pick(content.private_note, language))}</p>"
                   f"<p class='attune-note'>{html.escape(pick(content.source_note, language))}</p>"),
        ])
        exercise_box(self)
        self.answers.start()
        self._refresh()

    @property
    def picked(self) -> list[str]:
        """Ids of the ticked words, in the order of the content file."""
        return [word_id for word_id, box in self.boxes.items() if box.value]

    @property
    def shown_words(self) -> list[str]:
        """The words named back: ticked words in this language, then the participant's own words."""
        words = [self.boxes[word_id].description for word_id in self.picked]
        return words + [part for part in self.own_words.value.split(",") if part.strip()]

    def pick_words(self, *word_ids: str) -> None:
        """Tick words as a participant would (tests, demos)."""
        for word_id in word_ids:
            self.boxes[word_id].value = True

    def clear(self) -> None:
        self._quiet = True
        try:
            for box in self.boxes.values():
                box.value = False
            self.own_words.value = ""
        finally:
            self._quiet = False
        self._changed()

    def _changed(self) -> None:
        self._refresh()
        if self._quiet:
            return
        picked = self.picked
        families = sorted({self._family_of[word_id] for word_id in picked})
        self.answers.save("families", families or None)
        self.answers.save("words", ", ".join(picked) or None)
        self.answers.save("own_words", self.own_words.value.strip() or None)

    def _refresh(self) -> None:
        text = name_back(self.shown_words, self.language)
        if text:
            self.named_back.value = f"<div class='attune-feedback' role='status'><p>{html.escape(text)}</p></div>"
        else:
            message = pick(emotions_content().nothing_yet, self.language)
            self.named_back.value = f"<p class='attune-note' role='status'>{html.escape(message)}</p>"

    def _show(self, answers: dict[str, Any]) -> None:
        self._quiet = True
        try:
            if "words" in answers:
                chosen = {part.strip() for part in str(answers["words"] or "").split(",")}
                for word_id, box in self.boxes.items():
                    box.value = word_id in chosen
            if "own_words" in answers:
                self.own_words.value = answers["own_words"] or ""
        finally:
            self._quiet = False
        self._refresh()
