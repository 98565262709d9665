"""Speaker–listener practice card: the rules of each role, a role switch and a turn timer.

The timer runs in the browser: an ``ipywidgets.Play`` counts seconds and is linked with
``jsdlink`` to a progress bar and a seconds box, so it keeps time with no Python callback and
no thread, even when the kernel is slow or busy. Python only resets it (switching roles,
changing the turn length) and says when a turn is over. Nothing is stored. Texts are data in
``content/exercises/speaker_listener.yaml``.

Practising with one's partner is suggested only to a linked couple for whom pairing is advised
(``ResponseStore.paired_with``); everyone else, whatever the reason, reads the same neutral
"practise this one on your own today", so a partner cannot tell a couple whose relationship-safety
screen fired from one that never linked.
"""

from __future__ import annotations

import html

import ipywidgets as w
from pydantic import Field

from toolkit.content.text import pick, ui
from toolkit.instruments.model import Strict, Text
from toolkit.widgets import JoinForm
from toolkit.widgets.exercise import exercise_box, exercise_style, load_content

DEFAULT_TURN_MINUTES = 2
MAX_TURN_MINUTES = 10


class SpeakerListenerContent(Strict):
    title: Text
    intro: Text
    topic_note: Text
    who_note: Text
    person_a: Text
    person_b: Text
    turn_line: Text
    speaker_heading: Text
    speaker_rules: list[Text] = Field(min_length=1)
    listener_heading: Text
    listener_rules: list[Text] = Field(min_length=1)
    both_heading: Text
    both_rules: list[Text] = Field(min_length=1)
    starters_heading: Text
    starters: list[Text] = Field(min_length=1)
    switch_button: Text
    minutes_label: Text
    timer_label: Text
    timer_help: Text
    elapsed_label: Text
    time_up: Text
    source_note: Text


def speaker_listener_content() -> SpeakerListenerContent:
    return load_content("speaker_listener", SpeakerListenerContent)


