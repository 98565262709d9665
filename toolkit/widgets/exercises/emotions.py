"""Emotion-vocabulary explorer: families of feeling words; pick today's and see them named back.

Naming a feeling precisely is part of emotional awareness (curriculum, session 4). The words
and families are data (``content/exercises/emotions.yaml``, read by ``toolkit.widgets.feelings``);
the picks are kept through the ``emotion_checkin`` exercise instrument by
``toolkit.widgets.autosave``, so they follow the store's consent rules.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from toolkit.content.text import pick
from toolkit.widgets import JoinForm
from toolkit.widgets.autosave import Autosave
from toolkit.widgets.exercise import exercise_box, exercise_style
from toolkit.widgets.feelings import emotions_content


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
        self.answers = Autosave("emotion_checkin", store, participant, timepoint, language, self._show)

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
