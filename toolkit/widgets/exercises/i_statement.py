"""I-statement builder: a feeling, a specific moment and a need, put into one sentence.

Speaking for oneself ("I feel … when … and I need …") is one of the communication skills of
curriculum session 3. ``compose_i_statement`` and ``i_statement_hints`` are pure and work on
plain text; the widget shows their result (escaped) and keeps the parts through the
``i_statement`` exercise instrument. Texts, the sentence template and the hint rules are data
in ``content/exercises/i_statement.yaml``.
"""

from __future__ import annotations

import html
import re
from typing import Any, Literal

import ipywidgets as w
from pydantic import Field

from toolkit.content.text import pick
from toolkit.instruments import load_instrument
from toolkit.instruments.model import Id, Strict, Text
from toolkit.widgets import JoinForm
from toolkit.widgets.autosave import Autosave
from toolkit.widgets.exercise import exercise_box, exercise_style, load_content
from toolkit.widgets.feelings import feeling_words
from toolkit.widgets.items import ItemControl

Part = Literal["feeling", "situation", "need"]
PARTS: tuple[Part, ...] = ("feeling", "situation", "need")
Phrases = dict[str, list[str]]  # language -> phrases
_END_PUNCTUATION = ".!?;:,"


class LeadIns(Strict):
    feeling: Phrases
    situation: Phrases
    need: Phrases


class Hint(Strict):
    id: Id
    part: Part
    starts_with: Phrases = Field(default_factory=dict)
    word_stems: Phrases = Field(default_factory=dict)
    text: Text


class IStatementContent(Strict):
    title: Text
    intro: Text
    example: Text
    choose_feeling: Text
    own_feeling_label: Text
    own_feeling_placeholder: Text
    show_button: Text
    sentence_heading: Text
    empty_sentence: Text
    copy_label: Text
    private_note: Text
    hints_heading: Text
    tips_heading: Text
    tips: list[Text] = Field(min_length=1)
    tips_source: Text
    source_note: Text
    template: Text
    gap: Text
    lead_ins: LeadIns
    hints: list[Hint] = Field(default_factory=list)
    #: language -> word id (emotions.yaml) -> the word's forms after "I feel" in that language.
    feeling_forms: dict[str, dict[Id, list[str]]] = Field(default_factory=dict)


def i_statement_content() -> IStatementContent:
    return load_content("i_statement", IStatementContent)


def feeling_choices(language: str = "en") -> list[tuple[str, str]]:
    """The builder's feeling list as (label, value): each word as it reads after "I feel" in ``language``.

    English keeps the words of emotions.yaml. Where ``feeling_forms`` gives a language its own
    forms (Spanish adjectives after "Me siento", in both genders where they differ), each form
    is a choice of its own, labelled with its family.
    """
    all_forms = i_statement_content().feeling_forms
    forms = all_forms.get(language) or all_forms.get(language.split("-")[0]) or {}
    return [(f"{form} ({family})", form)
            for word_id, word, family in feeling_words(language) for form in forms.get(word_id) or [word]]


def _phrases(phrases: Phrases, language: str, what: str) -> list[str]:
    return list(pick(phrases, language, what=what)) if phrases else []


def _tidy(text: str | None, lead_ins: list[str]) -> str:
    """The part as it goes into the sentence: one line, no lead-in the sentence already has, no end stop."""
    text = " ".join((text or "").split())
    for lead in sorted(lead_ins, key=len, reverse=True):
        match = re.match(rf"{re.escape(lead)}(?:\s+|$)", text, flags=re.IGNORECASE)
        if match:
            text = text[match.end():]
            break
    return text.rstrip(_END_PUNCTUATION + " ").strip()


def _tidy_parts(feeling: str | None, situation: str | None, need: str | None, language: str) -> dict[str, str]:
    lead_ins = i_statement_content().lead_ins
    given = {"feeling": feeling, "situation": situation, "need": need}
    return {part: _tidy(given[part], _phrases(getattr(lead_ins, part), language, f"i_statement.lead_ins.{part}"))
            for part in PARTS}


def compose_i_statement(feeling: str | None, situation: str | None, need: str | None, language: str = "en") -> str:
    """The sentence "I feel … when … and I need …" as plain text, or "" when every part is empty.

    The parts are the participant's own words, never interpreted: they are put on one line,
    lead-ins the sentence already has ("when …", "I need …") and end punctuation are dropped,
    and an empty part shows as a gap ("…"). Escape the result before showing it as HTML.
    """
    content = i_statement_content()
    parts = _tidy_parts(feeling, situation, need, language)
    if not any(parts.values()):
        return ""
    gap = pick(content.gap, language)
    sentence = pick(content.template, language).format(**{part: text or gap for part, text in parts.items()})
    return sentence[:-1] if sentence.endswith(gap + ".") else sentence


def i_statement_hints(feeling: str | None, situation: str | None, need: str | None, language: str = "en") -> list[str]:
    """Gentle suggestions for the parts as written (e.g. "always"/"never" in the situation), as plain text."""
    parts = _tidy_parts(feeling, situation, need, language)
    out = []
    for hint in i_statement_content().hints:
        text = parts[hint.part].lower().replace("\u2019", "'")
        if not text:
            continue
        words = re.findall(r"[\w']+", text)
        starts = _phrases(hint.starts_with, language, f"i_statement.hints.{hint.id}")
        stems = _phrases(hint.word_stems, language, f"i_statement.hints.{hint.id}")
        if (any(text == s or text.startswith(s + " ") for s in starts)
                or any(word.startswith(stem) for word in words for stem in stems)):
            out.append(pick(hint.text, language))
    return out


