"""Write a file with one mistake in it, and find the line a message must name.

A bad file always starts from a valid text with exactly one change, and the expected line is
found in the changed text, so tests keep pinning the line a trainer must edit even when the
valid text is edited.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


def line_of(text: str | Path, fragment: str) -> int:
    """1-based line on which ``fragment`` starts; it must occur exactly once (a text or a file's)."""
    if isinstance(text, Path):
        text = text.read_text(encoding="utf-8")
    assert text.count(fragment) == 1, f"{fragment!r} occurs {text.count(fragment)} times"
    return text[:text.index(fragment)].count("\n") + 1


def write_changed(path: Path, valid: str, old: str, new: str) -> tuple[Path, str]:
    """Write ``valid`` with its one ``old`` replaced by ``new`` to ``path``; return the path and the text."""
    assert valid.count(old) == 1, f"{old!r} occurs {valid.count(old)} times"
    text = valid.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path, text


def problems_of(load: Callable[[Path], object], error: type[Exception], path: Path) -> list[str]:
    """Every ``path:line: message`` that loading ``path`` reports (it must fail with ``error``)."""
    with pytest.raises(error) as caught:
        load(path)
    return [str(p) for p in caught.value.problems]


def assert_only_problem(problems: list[str], path: Path, line: int, fragment: str) -> None:
    """Exactly one problem, at ``path:line``, saying ``fragment``."""
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: "), problems[0]
    assert fragment in problems[0], problems[0]
