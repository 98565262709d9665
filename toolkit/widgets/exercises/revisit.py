"""A prompt card for looking back together at a hard moment once both people are calm (session 6).

After the idea of "revisiting a rocky moment" (Johnson, 2008), framed for a psychoeducation
group: a card to read in the room and use at home, with its safety limits first in view.
Nothing is stored. Texts are data in ``content/exercises/revisit.yaml``.
"""

from __future__ import annotations

import html

import ipywidgets as w
from pydantic import Field

from toolkit.content.text import pick
from toolkit.instruments.model import Strict, Text
from toolkit.widgets.exercise import exercise_box, exercise_style, load_content


class RevisitContent(Strict):
    title: Text
    intro: Text
    before_heading: Text
    before: list[Text] = Field(min_length=1)
    steps_heading: Text
    steps: list[Text] = Field(min_length=1)
    starters_heading: Text
    starters: list[Text] = Field(min_length=1)
    own_notes_label: Text
    stop_note: Text
    safety_note: Text
    source_note: Text


def revisit_content() -> RevisitContent:
    return load_content("revisit", RevisitContent)


def revisit_html(language: str = "en") -> str:
    """The card as escaped HTML: what to check first, the steps, sentence starters, when to stop."""
    c = revisit_content()
    e = html.escape

    def t(text: Text) -> str:
        return e(pick(text, language))

    def items(texts: list[Text], tag: str = "ul") -> str:
        return f"<{tag}>" + "".join(f"<li>{t(x)}</li>" for x in texts) + f"</{tag}>"

    return (f"<div class='attune-guide'><h2>{t(c.title)}</h2><p>{t(c.intro)}</p>"
            f"<div class='attune-private' role='note'><p>{t(c.safety_note)}</p></div>"
            f"<h3>{t(c.before_heading)}</h3>{items(c.before)}"
            f"<h3>{t(c.steps_heading)}</h3>{items(c.steps, 'ol')}"
            f"<details><summary>{t(c.starters_heading)}</summary>{items(c.starters)}</details>"
            f"<p>{t(c.stop_note)}</p><p class='attune-note'>{t(c.source_note)}</p></div>")


def revisit_card(language: str = "en") -> w.VBox:
    """The card as a widget: ``revisit_card(language=language)``."""
    box = w.VBox([exercise_style(), w.HTML(revisit_html(language))])
    exercise_box(box)
    return box
