"""Time-out practice: notice flooding, call a break, calm down with a timer, come back; and small repairs.

The pure part (what the timer shows after so many seconds, the "time left" labels, the
sentence for calling a break) is plain functions at the top of this module, testable without
a kernel or a browser. The widget is the shell around them.

The timer runs in the browser, as in the speaker-listener card: an ``ipywidgets.Play`` counts
seconds and is linked with ``jsdlink`` to a progress bar and to a read-only slider whose
readout is the time left ("01:59"), so it keeps time with no Python callback and no network,
in a Voilà page too. Python only resets it and changes the message as phases pass. Nothing is
stored. Texts are data in ``content/exercises/time_out.yaml``.
"""

from __future__ import annotations

import html
from typing import Literal

import ipywidgets as w
from pydantic import Field, model_validator

from toolkit.content.text import pick
from toolkit.instruments.model import Strict, Text
from toolkit.widgets import JoinForm
from toolkit.widgets.exercise import exercise_box, exercise_style, load_content

MAX_MINUTES = 60
Phase = Literal["ready", "soothe", "halfway", "last_minute", "done"]


class TimeOutContent(Strict):
    title: Text
    intro: Text
    practice_note: Text
    step_label: Text
    signs_heading: Text
    signs_intro: Text
    signs: list[Text] = Field(min_length=1)
    say_heading: Text
    say_intro: Text
    say_it: Text
    say_tip: Text
    soothe_heading: Text
    soothe_intro: Text
    soothe: list[Text] = Field(min_length=1)
    avoid: Text
    timer_label: Text
    minutes_label: Text
    timer_help: Text
    remaining_label: Text
    restart_button: Text
    message_ready: Text
    message_soothe: Text
    message_halfway: Text
    message_last_minute: Text
    message_done: Text
    come_back_heading: Text
    come_back: list[Text] = Field(min_length=1)
    repair_heading: Text
    repair_intro: Text
    repairs: list[Text] = Field(min_length=1)
    own_words_label: Text
    safety_note: Text
    source_note: Text
    practice_minutes: list[int] = Field(min_length=1)
    default_minutes: int = Field(ge=1, le=MAX_MINUTES)
    real_minutes: int = Field(ge=1, le=MAX_MINUTES)

    @model_validator(mode="after")
    def _default_is_offered(self) -> TimeOutContent:
        if any(not 1 <= m <= MAX_MINUTES for m in self.practice_minutes):
            raise ValueError(f"practice_minutes: each length is 1 to {MAX_MINUTES} minutes")
        if self.default_minutes not in self.practice_minutes:
            raise ValueError("default_minutes must be one of practice_minutes")
        return self


def time_out_content() -> TimeOutContent:
    return load_content("time_out", TimeOutContent)


# -- the pure part ---------------------------------------------------------------------------------

