"""The time-out practice (session 3) and the card for looking back at a hard moment (session 6).

The timer's pure part (phases, messages, the "time left" labels) is checked without any
widget; the widgets are then driven in-process as the browser would drive them: the Play
widget's value set second by second, the minutes changed, "Start again" clicked.
"""

from __future__ import annotations

import html
import re

import ipywidgets as w
import pytest
import yaml

from toolkit.content import EXERCISES_DIR
from toolkit.widgets.exercises import TimeOutExercise, revisit_card
from toolkit.widgets.exercises.revisit import revisit_content, revisit_html
from toolkit.widgets.exercises.time_out import (
    clock,
    phase,
    remaining_labels,
    say_it,
    time_out_content,
    timer_message,
)

XSS = "<img src=x onerror=alert(1)>"


def texts(node, path=""):
    """Every language map in a content file, with where it is."""
    if isinstance(node, dict) and "en" in node and all(isinstance(v, str) for v in node.values()):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from texts(value, f"{path}[{n}]")


# -- the pure part ---------------------------------------------------------------------------------

def test_clock_writes_minutes_and_seconds():
    assert [clock(s) for s in (0, 5, 60, 125, 1200)] == ["00:00", "00:05", "01:00", "02:05", "20:00"]
    assert clock(-3) == "00:00"


def test_remaining_labels_count_down_one_per_second_to_zero():
    labels = remaining_labels(120)
    assert len(labels) == 121
    assert labels[0] == "02:00" and labels[1] == "01:59" and labels[60] == "01:00" and labels[-1] == "00:00"


def test_a_two_minute_practice_break_goes_ready_soothe_halfway_done():
    assert phase(0, 120) == "ready"
    assert phase(1, 120) == phase(59, 120) == "soothe"
    assert phase(60, 120) == phase(119, 120) == "halfway"
    assert phase(120, 120) == phase(500, 120) == "done"


def test_a_longer_break_adds_a_last_minute_reminder():
    total = 20 * 60
    assert phase(599, total) == "soothe"
    assert phase(600, total) == "halfway"
    assert phase(total - 61, total) == "halfway"
    assert phase(total - 60, total) == phase(total - 1, total) == "last_minute"
    assert phase(total, total) == "done"


def test_a_break_of_no_length_is_done():
    assert phase(0, 0) == "done"


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_phase_has_its_own_message_in_each_language(language):
    content = time_out_content()
    total = 5 * 60
    shown = {p: timer_message(s, total, language) for p, s in
             (("ready", 0), ("soothe", 10), ("halfway", 150), ("last_minute", 250), ("done", 300))}
    assert len(set(shown.values())) == 5
    for name, text in shown.items():
        assert text == getattr(content, f"message_{name}")[language]


def test_the_sentence_for_a_break_names_the_real_break_length():
    minutes = time_out_content().real_minutes
    assert minutes >= 20, "a real break lasts at least twenty minutes (Gottman & Silver, 1999)"
    assert f"{minutes} minutes" in say_it("en") and f"{minutes} minutos" in say_it("es")
    assert "in 30 minutes" in say_it("en", 30)


