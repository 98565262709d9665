"""What every exercise widget shares: its stylesheet, its classes, and reading its content file.

Exercises take these from here, never from a sibling exercise, so that each exercise can be
changed or removed on its own (an import-linter contract checks it).
"""

from __future__ import annotations

from functools import cache
from typing import TypeVar

import ipywidgets as w
from pydantic import BaseModel

from toolkit.content import EXERCISES_DIR
from toolkit.content.datafile import read_yaml, validate
from toolkit.widgets.style import style_widget

M = TypeVar("M", bound=BaseModel)


def exercise_style() -> w.HTML:
    """The participant stylesheet and the exercises' additions (``content/css/exercise.css``); once per widget."""
    return style_widget("exercise")


def exercise_box(widget: w.Box) -> None:
    """Give an exercise widget the classes its styles hang on."""
    widget.add_class("attune")
    widget.add_class("attune-exercise")


@cache
def load_content(name: str, model: type[M]) -> M:
    """An exercise's content file ``content/exercises/<name>.yaml``, checked against its model (problems as path:line)."""
    return validate(read_yaml(EXERCISES_DIR / f"{name}.yaml"), model)
