"""Feeling words: families of words for emotions, shared by the exercises that let a participant name one.

The words are data (``content/exercises/emotions.yaml``). The emotion explorer shows them
by family; the I-statement builder offers them as the feeling of its sentence.
"""

from __future__ import annotations

from pydantic import Field

from toolkit.content.text import pick
from toolkit.instruments.model import Id, Strict, Text
from toolkit.widgets.exercise import load_content


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
