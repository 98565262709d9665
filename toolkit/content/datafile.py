"""Read a YAML data file so that every problem in it can be reported as ``path:line``.

PyYAML's node tree knows where each value starts; we keep that position for every
path of keys and indexes, so that a pydantic error location or one of our own
consistency checks can be turned into the line a person has to edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from toolkit.errors import DataFileError, Problem

Loc = tuple[Any, ...]
M = TypeVar("M", bound=BaseModel)


class LocatedData:
    """Plain Python data from a YAML file, with the line of every key path."""

    def __init__(self, path: str, data: Any, lines: dict[Loc, int]):
        self.path = path
        self.data = data
        self.lines = lines

    def line_of(self, loc: Sequence[Any]) -> int | None:
        """The line of the deepest part of ``loc`` that exists in the file."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)

    def problem(self, loc: Sequence[Any], message: str) -> Problem:
        return Problem(self.path, self.line_of(loc), message)


def _to_python(node: yaml.Node, loc: Loc, lines: dict[Loc, int], problems: list[Problem], path: str) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in out:
                problems.append(Problem(path, key_node.start_mark.line + 1, f"duplicate key {key!r}"))
                continue
            out[key] = _to_python(value_node, loc + (key,), lines, problems, path)
            lines[loc + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(child, loc + (i,), lines, problems, path) for i, child in enumerate(node.value)]
    return _scalar(node)


_CONSTRUCTOR = yaml.SafeLoader("")


def _scalar(node: yaml.Node) -> Any:
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    return _CONSTRUCTOR.construct_object(node, deep=True)


def read_yaml(path: str | Path, text: str | None = None) -> LocatedData:
    """Parse ``path`` (or ``text`` shown as ``path``) into located data; raise DataFileError."""
    shown = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataFileError([Problem(shown, None, "file not found")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError([Problem(shown, None, f"cannot be read: {exc}")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DataFileError([Problem(shown, line, f"YAML syntax error: {exc.problem or exc}")]) from None
    if node is None:
        raise DataFileError([Problem(shown, 1, "the file is empty")])
    lines: dict[Loc, int] = {}
    problems: list[Problem] = []
    data = _to_python(node, (), lines, problems, shown)
    if problems:
        raise DataFileError(problems)
    return LocatedData(shown, data, lines)


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown field {loc!r}"
    if kind == "missing":
        return f"missing field {loc!r}"
    msg = error["msg"].removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def validate(located: LocatedData, model: type[M], checks: Callable[[M, LocatedData], list[Problem]] | None = None,
             error_type: type[DataFileError] = DataFileError) -> M:
    """Validate located data against ``model``, then run cross-field ``checks``."""
    try:
        obj = model.model_validate(located.data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            problems.append(located.problem(loc, _describe({**err, "loc": loc})))
        raise error_type(_dedupe(problems)) from None
    if checks is not None:
        problems = checks(obj, located)
        if problems:
            raise error_type(problems)
    return obj


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.line, p.message) not in seen:
            seen.add((p.line, p.message))
            out.append(p)
    return sorted(out, key=lambda p: (p.line or 0))