def clock(seconds: int) -> str:
    """Seconds as minutes and seconds: 125 -> "02:05"."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def remaining_labels(total_seconds: int) -> list[str]:
    """The readout for every second of a break: index = seconds gone, label = time left ("02:00" … "00:00")."""
    return [clock(total_seconds - gone) for gone in range(total_seconds + 1)]


def phase(elapsed: int, total: int) -> Phase:
    """Where a break of ``total`` seconds is after ``elapsed`` seconds.

    Not started (0), then calming down; from half-way, a reminder to notice the body; in the
    last minute of a break over two minutes long, a reminder to think about coming back;
    at the end, done. A last-minute reminder in a one- or two-minute practice break would come
    right after the half-way one, so short breaks go straight from half-way to done.
    """
    if total <= 0 or elapsed >= total:
        return "done"
    if elapsed <= 0:
        return "ready"
    if total > 120 and total - elapsed <= 60:
        return "last_minute"
    if 2 * elapsed >= total:
        return "halfway"
    return "soothe"


def timer_message(elapsed: int, total: int, language: str = "en") -> str:
    """The message the timer shows after ``elapsed`` of ``total`` seconds, in ``language``."""
    content = time_out_content()
    return pick(getattr(content, f"message_{phase(elapsed, total)}"), language)


def say_it(language: str = "en", minutes: int | None = None) -> str:
    """The example sentence for calling a break, with the suggested real break length."""
    content = time_out_content()
    return pick(content.say_it, language).format(minutes=minutes or content.real_minutes)


# -- the widget ---------------------------------------------------------------------------------------

class TimeOutExercise(w.VBox):
    """``TimeOutExercise(store, participant, timepoint, language=..., minutes=None)``; stores nothing.

    ``store``, ``participant`` and ``timepoint`` are accepted like every exercise's. ``minutes``
    is the practice break's first length (the content's ``default_minutes`` when not given).
    """

    def __init__(self, store=None, participant: str | JoinForm | None = None, timepoint: str = "pre", *,
                 language: str = "en", minutes: int | None = None):
        content = time_out_content()
        self.language = language
        t = lambda text: pick(text, language)  # noqa: E731
        e = html.escape
        options = sorted(set(content.practice_minutes) | ({int(minutes)} if minutes else set()))
        first = int(minutes) if minutes else content.default_minutes
        if not 1 <= first <= MAX_MINUTES:
            raise ValueError(f"minutes must be 1 to {MAX_MINUTES}, not {minutes}")
        seconds = first * 60

        self.minutes = w.Dropdown(options=options, value=first, description=t(content.minutes_label),
                                  style={"description_width": "initial"})
        self.timer = w.Play(value=0, min=0, max=seconds, step=1, interval=1000, show_repeat=False,
                            description=t(content.timer_label), style={"description_width": "initial"})
        self.bar = w.IntProgress(value=0, min=0, max=seconds, layout=w.Layout(width="100%"))
        self.left = w.SelectionSlider(options=remaining_labels(seconds), index=0, disabled=True, readout=True,
                                      continuous_update=True, description=t(content.remaining_label),
                                      style={"description_width": "initial"}, layout=w.Layout(width="100%"))
        self.links = [w.jsdlink((self.timer, "value"), (self.bar, "value")),
                      w.jsdlink((self.timer, "value"), (self.left, "index"))]
        self.message = w.HTML()
        self.phase: Phase = "ready"
        self.restart_button = w.Button(description=t(content.restart_button))
        self.restart_button.on_click(lambda _: self.reset())
        self.minutes.observe(lambda change: self.set_minutes(change["new"]), names="value")
        self.timer.observe(lambda change: self._show_message(change["new"]), names="value")

        total = 4

        def heading(n: int, text: Text) -> str:
            label = t(content.step_label).format(n=n, total=total)
            return f"<p class='attune-note'>{e(label)}</p><h3>{e(t(text))}</h3>"

        def bullets(items: list[Text]) -> str:
            return "<ul>" + "".join(f"<li>{e(t(item))}</li>" for item in items) + "</ul>"

        signs = w.HTML(heading(1, content.signs_heading) + f"<p>{e(t(content.signs_intro))}</p>" + bullets(content.signs))
        say = w.HTML(heading(2, content.say_heading) + f"<p>{e(t(content.say_intro))}</p>"
                     f"<p><b>{e(say_it(language))}</b></p><p class='attune-note'>{e(t(content.say_tip))}</p>")
        soothe = w.VBox([
            w.HTML(heading(3, content.soothe_heading) + f"<p>{e(t(content.soothe_intro))}</p>" + bullets(content.soothe)
                   + f"<p class='attune-note'>{e(t(content.avoid))}</p>"
                   f"<p><b>{e(t(content.timer_label))}</b></p><p class='attune-note'>{e(t(content.timer_help))}</p>"),
            self.minutes, self.timer, self.bar, self.left, self.message, self.restart_button])
        back = w.HTML(heading(4, content.come_back_heading) + bullets(content.come_back))
        repair = w.HTML(f"<h3>{e(t(content.repair_heading))}</h3><p>{e(t(content.repair_intro))}</p>"
                        + bullets(content.repairs))
        for section in (signs, say, soothe, back, repair):
            section.add_class("attune-section")
        super().__init__([
            exercise_style(),
            w.HTML(f"<h2>{e(t(content.title))}</h2><p>{e(t(content.intro))}</p>"
                   f"<p class='attune-note'>{e(t(content.practice_note).format(minutes=content.real_minutes))}</p>"),
            signs, say, soothe, back, repair,
            w.HTML(f"<div class='attune-private' role='note'><p>{e(t(content.safety_note))}</p></div>"
                   f"<p class='attune-note'>{e(t(content.source_note))}</p>"),
        ])
        exercise_box(self)
        self._show_message(0)

    @property
    def total_seconds(self) -> int:
        return self.timer.max

    def set_minutes(self, minutes: int) -> None:
        """A new break length: the timer, the bar and the time-left readout start again from zero."""
        seconds = max(1, min(int(minutes), MAX_MINUTES)) * 60
        self.timer.playing = False
        self.timer.value = 0
        self.timer.max = self.bar.max = seconds
        self.bar.value = 0
        self.left.options = remaining_labels(seconds)
        self.left.index = 0
        self._show_message(0)

    def reset(self) -> None:
        """Back to the start of the same break."""
        self.timer.playing = False
        self.timer.value = 0
        self.bar.value = 0
        self.left.index = 0
        self._show_message(0)

    def _show_message(self, elapsed: int) -> None:
        """Show the message of the phase the break is in; only a change of phase is sent to the page."""
        now = phase(elapsed, self.total_seconds)
        if now == self.phase and self.message.value:
            return
        self.phase = now
        text = timer_message(elapsed, self.total_seconds, self.language)
        self.message.value = f"<div class='attune-feedback' role='status'><p><b>{html.escape(text)}</b></p></div>"