class SpeakerListenerCard(w.VBox):
    """``SpeakerListenerCard(store, participant, timepoint, language=..., turn_minutes=2)``.

    ``store``, ``participant`` and ``timepoint`` are accepted like every exercise's, but the
    card stores nothing: it is a practice aid. ``store`` and ``participant`` (a code, or the
    page's join form, followed as the participant joins) decide whether pair practice is suggested.
    """

    def __init__(self, store=None, participant: str | JoinForm | None = None, timepoint: str = "pre", *,
                 language: str = "en", turn_minutes: int = DEFAULT_TURN_MINUTES):
        content = speaker_listener_content()
        self.language = language
        self.store, self.participant = store, participant
        self.who = w.HTML()
        t = lambda text: pick(text, language)  # noqa: E731
        self.people = (t(content.person_a), t(content.person_b))
        self.turn = 1
        self.speaker = 0  # index into people

        seconds = int(turn_minutes) * 60
        self.minutes = w.BoundedIntText(value=int(turn_minutes), min=1, max=MAX_TURN_MINUTES,
                                        description=t(content.minutes_label), style={"description_width": "initial"})
        self.timer = w.Play(value=0, min=0, max=seconds, step=1, interval=1000, show_repeat=False,
                            description=t(content.timer_label), style={"description_width": "initial"})
        self.bar = w.IntProgress(value=0, min=0, max=seconds, layout=w.Layout(width="100%"))
        self.elapsed = w.IntText(value=0, disabled=True, style={"description_width": "initial"})
        self.links = [w.jsdlink((self.timer, "value"), (self.bar, "value")),
                      w.jsdlink((self.timer, "value"), (self.elapsed, "value"))]
        self.roles = w.HTML()
        self.time_up = w.HTML()
        self.switch_button = w.Button(description=t(content.switch_button), button_style="primary")
        self.switch_button.on_click(lambda _: self.switch_roles())
        self.minutes.observe(lambda change: self.set_turn_minutes(change["new"]), names="value")
        self.timer.observe(self._ticked, names="value")

        def rules(heading: Text, items: list[Text]) -> str:
            rows = "".join(f"<li>{html.escape(t(item))}</li>" for item in items)
            return f"<h3>{html.escape(t(heading))}</h3><ul>{rows}</ul>"

        card = w.HTML(rules(content.speaker_heading, content.speaker_rules)
                      + rules(content.listener_heading, content.listener_rules)
                      + rules(content.both_heading, content.both_rules)
                      + f"<details><summary>{html.escape(t(content.starters_heading))}</summary><ul>"
                      + "".join(f"<li>{html.escape(t(s))}</li>" for s in content.starters) + "</ul></details>")
        timer_box = w.VBox([self.minutes,
                            w.HTML(f"<p><b>{html.escape(t(content.timer_label))}</b></p>"
                                   f"<p class='attune-note'>{html.escape(t(content.timer_help))}</p>"),
                            self.timer, self.bar, self.elapsed, self.time_up])
        timer_box.add_class("attune-section")
        super().__init__([
            exercise_style(),
            w.HTML(f"<h2>{html.escape(t(content.title))}</h2><p>{html.escape(t(content.intro))}</p>"
                   f"<p>{html.escape(t(content.topic_note))}</p>"),
            self.who, self.roles, card, timer_box, self.switch_button,
            w.HTML(f"<p class='attune-note'>{html.escape(t(content.source_note))}</p>"),
        ])
        exercise_box(self)
        if isinstance(participant, JoinForm):
            participant.on_join(lambda _: self._show_who())
        self._show_who()
        self._show_turn()
        self._label_elapsed()

    @property
    def paired(self) -> bool:
        """Whether pair practice with the partner is suggested: a linked couple, pairing advised."""
        code = self.participant.code if isinstance(self.participant, JoinForm) else self.participant
        if isinstance(self.participant, JoinForm) and not self.participant.saving:
            code = None
        return bool(self.store is not None and code and self.store.paired_with(code))

    def _show_who(self) -> None:
        content = speaker_listener_content()
        if self.paired:
            text = (f"<p>{html.escape(ui('speaker_listener_pair', self.language))}</p>"
                    f"<p class='attune-note'>{html.escape(pick(content.who_note, self.language))}</p>")
        else:
            text = f"<p class='attune-note'>{html.escape(ui('speaker_listener_solo', self.language))}</p>"
        self.who.value = text

    @property
    def turn_seconds(self) -> int:
        return self.timer.max

    def switch_roles(self) -> None:
        """The turn passes: the listener becomes the speaker, and the timer starts again from zero."""
        self.speaker = 1 - self.speaker
        self.turn += 1
        self.reset_timer()
        self._show_turn()

    def reset_timer(self) -> None:
        self.timer.playing = False
        self.timer.value = 0
        self.bar.value = 0
        self.elapsed.value = 0
        self.time_up.value = ""

    def set_turn_minutes(self, minutes: int) -> None:
        seconds = max(1, min(int(minutes), MAX_TURN_MINUTES)) * 60
        self.reset_timer()
        self.timer.max = seconds
        self.bar.max = seconds
        self._label_elapsed()

    def _ticked(self, change) -> None:
        over = change["new"] >= self.timer.max
        if over:
            message = pick(speaker_listener_content().time_up, self.language)
            self.time_up.value = f"<p role='status'><b>{html.escape(message)}</b></p>"
        elif self.time_up.value:
            self.time_up.value = ""

    def _show_turn(self) -> None:
        line = pick(speaker_listener_content().turn_line, self.language).format(
            turn=self.turn, speaker=self.people[self.speaker], listener=self.people[1 - self.speaker])
        self.roles.value = f"<div class='attune-feedback' role='status'><p><b>{html.escape(line)}</b></p></div>"

    def _label_elapsed(self) -> None:
        self.elapsed.description = pick(speaker_listener_content().elapsed_label, self.language).format(
            total=self.timer.max)
