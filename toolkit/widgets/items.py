"""One control per item type, each with a visible label and a way to not answer.

Every control reports its answer as one value: a number from the response scale, a
missing-answer code ("prefer_not_to_say", "dont_know"), text (free text), a list of
option values (multiple choice), or None when the item is left unanswered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from toolkit.content.text import pick, ui
from toolkit.instruments.model import Instrument, Item, ResponseScale


class ItemControl:
    """Wraps the widget(s) for one item; ``value`` is the answer, ``set_value`` restores one silently."""

    def __init__(self, inst: Instrument, item: Item, language: str, number: int):
        self.item = item
        self.language = language
        self._quiet = False
        self._callbacks: list[Callable[[ItemControl], None]] = []
        self.label = f"{number}. {pick(item.text, language)}"
        rs = inst.response_scale_of(item)
        self.clear_button = w.Button(description=ui("clear_answer", language), layout=w.Layout(display="none"))
        self.clear_button.add_class("attune-clear")
        self.clear_button.on_click(lambda _: self.clear())
        self.control = self._build(rs)
        parts = [self.control, self.clear_button]
        if item.help:
            parts.insert(1, w.HTML(f"<p class='attune-note'>{_escape(pick(item.help, language))}</p>"))
        self.widget = w.VBox(parts)
        self.widget.add_class("attune-item")

    # -- building ------------------------------------------------------------------------

    def _missing_options(self) -> list[tuple[str, str]]:
        extra = [(ui("prefer_not_to_say", self.language), "prefer_not_to_say")]
        if self.item.allow_dont_know:
            extra.append((ui("dont_know", self.language), "dont_know"))
        return extra

    def _build(self, rs: ResponseScale | None) -> w.Widget:
        kind = self.item.type
        if kind == "free_text":
            box = w.Textarea(description=self.label, placeholder=ui("free_text_placeholder", self.language),
                             continuous_update=True, layout=w.Layout(width="100%"))
            box.observe(lambda ch: self._changed(), names="value")
            return box
        if kind == "multiple_choice":
            self._boxes = [w.Checkbox(value=False, description=_option_label(rs, o.value, self.language), indent=False)
                           for o in rs.options]
            self._boxes_values = [o.value for o in rs.options]
            for box in self._boxes:
                box.observe(lambda ch: self._changed(), names="value")
            group = w.VBox([w.Label(self.label), *self._boxes])
            group.add_class("attune-choices")  # the participant template names the group by its question
            return group
        if kind == "slider":
            lo, hi, step = rs.slider
            slider = w.FloatSlider(min=lo, max=hi, step=step, value=lo, description=self.label,
                                   continuous_update=False, readout=True, layout=w.Layout(width="100%"))
            self._slider_touched = False
            self._slider_note = w.HTML(f"<span class='attune-note'>{_escape(ui('slider_untouched', self.language))}</span>")
            self._slider_missing = w.Checkbox(value=False, description=ui("prefer_not_to_say", self.language), indent=False)
            slider.observe(lambda ch: self._slider_moved(), names="value")
            self._slider_missing.observe(lambda ch: self._changed(), names="value")
            self._slider = slider
            return w.VBox([slider, self._slider_note, self._slider_missing])
        if kind == "yes_no":
            options = [(ui("yes", self.language), 1), (ui("no", self.language), 0)]
        else:
            options = [(_option_label(rs, o.value, self.language), o.value) for o in rs.options]
        radio = w.RadioButtons(options=options + self._missing_options(), value=None, description=self.label,
                               layout=w.Layout(width="100%"))
        radio.observe(lambda ch: self._changed(), names="value")
        return radio

    # -- value ---------------------------------------------------------------------------

    @property
    def value(self) -> Any:
        kind = self.item.type
        if kind == "free_text":
            return self.control.value if self.control.value.strip() else None
        if kind == "multiple_choice":
            chosen = [v for v, box in zip(self._boxes_values, self._boxes, strict=False) if box.value]
            return chosen or None
        if kind == "slider":
            if self._slider_missing.value:
                return "prefer_not_to_say"
            return self._slider.value if self._slider_touched else None
        return self.control.value

    def set_value(self, value: Any) -> None:
        """Show a saved answer without saving it again."""
        self._quiet = True
        try:
            kind = self.item.type
            if kind == "free_text":
                self.control.value = value or ""
            elif kind == "multiple_choice":
                chosen = set(value or [])
                for v, box in zip(self._boxes_values, self._boxes, strict=False):
                    box.value = v in chosen
            elif kind == "slider":
                self._slider_missing.value = value == "prefer_not_to_say"
                if isinstance(value, (int, float)):
                    self._slider.value = value
                    self._slider_touched = True
                    self._slider_note.layout.display = "none"
            else:
                self.control.value = None if value in (None, "skipped") else value
        finally:
            self._quiet = False
        self._refresh()

    def clear(self) -> None:
        kind = self.item.type
        if kind == "slider":
            self._slider_touched = False
            self._slider_note.layout.display = ""
            self._slider_missing.value = False
            self._changed()
        else:
            self.set_value(None)
            self._quiet = False
            self._notify()

    def on_change(self, callback: Callable[[ItemControl], None]) -> None:
        self._callbacks.append(callback)

    def _slider_moved(self) -> None:
        if not self._quiet:
            self._slider_touched = True
            self._slider_note.layout.display = "none"
        self._changed()

    def _changed(self) -> None:
        self._refresh()
        if not self._quiet:
            self._notify()

    def _notify(self) -> None:
        for callback in self._callbacks:
            callback(self)

    def _refresh(self) -> None:
        self.clear_button.layout.display = "none" if self.value is None else ""


def _option_label(rs: ResponseScale, value: float, language: str) -> str:
    """Labelled options show their label; the number too on a partly labelled scale or where asked (show_values)."""
    option = next(o for o in rs.options if o.value == value)
    partly = rs.show_values or any(o.label is None for o in rs.options)
    number = f"{value:g}"
    if option.label is None:
        return number
    label = pick(option.label, language)
    return f"{number} – {label}" if partly else label


def _escape(text: str) -> str:
    import html

    return html.escape(text)