# -- the content files ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["time_out", "revisit"])
def test_content_has_spanish_for_every_text_and_names_its_source(name):
    data = yaml.safe_load((EXERCISES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    found = list(texts(data))
    assert len(found) > 20
    for path, text in found:
        assert text.get("es", "").strip(), f"{name}{path} has no Spanish"
        assert text["es"] != text["en"] or len(text["en"]) < 4, f"{name}{path} is not translated"
    source = " ".join(data["source_note"]["en"].split())
    for cited in {"time_out": ["(Gottman, 1994)", "Gottman and Silver (1999)", "(Markman, Stanley & Blumberg, 2010)"],
                  "revisit": ["(Johnson, 2008)"]}[name]:
        assert cited in source, cited


def test_time_out_offers_the_default_and_a_real_length_among_its_practice_lengths():
    content = time_out_content()
    assert content.default_minutes in content.practice_minutes
    assert content.real_minutes in content.practice_minutes


def test_both_cards_keep_fear_of_a_partner_in_view():
    assert "afraid of your partner" in time_out_content().safety_note["en"]
    assert "afraid of your partner" in revisit_content().safety_note["en"]
    assert "miedo de tu pareja" in time_out_content().safety_note["es"]
    assert "miedo de tu pareja" in revisit_content().safety_note["es"]


# -- the widget -----------------------------------------------------------------------------------

def html_of(widget: w.Widget) -> str:
    out = []
    for child in getattr(widget, "children", ()):
        out.append(html_of(child))
    if isinstance(widget, w.HTML):
        out.append(widget.value)
    return "\n".join(out)


def test_time_out_starts_ready_with_the_default_length(store, joined):
    ex = TimeOutExercise(store, joined, timepoint="session3")
    content = time_out_content()
    assert ex.total_seconds == content.default_minutes * 60
    assert ex.minutes.value == content.default_minutes
    assert ex.timer.value == 0 and not ex.timer.playing and ex.timer.interval == 1000
    assert ex.left.value == clock(ex.total_seconds) and ex.left.disabled
    assert content.message_ready["en"] in ex.message.value and "role='status'" in ex.message.value


def test_the_timer_keeps_time_in_the_browser_through_links():
    ex = TimeOutExercise()
    linked = {(link.source[0], link.source[1], link.target[0], link.target[1]) for link in ex.links}
    assert linked == {(ex.timer, "value", ex.bar, "value"), (ex.timer, "value", ex.left, "index")}
    assert all(type(link).__name__ == "DirectionalLink" for link in ex.links), "jsdlink: a browser-side link"


def test_ticks_move_the_message_through_the_phases():
    ex = TimeOutExercise(minutes=3)
    content = time_out_content()
    seen = []
    for second in range(0, 181):
        ex.timer.value = second
        seen.append(ex.phase)
    assert seen[0] == "ready" and seen[1] == "soothe" and seen[90] == "halfway"
    assert seen[120] == "last_minute" and seen[180] == "done"
    assert content.message_done["en"] in ex.message.value


def test_changing_the_minutes_resets_the_timer_bar_and_readout():
    ex = TimeOutExercise()
    ex.timer.value = 70
    ex.minutes.value = 5
    assert ex.total_seconds == 300 and ex.bar.max == 300 and ex.timer.value == 0
    assert ex.left.options[0] == "05:00" and ex.left.index == 0 and len(ex.left.options) == 301
    assert ex.phase == "ready"


def test_start_again_goes_back_to_the_beginning_of_the_same_break():
    ex = TimeOutExercise(minutes=1)
    ex.timer.value = 60
    assert ex.phase == "done"
    ex.restart_button.click()
    assert ex.timer.value == 0 and ex.bar.value == 0 and ex.left.index == 0 and ex.total_seconds == 60
    assert ex.phase == "ready"


def test_minutes_out_of_range_are_refused():
    with pytest.raises(ValueError):
        TimeOutExercise(minutes=90)


def test_time_out_shows_the_four_steps_repairs_and_safety_in_spanish():
    ex = TimeOutExercise(language="es")
    content = time_out_content()
    page = html_of(ex)
    for n, key in enumerate(("signs_heading", "say_heading", "soothe_heading", "come_back_heading"), 1):
        assert f"Paso {n} de 4" in page and getattr(content, key)["es"] in page
    for repair in content.repairs:
        assert html.escape(repair["es"]) in page
    assert "miedo de tu pareja" in page and ex.minutes.description == "Minutos"
    assert "Time left" not in page and ex.left.description == content.remaining_label["es"]


def test_time_out_stores_nothing(store, joined):
    ex = TimeOutExercise(store, joined, timepoint="session3")
    ex.minutes.value = 1
    ex.timer.value = ex.total_seconds
    ex.restart_button.click()
    assert store.answers().empty


def test_revisit_card_is_escaped_and_in_the_language_asked_for():
    for language in ("en", "es"):
        page = revisit_html(language)
        content = revisit_content()
        assert html_of(revisit_card(language)).count(content.title[language]) == 1
        for step in content.steps:
            assert html.escape(step[language]) in page
        assert "<ol>" in page and "<details>" in page
        assert not re.search(r"<(script|img|iframe)", page)
