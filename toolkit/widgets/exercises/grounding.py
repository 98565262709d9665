"""A short, optional grounding exercise: 5-4-3-2-1 with the senses, or a slow-breathing pace.

Trauma-informed by design (curriculum, care principles): it is optional, says that one can
stop at any time, offers a choice of anchor (some people find the breath uncomfortable) and
asks nothing about anyone's past. Nothing is stored. The breathing pace runs in the browser:
an ``ipywidgets.Play`` linked with ``jsdlink`` to a slider whose readout shows "in 1 … out 6",
so the pace keeps steady with no Python callback. Texts are data in
``content/exercises/grounding.yaml``.
"""

from __future__ import annotations

import html

import ipywidgets as w
from pydantic import Field

from toolkit.content.text import pick
from toolkit.instruments.model import Strict, Text
from toolkit.widgets import JoinForm
from toolkit.widgets.exercise import exercise_box, exercise_style, load_content


class GroundingContent(Strict):
    title: Text
    intro: Text
    stop_any_time: Text
    choose_label: Text
    senses_name: Text
    breathing_name: Text
    neither_name: Text
    senses_steps: list[Text] = Field(min_length=1)
    step_counter: Text
    back_button: Text
    next_button: Text
    restart_button: Text
    senses_done: Text
    breathing_intro: Text
    breathing_timer_label: Text
    breathing_help: Text
    breathing_count_label: Text
    breath_in: Text
    breath_out: Text
    in_seconds: int = Field(ge=1, le=10)
    out_seconds: int = Field(ge=1, le=12)
    closing: Text
    source_note: Text


def grounding_content() -> GroundingContent:
    return load_content("grounding", GroundingContent)


def breathing_counts(language: str = "en") -> list[str]:
    """One label per second of a breath: "in 1" … "in 4", "out 1" … "out 6"."""
    content = grounding_content()
    breath_in, breath_out = pick(content.breath_in, language), pick(content.breath_out, language)
    return ([f"{breath_in} {n}" for n in range(1, content.in_seconds + 1)]
            + [f"{breath_out} {n}" for n in range(1, content.out_seconds + 1)])


class GroundingExercise(w.VBox):
    """``GroundingExercise(store, participant, timepoint, language=...)``; stores nothing."""

    def __init__(self, store=None, participant: str | JoinForm | None = None, timepoint: str = "pre", *,
                 language: str = "en"):
        content = grounding_content()
        self.language = language
        t = lambda text: pick(text, language)  # noqa: E731
        self.steps = [t(step) for step in content.senses_steps]
        self.step = 0

        self.choice = w.RadioButtons(options=[(t(content.senses_name), "senses"),
                                              (t(content.breathing_name), "breathing"),
                                              (t(content.neither_name), "neither")],
                                     value=None, description=t(content.choose_label), layout=w.Layout(width="100%"))
        self.choice.observe(lambda _: self._show_choice(), names="value")

        self.step_html = w.HTML()
        self.back_button = w.Button(description=t(content.back_button))
        self.next_button = w.Button(description=t(content.next_button), button_style="primary")
        self.restart_button = w.Button(description=t(content.restart_button))
        self.back_button.on_click(lambda _: self.go_to(self.step - 1))
        self.next_button.on_click(lambda _: self.go_to(self.step + 1))
        self.restart_button.on_click(lambda _: self.go_to(0))
        self.senses = w.VBox([self.step_html, self.back_button, self.next_button, self.restart_button])

        counts = breathing_counts(language)
        self.pacer = w.Play(value=0, min=0, max=len(counts) - 1, step=1, interval=1000, repeat=True,
                            show_repeat=False, description=t(content.breathing_timer_label),
                            style={"description_width": "initial"})
        self.count = w.SelectionSlider(options=counts, index=0, disabled=True, readout=True,
                                       continuous_update=True, description=t(content.breathing_count_label),
                                       layout=w.Layout(width="100%"))
        self.links = [w.jsdlink((self.pacer, "value"), (self.count, "index"))]
        self.breathing = w.VBox([
            w.HTML(f"<p>{html.escape(t(content.breathing_intro))}</p>"
                   f"<p><b>{html.escape(t(content.breathing_timer_label))}</b></p>"
                   f"<p class='attune-note'>{html.escape(t(content.breathing_help))}</p>"),
            self.pacer, self.count])

        for section in (self.senses, self.breathing):
            section.add_class("attune-section")
            section.layout.display = "none"
        choice_box = w.VBox([self.choice])
        choice_box.add_class("attune-item")
        super().__init__([
            exercise_style(),
            w.HTML(f"<h2>{html.escape(t(content.title))}</h2><p>{html.escape(t(content.intro))}</p>"
                   f"<p role='note'><b>{html.escape(t(content.stop_any_time))}</b></p>"),
            choice_box, self.senses, self.breathing,
            w.HTML(f"<p>{html.escape(t(content.closing))}</p>"
                   f"<p class='attune-note'>{html.escape(t(content.source_note))}</p>"),
        ])
        exercise_box(self)
        self.go_to(0)

    def go_to(self, step: int) -> None:
        """Show step ``step`` of 5-4-3-2-1 (0-based); one past the last shows the closing words."""
        content = grounding_content()
        lang = self.language
        self.step = max(0, min(step, len(self.steps)))
        if self.step < len(self.steps):
            counter = pick(content.step_counter, lang).format(n=self.step + 1, total=len(self.steps))
            body = (f"<p class='attune-note'>{html.escape(counter)}</p>"
                    f"<p style='font-size:1.15em'>{html.escape(self.steps[self.step])}</p>")
        else:
            body = f"<p>{html.escape(pick(content.senses_done, lang))}</p>"
        self.step_html.value = f"<div role='status'>{body}</div>"
        self.back_button.disabled = self.step == 0
        self.next_button.disabled = self.step >= len(self.steps)
        self.restart_button.layout.display = "" if self.step >= len(self.steps) else "none"

    def _show_choice(self) -> None:
        chosen = self.choice.value
        self.senses.layout.display = "" if chosen == "senses" else "none"
        self.breathing.layout.display = "" if chosen == "breathing" else "none"
        if chosen != "breathing":
            self.pacer.playing = False
