"""Session 6: guided plans for a notebook, and the guidance for taking a first step.

``guided_plan`` puts a ``toolkit.widgets.plan.PlanForm`` (an exercise instrument's prompts,
saved as you go, shown back privately) on the page with the session's store, join form and
language.

This module also shows the session 6 guidance from ``content/exercises/first_step.yaml``
(tips for opening the conversation, where to look and what to ask in a first call,
realistic expectations) as plain, escaped HTML cards.
"""

from __future__ import annotations

import html
from typing import Literal

import ipywidgets as w

from toolkit.content.text import pick
from toolkit.render.takehome import first_step_content
from toolkit.widgets.exercise import exercise_style
from toolkit.widgets.plan import DEFAULT_TIMEPOINT, PlanForm


def guided_plan(session, instrument: str, timepoint: str = DEFAULT_TIMEPOINT) -> PlanForm:
    """A plan for a notebook: ``guided_plan(session, "conversation_plan", timepoint="session6")``."""
    return PlanForm(instrument, session.store, session.join_form, timepoint,
                    language=session.language, locale=session.locale)


# -- session 6 guidance ------------------------------------------------------------------------

Section = Literal["opening", "research", "expectations"]


def first_step_html(section: Section, language: str = "en") -> str:
    """One part of the session 6 guidance as escaped HTML, with its sources in a details element."""
    c = first_step_content()
    e = html.escape
    parts: list[str] = []
    if section == "opening":
        s = c.opening
        parts.append(f"<h3>{e(pick(s.title, language))}</h3><p>{e(pick(s.intro, language))}</p>")
        cards = "".join(f"<div class='attune-card'><h4>{e(pick(tip.title, language))}</h4>"
                        f"<p>{e(pick(tip.text, language))}</p></div>" for tip in s.tips)
        parts.append(f"<div class='attune-cards'>{cards}</div>")
        parts.append(f"<div class='attune-private' role='note'><p>{e(pick(s.safety, language))}</p></div>")
    elif section == "research":
        s = c.research
        where = "".join(f"<li>{e(pick(x, language))}</li>" for x in s.where_to_look)
        questions = "".join(f"<li>{e(pick(q.text, language))}</li>" for q in s.questions)
        parts.append(f"<h3>{e(pick(s.title, language))}</h3><p>{e(pick(s.intro, language))}</p><ul>{where}</ul>"
                     f"<h4>{e(pick(s.questions_heading, language))}</h4><ol>{questions}</ol>"
                     f"<p class='attune-note'>{e(pick(s.tip, language))}</p>")
    elif section == "expectations":
        s = c.expectations
        points = "".join(f"<li>{e(pick(p.text, language))}</li>" for p in s.points)
        parts.append(f"<h3>{e(pick(s.title, language))}</h3><ul>{points}</ul>"
                     f"<div class='attune-feedback'><p><b>{e(pick(s.strength, language))}</b></p></div>")
    else:
        raise ValueError(f"unknown section {section!r}: choose opening, research or expectations")
    sources = getattr(c, section).sources
    if sources:
        items = "".join(f"<li>{e(c.sources[ident])}</li>" for ident in sources)
        heading = pick(c.sources_heading, language)
        parts.append(f"<details><summary>{e(heading)}</summary><ul class='attune-note'>{items}</ul></details>")
    return f"<div class='attune-guide'>{''.join(parts)}</div>"


def first_step_guide(section: Section, language: str = "en") -> w.VBox:
    """The guidance as a widget: ``first_step_guide("opening", language=language)``."""
    box = w.VBox([exercise_style(), w.HTML(first_step_html(section, language))])
    box.add_class("attune")
    return box
