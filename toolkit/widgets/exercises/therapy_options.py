"""Session 5: three therapy approaches side by side, and choosing a therapist as a checklist.

``approaches_html`` (pure) and ``ApproachesComparison`` show cognitive-behavioural,
emotionally focused and psychodynamic therapy as cards, one per approach, with all aspects
or one aspect at a time (what a session looks like, focus, who it may suit, typical length).
The cards sit side by side on a laptop and stack on a phone. The texts and their sources
are data in ``content/exercises/therapy_approaches.yaml``.

``TherapistChecklist`` is a ``PlanForm`` over the ``therapist_checklist`` exercise
instrument: answers autosave with consent, and each question answered "No" or "Don't
know" turns, as the participant answers, into a question worth asking in a first call
(``checklist_follow_ups``, pure). A question left unanswered or answered "prefer not to
say" adds nothing: it may simply not apply.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from functools import cache
from typing import Any

import ipywidgets as w
from pydantic import Field

from toolkit.content import EXERCISES_DIR
from toolkit.content.datafile import LocatedData, read_yaml, validate
from toolkit.content.text import pick
from toolkit.errors import Problem
from toolkit.instruments import load_instrument
from toolkit.instruments.model import Id, Strict, Text
from toolkit.widgets import JoinForm
from toolkit.widgets.exercise import exercise_style
from toolkit.widgets.plan import DEFAULT_TIMEPOINT, PlanForm

CONTENT_FILE = EXERCISES_DIR / "therapy_approaches.yaml"
CHECKLIST = "therapist_checklist"
ASPECTS = ("session", "focus", "may_suit", "length")


# -- content -----------------------------------------------------------------------------------

class Aspect(Strict):
    id: Id
    label: Text


class Approach(Strict):
    id: Id
    name: Text
    in_short: Text
    session: Text
    focus: Text
    may_suit: Text
    length: Text
    sources: list[Id] = Field(min_length=1)


class CommonGround(Strict):
    heading: Text
    text: Text
    sources: list[Id] = Field(min_length=1)


class ChecklistTexts(Strict):
    save_button: Text
    recap_heading: Text
    follow_up_heading: Text
    all_yes: Text
    nothing_yet: Text
    follow_up: dict[Id, Text]


class ApproachesContent(Strict):
    title: Text
    intro: Text
    compare_label: Text
    all_aspects: Text
    sources_heading: Text
    aspects: list[Aspect] = Field(min_length=1)
    approaches: list[Approach] = Field(min_length=1)
    common_ground: CommonGround
    safety: Text
    checklist: ChecklistTexts
    sources: dict[Id, str]


def _check(content: ApproachesContent, src: LocatedData) -> list[Problem]:
    """Aspects are the four the cards show; every cited source is listed; every checklist item has a follow-up."""
    problems = []
    if [a.id for a in content.aspects] != list(ASPECTS):
        problems.append(src.problem(("aspects",), f"aspects must be, in this order: {', '.join(ASPECTS)}"))
    cited = [(("approaches", n, "sources", k), s) for n, a in enumerate(content.approaches) for k, s in enumerate(a.sources)]
    cited += [(("common_ground", "sources", k), s) for k, s in enumerate(content.common_ground.sources)]
    for loc, ident in cited:
        if ident not in content.sources:
            problems.append(src.problem(loc, f"source {ident!r} is not listed under 'sources'"))
    items = load_instrument(CHECKLIST).item_ids
    for item_id in items:
        if item_id not in content.checklist.follow_up:
            problems.append(src.problem(("checklist", "follow_up"), f"no follow-up question for checklist item {item_id!r}"))
    for item_id in content.checklist.follow_up:
        if item_id not in items:
            problems.append(src.problem(("checklist", "follow_up", item_id), f"{CHECKLIST} has no item {item_id!r}"))
    return problems


@cache
def approaches_content() -> ApproachesContent:
    """``content/exercises/therapy_approaches.yaml``, validated (problems reported as path:line)."""
    return validate(read_yaml(CONTENT_FILE), ApproachesContent, _check)


# -- the approaches side by side ---------------------------------------------------------------

def approaches_html(language: str = "en", aspect: str | None = None) -> str:
    """The approaches as escaped HTML cards: every aspect, or only ``aspect`` (an id of ASPECTS)."""
    c = approaches_content()
    if aspect is not None and aspect not in ASPECTS:
        raise ValueError(f"unknown aspect {aspect!r}: choose one of {', '.join(ASPECTS)} or None")
    e = html.escape
    shown = [a for a in c.aspects if aspect in (None, a.id)]
    cards = []
    for approach in c.approaches:
        rows = "".join(f"<dt>{e(pick(a.label, language))}</dt><dd>{e(pick(getattr(approach, a.id), language))}</dd>"
                       for a in shown)
        sources = "".join(f"<li>{e(c.sources[s])}</li>" for s in approach.sources)
        cards.append(f"<section class='attune-card' aria-label='{e(pick(approach.name, language))}'>"
                     f"<h4>{e(pick(approach.name, language))}</h4>"
                     f"<p><i>{e(pick(approach.in_short, language))}</i></p><dl>{rows}</dl>"
                     f"<details><summary>{e(pick(c.sources_heading, language))}</summary>"
                     f"<ul class='attune-note'>{sources}</ul></details></section>")
    common = c.common_ground
    common_sources = "".join(f"<li>{e(c.sources[s])}</li>" for s in common.sources)
    return (f"<div class='attune-guide'><div class='attune-cards'>{''.join(cards)}</div>"
            f"<div class='attune-feedback'><h4>{e(pick(common.heading, language))}</h4>"
            f"<p>{e(pick(common.text, language))}</p>"
            f"<details><summary>{e(pick(c.sources_heading, language))}</summary>"
            f"<ul class='attune-note'>{common_sources}</ul></details></div>"
            f"<div class='attune-private' role='note'><p>{e(pick(c.safety, language))}</p></div></div>")


class ApproachesComparison(w.VBox):
    """The three approaches as cards, with a labelled drop-down to compare one aspect at a time."""

    def __init__(self, language: str = "en"):
        c = approaches_content()
        self.language = language
        options = [(pick(c.all_aspects, language), "")] + [(pick(a.label, language), a.id) for a in c.aspects]
        self.aspect = w.Dropdown(options=options, value="", description=pick(c.compare_label, language),
                                 style={"description_width": "initial"}, layout=w.Layout(width="100%"))
        self.cards = w.HTML(approaches_html(language))
        self.aspect.observe(lambda _: self.show(self.aspect.value or None), names="value")
        super().__init__([exercise_style(),
                          w.HTML(f"<h3>{html.escape(pick(c.title, language))}</h3>"
                                 f"<p>{html.escape(pick(c.intro, language))}</p>"),
                          self.aspect, self.cards])
        self.add_class("attune")

    def show(self, aspect: str | None = None) -> None:
        """Show every aspect (None) or one aspect of all three approaches."""
        self.cards.value = approaches_html(self.language, aspect)


def approaches(language: str = "en") -> ApproachesComparison:
    """For a notebook: ``approaches(language=language)``."""
    return ApproachesComparison(language)


# -- choosing a therapist ----------------------------------------------------------------------

def checklist_follow_ups(answers: Mapping[str, Any], language: str = "en") -> list[str]:
    """Questions for a first call: one for each checklist item answered "No" or "Don't know" (plain text)."""
    c = approaches_content().checklist
    inst = load_instrument(CHECKLIST)
    return [pick(c.follow_up[item_id], language) for item_id in inst.item_ids
            if answers.get(item_id) == 0 or answers.get(item_id) == "dont_know"]


def follow_ups_html(answers: Mapping[str, Any], language: str = "en") -> str:
    """The follow-up questions as escaped HTML, or a line saying they appear as you answer."""
    c = approaches_content().checklist
    e = html.escape
    questions = checklist_follow_ups(answers, language)
    inst = load_instrument(CHECKLIST)
    if questions:
        body = "<ul>" + "".join(f"<li>{e(q)}</li>" for q in questions) + "</ul>"
    elif all(answers.get(i) == 1 for i in inst.item_ids):
        body = f"<p>{e(pick(c.all_yes, language))}</p>"
    else:
        body = f"<p class='attune-note'>{e(pick(c.nothing_yet, language))}</p>"
    return (f"<div class='attune-feedback' role='status' aria-live='polite'>"
            f"<h4>{e(pick(c.follow_up_heading, language))}</h4>{body}</div>")


class TherapistChecklist(PlanForm):
    """The therapist checklist; questions worth asking in a first call appear as you answer."""

    def __init__(self, store=None, participant: str | JoinForm | None = None, timepoint: str = DEFAULT_TIMEPOINT,
                 *, language: str = "en", locale: str | None = None):
        self.follow_ups = w.HTML()
        super().__init__(CHECKLIST, store, participant, timepoint, language=language, locale=locale)
        texts = approaches_content().checklist
        self.recap_heading = texts.recap_heading
        self.submit_button.description = pick(texts.save_button, language)
        children = list(self.children)
        children.insert(children.index(self.progress_bar), self.follow_ups)
        self.children = tuple(children)

    def _refresh(self) -> None:
        """Progress, and the follow-up questions for the answers on the page (given or restored)."""
        super()._refresh()
        self.follow_ups.value = follow_ups_html(self.answers, self.language)

    @property
    def questions(self) -> list[str]:
        """The follow-up questions for the answers on the page now."""
        return checklist_follow_ups(self.answers, self.language)


def therapist_checklist(session, timepoint: str = DEFAULT_TIMEPOINT) -> TherapistChecklist:
    """For a notebook: ``therapist_checklist(session, timepoint="session5")``."""
    return TherapistChecklist(session.store, session.join_form, timepoint,
                              language=session.language, locale=session.locale)


# -- support at any time -----------------------------------------------------------------------

def support_contacts_html(locale: str | None, language: str = "en") -> str:
    """The workshop locale's support contacts (``toolkit.core.support.crisis_resources``), escaped.

    Websites are shown as text, not links: the page loads nothing and opens nothing by itself.
    """
    from toolkit.core.support import crisis_resources

    info = crisis_resources(locale, language)
    e = html.escape
    groups = []
    for heading, resources in info.by_kind():
        rows = []
        for r in resources:
            bits = [f"<b>{e(r.name)}</b>"]
            bits += [e(x) for x in (r.phone, r.text_line, r.email, r.website, r.hours) if x]
            if r.notes:
                bits.append(f"<span class='attune-note'>{e(r.notes)}</span>")
            rows.append(f"<li>{' · '.join(bits)}</li>")
        groups.append(f"<div class='attune-card'><h4>{e(heading)}</h4><ul>{''.join(rows)}</ul></div>")
    return (f"<div class='attune-guide attune-private' role='note'><div class='attune-cards'>{''.join(groups)}</div>"
            f"<p class='attune-note'>{e(info.notice)}</p></div>")


def support_contacts(session) -> w.VBox:
    """For a notebook: ``support_contacts(session)``, the locale's contacts as cards with links to
    call, text or visit (``toolkit.render.contacts``), shown on the participant's own screen."""
    from toolkit.core.support import crisis_resources
    from toolkit.render.contacts import contact_cards

    cards = contact_cards(crisis_resources(session.locale, session.language), session.language, notice=True)
    box = w.VBox([exercise_style(), w.HTML(f"<div class='attune-private' role='note'>{cards}</div>")])
    box.add_class("attune")
    return box