class IStatementBuilder(w.VBox):
    """``IStatementBuilder(store, participant, timepoint, language=...)``: build and copy an I-statement."""

    def __init__(self, store=None, participant: str | JoinForm | None = None, timepoint: str = "pre", *,
                 language: str = "en"):
        content = i_statement_content()
        inst = load_instrument("i_statement")
        self.language = language
        self._quiet = False
        t = lambda text: pick(text, language)  # noqa: E731

        words = feeling_choices(language)
        self._listed = {word for _, word in words}
        self.feeling_choice = w.Dropdown(options=[(t(content.choose_feeling), "")] + words, value="",
                                         description=f"1. {t(inst.item('feeling').text)}",
                                         style={"description_width": "initial"}, layout=w.Layout(width="100%"))
        self.own_feeling = w.Text(description=t(content.own_feeling_label),
                                  placeholder=t(content.own_feeling_placeholder), continuous_update=False,
                                  style={"description_width": "initial"}, layout=w.Layout(width="100%"))
        self.situation = ItemControl(inst, inst.item("situation"), language, 2)
        self.need = ItemControl(inst, inst.item("need"), language, 3)
        self.try_it = ItemControl(inst, inst.item("try_it"), language, 4)
        self.show_button = w.Button(description=t(content.show_button), button_style="primary")
        self.sentence_html = w.HTML()
        self.copy_box = w.Textarea(description=t(content.copy_label), layout=w.Layout(width="100%"))
        self.hints_html = w.HTML()
        self.answers = Autosave("i_statement", store, participant, timepoint, language, self._show)

        self.feeling_choice.observe(lambda _: self._part_changed("feeling"), names="value")
        self.own_feeling.observe(lambda _: self._part_changed("feeling"), names="value")
        self.situation.on_change(lambda _: self._part_changed("situation"))
        self.need.on_change(lambda _: self._part_changed("need"))
        self.try_it.on_change(lambda control: self.answers.save("try_it", control.value))
        self.show_button.on_click(lambda _: self._refresh())

        tips = "".join(f"<li>{html.escape(t(tip))}</li>" for tip in content.tips)
        super().__init__([
            exercise_style(),
            w.HTML(f"<h2>{html.escape(t(content.title))}</h2><p>{html.escape(t(content.intro))}</p>"
                   f"<p class='attune-note'><i>{html.escape(t(content.example))}</i></p>"),
            self.answers.note,
            _item_box(self.feeling_choice, self.own_feeling), self.situation.widget, self.need.widget,
            self.show_button, self.sentence_html, _item_box(self.copy_box), self.hints_html,
            w.HTML(f"<details><summary>{html.escape(t(content.tips_heading))}</summary><ul>{tips}</ul>"
                   f"<p class='attune-note'>{html.escape(t(content.tips_source))}</p></details>"),
            self.try_it.widget,
            w.HTML(f"<p class='attune-note'>{html.escape(t(content.private_note))}</p>"
                   f"<p class='attune-note'>{html.escape(t(content.source_note))}</p>"),
        ])
        exercise_box(self)
        self.answers.start()
        self._refresh()

    # -- the parts --------------------------------------------------------------------------

    @property
    def feeling(self) -> str:
        """The participant's own word if they typed one, else the word chosen from the list."""
        return self.own_feeling.value.strip() or self.feeling_choice.value

    @property
    def statement(self) -> str:
        return compose_i_statement(self.feeling, self.situation.value, self.need.value, self.language)

    def fill(self, feeling: str | None = None, situation: str | None = None, need: str | None = None) -> None:
        """Fill in parts as a participant would by typing (tests, demos); a listed feeling word is chosen."""
        if feeling is not None:
            if feeling in self._listed:
                self.feeling_choice.value = feeling
            else:
                self.own_feeling.value = feeling
        if situation is not None:
            self.situation.control.value = situation
        if need is not None:
            self.need.control.value = need

    def _part_changed(self, part: Part) -> None:
        self._refresh()
        if not self._quiet:
            if part == "feeling":
                self.answers.save(part, self.feeling)
            else:  # typed keystroke by keystroke: saved once typing pauses
                self.answers.save(part, getattr(self, part).value, typing=True)

    def _refresh(self) -> None:
        content = i_statement_content()
        lang = self.language
        sentence = self.statement
        heading = f"<p><b>{html.escape(pick(content.sentence_heading, lang))}</b></p>"
        if sentence:
            self.sentence_html.value = (f"<div class='attune-feedback' role='status'>{heading}"
                                        f"<p>{html.escape(sentence)}</p></div>")
        else:
            self.sentence_html.value = (f"<div class='attune-feedback' role='status'>{heading}<p class='attune-note'>"
                                        f"{html.escape(pick(content.empty_sentence, lang))}</p></div>")
        self.copy_box.value = sentence
        hints = i_statement_hints(self.feeling, self.situation.value, self.need.value, lang)
        self.hints_html.value = (f"<div class='attune-note'><p>{html.escape(pick(content.hints_heading, lang))}</p><ul>"
                                 + "".join(f"<li>{html.escape(h)}</li>" for h in hints) + "</ul></div>"
                                 if hints else "")

    def _show(self, answers: dict[str, Any]) -> None:
        self._quiet = True
        try:
            if "feeling" in answers:
                feeling = answers["feeling"] or ""
                listed = feeling in self._listed
                self.feeling_choice.value = feeling if listed else ""
                self.own_feeling.value = "" if listed else feeling
            for part in ("situation", "need", "try_it"):
                if part in answers:
                    getattr(self, part).set_value(answers[part])
        finally:
            self._quiet = False
        self._refresh()


def _item_box(*children: w.Widget) -> w.VBox:
    box = w.VBox(list(children))
    box.add_class("attune-item")
    return box
