"""Printable handouts: one self-contained, print-ready page per session, from the workshop's own texts.

Pure: a session's notebook (as parsed JSON) and the content files in, an HTML string out;
``toolkit.apps.handouts`` reads the workshop and writes the files. Each page holds

- the session's key points and home practice (the notebook section named in
  ``content/exercises/handouts.yaml``, "To take away"), then the rest of the session's
  participant text: every markdown cell not tagged ``facilitator``; code cells never appear;
- fill-in sheets for the session's exercises (the I-statement builder, the speaker-listener
  card, the time-out steps, emotion words, grounding steps, therapist questions, conversation
  and action plans, the card for looking back at a hard moment),
  from the same content files the widgets read;
- blank questionnaire sheets for the session's questionnaires and checklists (item text,
  each option as a box with its value, the instrument's attribution and licence), so that a
  participant without a device can take part and ``attune score`` reads the typed-in answers;
- the locale's support contacts as a card to cut out, through ``toolkit.render.contacts``.

Like the take-home file, a page loads nothing: its style is inline, a Content-Security-Policy
forbids every request, and a link to elsewhere is printed as its text and address. Every text
is HTML-escaped (Markdown through mistune, which escapes, with links and images kept off
the page). No ``@page`` size is set, so the same page prints on A4 and Letter.

Longer than 400 lines on purpose: one small builder per kind of sheet, sharing one page frame.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import mistune
from mistune.renderers.html import HTMLRenderer

from toolkit.content import EXERCISES_DIR, css
from toolkit.content.datafile import read_yaml
from toolkit.content.text import pick
from toolkit.core.support import CrisisInfo
from toolkit.instruments import Instrument
from toolkit.render.contacts import contact_cards

#: Nothing may be loaded, fetched, framed or sent: the page lives on its inline style alone.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"
FACILITATOR_TAG = "facilitator"

#: The widget calls in a notebook's code cells that have a fill-in sheet, and the sheet's name.
WIDGET_SHEETS = {
    "IStatementBuilder": "i_statement",
    "SpeakerListenerCard": "speaker_listener",
    "GroundingExercise": "grounding",
    "EmotionExplorer": "emotions",
    "therapist_checklist": "therapist_questions",
    "first_step_guide": "first_step",
    "TimeOutExercise": "time_out",
    "revisit_card": "revisit",
}
#: Instruments whose answers a special sheet already asks for (no generic sheet for them).
SHEET_INSTRUMENTS = {"i_statement": "i_statement", "emotion_checkin": "emotions",
                     "therapist_checklist": "therapist_questions"}
QUESTIONNAIRE_CALL = re.compile(r"""(?:questionnaire|guided_plan)\(\s*(?:session\s*,\s*)?["']([^"']+)["']""")


# -- content ------------------------------------------------------------------------------------

@cache
def _content(name: str) -> dict[str, Any]:
    return read_yaml(EXERCISES_DIR / f"{name}.yaml").data


def _t(key: str, language: str, **values: object) -> str:
    text = pick(_content("handouts")[key], language, what=f"handouts.{key}")
    return text.format(**values) if values else text


def _p(texts: Any, language: str) -> str:
    return pick(texts, language) if isinstance(texts, Mapping) else str(texts or "")


def _names(key: str, language: str) -> set[str]:
    names = _content("handouts")[key]
    found = names.get(language) or names.get(language.split("-")[0]) or []
    return {n.strip().lower() for n in [*found, *names["en"]]}


# -- the session text ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    heading: str
    level: int
    body: str  # Markdown


@dataclass(frozen=True)
class SessionText:
    """What a participant reads in one session notebook, and what its code cells ask for."""

    title: str
    sections: tuple[Section, ...]
    calls: frozenset[str] = frozenset()  # widget and function names called in code cells
    instruments: tuple[str, ...] = ()  # ids asked for in session.questionnaire(...) / guided_plan(...)


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def session_text(notebook: Mapping[str, Any]) -> SessionText:
    """The participant text of a notebook (parsed .ipynb JSON): markdown cells not tagged facilitator."""
    cells = notebook.get("cells", [])
    markdown = [_source(c) for c in cells
                if c.get("cell_type") == "markdown" and FACILITATOR_TAG not in c.get("metadata", {}).get("tags", [])]
    code = "\n".join(_source(c) for c in cells if c.get("cell_type") == "code")
    calls = frozenset(name for name in WIDGET_SHEETS if re.search(rf"\b{name}\(", code))
    instruments = tuple(dict.fromkeys(QUESTIONNAIRE_CALL.findall(code)))
    sections: list[Section] = []
    title, heading, level, body = "", "", 0, []
    for line in "\n\n".join(markdown).splitlines():
        found = re.match(r"^(#{1,3})\s+(.+?)\s*#*\s*$", line)
        if found:
            if heading or "".join(body).strip():
                sections.append(Section(heading, level, "\n".join(body).strip()))
            heading, level, body = found.group(2), len(found.group(1)), []
            if level == 1 and not title:
                title = re.sub(r"[*_`]", "", heading)
        else:
            body.append(line)
    if heading or "".join(body).strip():
        sections.append(Section(heading, level, "\n".join(body).strip()))
    return SessionText(title or "Session", tuple(sections), calls, instruments)


class _PrintRenderer(HTMLRenderer):
    """Escaping renderer: a link elsewhere becomes its text and address, an image its description."""

    def __init__(self) -> None:
        super().__init__(escape=True)

    def link(self, text: str, url: str, title: str | None = None) -> str:
        if url.startswith("#"):
            return text
        return f'{text} <span class="address">({html.escape(url)})</span>'

    def image(self, text: str, url: str, title: str | None = None) -> str:
        return f'<span class="image-text">[{text}]</span>'


def markdown_html(text: str) -> str:
    """Markdown as escaped HTML, loading nothing (raw HTML in the text is shown as text)."""
    return mistune.create_markdown(renderer=_PrintRenderer(), plugins=["table"])(text)


def key_points(text: SessionText, language: str) -> tuple[str, str]:
    """(key points, home practice) as Markdown: the list and the other paragraphs of the take-away section."""
    names = _names("key_points_headings", language)
    for section in text.sections:
        if section.heading.strip().lower() in names:
            points, practice, in_list = [], [], False
            for line in section.body.splitlines():
                if re.match(r"^\s*([-*+]|\d+\.)\s", line) or (in_list and line.startswith((" ", "\t")) and line.strip()):
                    points.append(line)
                    in_list = True
                else:
                    in_list = False if not line.strip() else in_list
                    if not in_list:
                        practice.append(line)
            return "\n".join(points).strip(), "\n".join(practice).strip()
    return "", ""


# -- fill-in sheets -------------------------------------------------------------------------------

def _lines(n: int = 2) -> str:
    return "".join("<span class='line' aria-hidden='true'></span>" for _ in range(n))


def _box(label: str, value: str = "") -> str:
    number = f"<span class='value'>{html.escape(value)}</span> " if value else ""
    return f"<li><span class='box' aria-hidden='true'></span> {number}{html.escape(label)}</li>"


def _sheet(heading: str, body: str, language: str, cls: str = "sheet") -> str:
    return (f"<section class='{cls}'><h3>{html.escape(heading)}</h3>"
            f"<p class='note'>{html.escape(_t('sheet_private', language))}</p>{body}</section>")


def _list(items: Iterable[Any], language: str, tag: str = "ul") -> str:
    return f"<{tag}>" + "".join(f"<li>{html.escape(_p(i, language))}</li>" for i in items) + f"</{tag}>"


def i_statement_sheet(language: str, instrument: Instrument | None = None) -> str:
    c = _content("i_statement")
    emotions = _content("emotions")
    forms = c.get("feeling_forms", {})
    forms = forms.get(language) or forms.get(language.split("-")[0]) or {}
    template = html.escape(_p(c["template"], language))
    blank = "<span class='blank'></span>"
    sentence = template.replace("{feeling}", blank).replace("{situation}", blank).replace("{need}", blank)
    words = []
    for family in emotions["families"]:
        shown = [" / ".join(forms.get(w["id"]) or [_p(w["text"], language)]) for w in family["words"]]
        words.append(f"<li><b>{html.escape(_p(family['name'], language))}:</b> {html.escape(', '.join(shown))}</li>")
    body = [f"<p>{html.escape(_p(c['intro'], language))}</p>",
            f"<p class='note'><i>{html.escape(_p(c['example'], language))}</i></p>",
            f"<p class='fill-sentence'>{sentence}</p>", _lines(2),
            f"<h4>{html.escape(_t('feeling_bank_heading', language))}</h4><ul class='words'>{''.join(words)}</ul>",
            f"<h4>{html.escape(_p(c['tips_heading'], language))}</h4>", _list(c["tips"], language)]
    if instrument is not None:
        try_it = next((i for i in instrument.items if i.id == "try_it"), None)
        if try_it is not None:
            body.append(_item_html(instrument, try_it, language, numbered=False))
    body.append(f"<p class='note'>{html.escape(_p(c['source_note'], language))}</p>")
    return _sheet(_p(c["title"], language), "".join(body), language)


def speaker_listener_sheet(language: str) -> str:
    c = _content("speaker_listener")
    body = [f"<p>{html.escape(_p(c['intro'], language))}</p>",
            f"<p class='note'>{html.escape(_p(c['topic_note'], language))}</p>",
            f"<p class='note'>{html.escape(_p(c['who_note'], language))}</p>",
            "<div class='two-col'>",
            f"<div><h4>{html.escape(_p(c['speaker_heading'], language))}</h4>{_list(c['speaker_rules'], language)}</div>",
            f"<div><h4>{html.escape(_p(c['listener_heading'], language))}</h4>{_list(c['listener_rules'], language)}</div>",
            "</div>",
            f"<h4>{html.escape(_p(c['both_heading'], language))}</h4>{_list(c['both_rules'], language)}",
            f"<h4>{html.escape(_p(c['starters_heading'], language))}</h4>{_list(c['starters'], language)}",
            f"<p class='note'>{html.escape(_p(c['source_note'], language))}</p>"]
    return _sheet(_p(c["title"], language), "".join(body), language, "sheet card")


def grounding_sheet(language: str) -> str:
    c = _content("grounding")
    body = [f"<p>{html.escape(_p(c['intro'], language))}</p>",
            f"<p class='note'>{html.escape(_p(c['stop_any_time'], language))}</p>",
            f"<h4>{html.escape(_t('grounding_senses_heading', language))}</h4>",
            "<ol class='steps'>" + "".join(f"<li><span class='box' aria-hidden='true'></span> "
                                           f"{html.escape(_p(s, language))}</li>" for s in c["senses_steps"]) + "</ol>",
            f"<p class='note'>{html.escape(_p(c['senses_done'], language))}</p>",
            f"<h4>{html.escape(_t('grounding_breathing_heading', language))}</h4>",
            f"<p>{html.escape(_p(c['breathing_intro'], language))}</p>",
            f"<p>{html.escape(_t('breathing_pace', language, inhale=c['in_seconds'], exhale=c['out_seconds']))}</p>",
            f"<p class='note'>{html.escape(_p(c['closing'], language))}</p>",
            f"<p class='note'>{html.escape(_p(c['source_note'], language))}</p>"]
    return _sheet(_p(c["title"], language), "".join(body), language)


def emotions_sheet(language: str) -> str:
    c = _content("emotions")
    families = []
    for family in c["families"]:
        words = "".join(_box(_p(w["text"], language)) for w in family["words"])
        families.append(f"<div class='family'><h4>{html.escape(_p(family['name'], language))}</h4>"
                        f"<p class='note'>{html.escape(_p(family['hint'], language))}</p>"
                        f"<ul class='options'>{words}</ul></div>")
    body = [f"<p>{html.escape(_p(c['intro'], language))}</p>",
            f"<p class='note'>{html.escape(_t('emotion_words_intro', language))}</p>",
            f"<div class='families'>{''.join(families)}</div>",
            f"<p><b>{html.escape(_p(c['own_words_label'], language))}</b></p>", _lines(2),
            f"<p class='note'>{html.escape(_p(c['private_note'], language))}</p>",
            f"<p class='note'>{html.escape(_p(c['source_note'], language))}</p>"]
    return _sheet(_p(c["title"], language), "".join(body), language)


def therapist_questions_sheet(language: str, instrument: Instrument | None = None) -> str:
    c = _content("therapy_approaches")
    checklist = c["checklist"]
    body = []
    if instrument is not None:
        body.append(f"<p>{html.escape(_p(instrument.instructions, language))}</p>")
        body += [_item_html(instrument, item, language, numbered=True, n=n)
                 for n, item in enumerate(instrument.items, 1)]
    body.append(f"<h4>{html.escape(_p(checklist['follow_up_heading'], language))}</h4>")
    body.append("<ul class='options'>" + "".join(_box(_p(q, language)) for q in checklist["follow_up"].values())
                + "</ul>")
    body.append(_lines(3))
    body.append(f"<p class='note'>{html.escape(_p(c['safety'], language))}</p>")
    return _sheet(_t("therapist_questions_heading", language), "".join(body), language)


def first_step_sheet(language: str) -> str:
    c = _content("first_step")
    research = c["research"]
    body = [f"<p>{html.escape(_p(research['intro'], language))}</p>",
            f"<h4>{html.escape(_p(research['questions_heading'], language))}</h4>",
            "<ul class='options'>" + "".join(_box(_p(q["text"], language)) for q in research["questions"]) + "</ul>",
            _lines(3), f"<p class='note'>{html.escape(_p(research['tip'], language))}</p>"]
    return _sheet(_t("research_heading", language), "".join(body), language)


def time_out_sheet(language: str) -> str:
    c = _content("time_out")
    say = _p(c["say_it"], language).format(minutes=c["real_minutes"])
    practice = _p(c["practice_note"], language).format(minutes=c["real_minutes"])

    def step(key: str, body: str) -> str:
        return f"<h4>{html.escape(_p(c[key], language))}</h4>{body}"

    body = [f"<p>{html.escape(_p(c['intro'], language))}</p>", f"<p class='note'>{html.escape(practice)}</p>",
            step("signs_heading", f"<p class='note'>{html.escape(_p(c['signs_intro'], language))}</p><ul class='options'>"
                 + "".join(_box(_p(s, language)) for s in c["signs"]) + "</ul>"),
            step("say_heading", f"<p>{html.escape(_p(c['say_intro'], language))}</p><p><b>{html.escape(say)}</b></p>"
                 f"<p class='note'>{html.escape(_p(c['say_tip'], language))}</p>"),
            step("soothe_heading", "<ul class='options'>" + "".join(_box(_p(s, language)) for s in c["soothe"]) + "</ul>"
                 f"<p class='note'>{html.escape(_p(c['avoid'], language))}</p>"),
            step("come_back_heading", _list(c["come_back"], language, "ol")),
            step("repair_heading", f"<p>{html.escape(_p(c['repair_intro'], language))}</p>{_list(c['repairs'], language)}"),
            f"<p><b>{html.escape(_p(c['own_words_label'], language))}</b></p>", _lines(2),
            f"<p class='note'>{html.escape(_p(c['safety_note'], language))}</p>",
            f"<p class='note'>{html.escape(_p(c['source_note'], language))}</p>"]
    return _sheet(_p(c["title"], language), "".join(body), language, "sheet card")


def revisit_sheet(language: str) -> str:
    c = _content("revisit")
    body = [f"<p>{html.escape(_p(c['intro'], language))}</p>",
            f"<p class='note'>{html.escape(_p(c['safety_note'], language))}</p>",
            f"<h4>{html.escape(_p(c['before_heading'], language))}</h4>{_list(c['before'], language)}",
            f"<h4>{html.escape(_p(c['steps_heading'], language))}</h4>{_list(c['steps'], language, 'ol')}",
            f"<h4>{html.escape(_p(c['starters_heading'], language))}</h4>{_list(c['starters'], language)}",
            f"<p><b>{html.escape(_p(c['own_notes_label'], language))}</b></p>", _lines(3),
            f"<p class='note'>{html.escape(_p(c['stop_note'], language))}</p>",
            f"<p class='note'>{html.escape(_p(c['source_note'], language))}</p>"]
    return _sheet(_p(c["title"], language), "".join(body), language, "sheet card")


SHEETS = {
    "i_statement": i_statement_sheet,
    "speaker_listener": lambda language, instrument=None: speaker_listener_sheet(language),
    "grounding": lambda language, instrument=None: grounding_sheet(language),
    "emotions": lambda language, instrument=None: emotions_sheet(language),
    "therapist_questions": therapist_questions_sheet,
    "first_step": lambda language, instrument=None: first_step_sheet(language),
    "time_out": lambda language, instrument=None: time_out_sheet(language),
    "revisit": lambda language, instrument=None: revisit_sheet(language),
}


# -- questionnaires on paper ---------------------------------------------------------------------

def _value(value: float) -> str:
    return f"{value:g}"


def _item_html(inst: Instrument, item, language: str, *, numbered: bool = True, n: int = 0) -> str:
    """One item: its text, then a box per option (with the value typed in for ``attune score``), or lines."""
    number = f"<span class='num'>{n}.</span> " if numbered and n else ""
    head = (f"<p class='item-text'>{number}{html.escape(pick(item.text, language))}"
            f" <span class='item-id'>[{html.escape(item.id)}]</span></p>")
    if item.help:
        head += f"<p class='note'>{html.escape(pick(item.help, language))}</p>"
    if item.type == "free_text":
        return f"<div class='item'>{head}{_lines(3)}</div>"
    scale = inst.response_scale_of(item)
    if scale is None:
        return f"<div class='item'>{head}{_lines(1)}</div>"
    if scale.slider is not None:
        ends = " – ".join(pick(t, language) for t in (scale.low_label, scale.high_label) if t)
        boxes = "".join(_box("", _value(v)) for v in scale.values)
        return f"<div class='item'>{head}<ul class='options row'>{boxes}</ul><p class='note'>{html.escape(ends)}</p></div>"
    boxes = "".join(_box(pick(o.label, language) if o.label else "", _value(o.value)) for o in scale.options)
    if item.allow_dont_know:
        from toolkit.content.text import ui

        boxes += _box(ui("dont_know", language))
    cls = "options row" if all(o.label is None or len(pick(o.label, language)) < 28 for o in scale.options) else "options"
    return f"<div class='item'>{head}<ul class='{cls}'>{boxes}</ul></div>"


def questionnaire_sheet(inst: Instrument, language: str) -> str:
    """A blank sheet: instructions, every item with its options as boxes, attribution and licence."""
    heading = _t("questionnaire_heading", language, title=pick(inst.title, language))
    parts = [f"<section class='sheet questionnaire'><h3>{html.escape(heading)}</h3>",
             f"<p class='note'>{html.escape(_t('questionnaire_intro', language))}</p>",
             f"<p class='fields'>{html.escape(_t('code_label', language))} <span class='blank wide'></span> "
             f"{html.escape(_t('timepoint_label', language))} <span class='blank'></span></p>",
             f"<p>{html.escape(pick(inst.instructions, language))}</p>"]
    parts += [_item_html(inst, item, language, n=n) for n, item in enumerate(inst.items, 1)]
    parts.append(f"<p class='note'>{html.escape(_t('skip_note', language))}</p>")
    parts.append(f"<p class='note'>{html.escape(_t('questionnaire_privacy', language))}</p>")
    if inst.adapted_wording_note:
        parts.append(f"<p class='small'>{html.escape(pick(inst.adapted_wording_note, language))}</p>")
    parts.append(f"<p class='small licence'><b>{html.escape(_t('licence_heading', language))}</b> "
                 f"{html.escape(pick(inst.licence.attribution, language))} "
                 f"{html.escape(pick(inst.licence.terms, language))}</p>")
    columns = ",".join(["participant", *inst.item_ids])
    parts.append(f"<p class='small office'>{html.escape(_t('facilitator_line', language, id=inst.id, columns=columns))}</p>")
    parts.append("</section>")
    return "".join(parts)


# -- the page ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionHandout:
    """Everything one session's page needs, already loaded."""

    text: SessionText
    instruments: Sequence[Instrument] = field(default_factory=tuple)
    contacts: CrisisInfo | None = None


def sheets_for(handout: SessionHandout) -> list[tuple[str, Instrument | None]]:
    """The special sheets of a session, in a fixed order, each with its instrument when it has one."""
    by_id = {inst.id: inst for inst in handout.instruments}
    wanted = {WIDGET_SHEETS[call] for call in handout.text.calls}
    wanted |= {sheet for inst_id, sheet in SHEET_INSTRUMENTS.items() if inst_id in by_id}
    owners = {sheet: inst_id for inst_id, sheet in SHEET_INSTRUMENTS.items()}
    return [(name, by_id.get(owners.get(name, ""))) for name in SHEETS if name in wanted]


def render_handout(handout: SessionHandout, *, language: str = "en", workshop_title: str = "") -> str:
    """One session's complete, self-contained page."""
    text = handout.text
    lang = language
    points, practice = key_points(text, lang)
    body = [f"<header><p class='workshop'>{html.escape(workshop_title)}</p><h1>{html.escape(text.title)}</h1>"
            f"<p class='private' role='note'>{html.escape(_t('yours_note', lang))}</p></header>"]
    if points:
        body.append(f"<section class='keypoints'><h2>{html.escape(_t('key_points_heading', lang))}</h2>"
                    f"{markdown_html(points)}</section>")
    if practice:
        body.append(f"<section class='practice'><h2>{html.escape(_t('home_practice_heading', lang))}</h2>"
                    f"{markdown_html(practice)}{_lines(3)}</section>")
    skip = _names("key_points_headings", lang) | _names("sources_headings", lang)
    shown = [s for s in text.sections if s.level > 1 and s.heading.strip().lower() not in skip]
    intro = next((s for s in text.sections if s.level == 1), None)
    if shown or (intro and intro.body):
        parts = [markdown_html(intro.body)] if intro and intro.body else []
        parts += [f"<h3>{html.escape(re.sub(r'[*_`]', '', s.heading))}</h3>{markdown_html(s.body)}" for s in shown]
        body.append(f"<section class='session-text'><h2>{html.escape(_t('session_text_heading', lang))}</h2>"
                    f"{''.join(parts)}</section>")

    special = sheets_for(handout)
    taken = {inst.id for _, inst in special if inst is not None}
    paper = [inst for inst in handout.instruments if inst.id not in taken]
    if special or paper:
        body.append(f"<section class='sheets'><h2>{html.escape(_t('sheets_heading', lang))}</h2>")
        body += [SHEETS[name](lang, inst) for name, inst in special]
        body += [questionnaire_sheet(inst, lang) for inst in paper]
        body.append("</section>")

    if handout.contacts is not None:
        info = handout.contacts
        body.append(f"<section class='wallet'><h2>{html.escape(_t('wallet_heading', lang))}</h2>"
                    f"<div class='cut'><p class='note'>{html.escape(_t('wallet_intro', lang, country=info.country))}</p>"
                    f"{contact_cards(info, lang, heading_level=3, notice=True)}</div></section>")

    sources = [s for s in text.sections if s.heading.strip().lower() in _names("sources_headings", lang)]
    if sources:
        body.append(f"<section class='sources small'><h2>{html.escape(_t('sources_heading', lang))}</h2>"
                    + "".join(markdown_html(s.body) for s in sources) + "</section>")
    body.append(f"<footer><p class='small'>{html.escape(_t('footer', lang))}</p></footer>")
    return _page(_t("document_title", lang, session=text.title), "\n".join(body), lang)


def render_index(entries: Sequence[tuple[str, str]], *, language: str = "en", workshop_title: str = "") -> str:
    """A contents page: (file name, session title) per handout, as relative links."""
    items = "".join(f"<li><a href='{html.escape(name, quote=True)}'>{html.escape(title)}</a></li>"
                    for name, title in entries)
    body = (f"<header><p class='workshop'>{html.escape(workshop_title)}</p>"
            f"<h1>{html.escape(_t('index_title', language))}</h1></header>"
            f"<p>{html.escape(_t('index_intro', language))}</p><ol class='index'>{items}</ol>")
    return _page(_t("index_title", language), body, language)


def _page(title: str, body: str, language: str) -> str:
    return ("<!DOCTYPE html>\n"
            f"<html lang='{html.escape(language)}'>\n<head>\n<meta charset='utf-8'>\n"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">\n"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
            "<meta name='referrer' content='no-referrer'>\n"
            f"<title>{html.escape(title)}</title>\n<style>\n{css('handouts')}</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")
