"""Settings: the one resolver for store, locale, language and k, and ``workshop.yaml``'s model.

Every process and kernel asks this module, never the environment directly: a value comes from
the argument, else the environment a server set for its kernels (``ATTUNE_*``), else the
workshop file, else the default.

``workshop.yaml``: what a trainer declares about one workshop, checked like an instrument file.

The file names the sessions in order and what each asks participants to fill in, the language
and the locale of the support contacts, the small-cell threshold k, the store, the declared
use and the facilitator's confirmation that the support contacts were checked. This module
holds its shape (pydantic), the checks that need the whole file (notebooks exist, instruments
can be found, nothing listed twice) and the loader; every problem is ``path:line: message``.
What a workshop *means* for its notebooks and instruments is checked in ``check.py``.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from toolkit.content.datafile import LocatedData, read_yaml, validate
from toolkit.errors import DataFileError, Problem, WorkshopFileError
from toolkit.instruments import bundled_ids
from toolkit.instruments.model import Strict, Text

WORKSHOP_FILE = "workshop.yaml"
DEFAULT_K = 5
#: How many participants a workshop's store takes (workshop.yaml's ``room``, ``attune serve --room``).
DEFAULT_ROOM = 40
ENV_ROOM = "ATTUNE_ROOM"
DEFAULT_STORE = Path.home() / ".attune" / "workshop.sqlite"
DEFAULT_LOCALE = "international"
#: Environment variables a session kernel reads (toolkit.widgets.session reads the first three).
ENV_STORE, ENV_LOCALE, ENV_LANGUAGE, ENV_WORKSHOP = "ATTUNE_STORE", "ATTUNE_LOCALE", "ATTUNE_LANGUAGE", "ATTUNE_WORKSHOP"

LANGUAGE_PATTERN = r"^[a-z]{2}(-[A-Z]{2})?$"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(location: object) -> bool:
    """Whether a store location is written as a URL (``postgresql://...``): kept as text, never a path."""
    return isinstance(location, str) and bool(_URL.match(location))

PACKAGE_DIR = Path(__file__).resolve().parent
#: Where a wheel keeps what a checkout has at its top (pyproject.toml, force-include).
PACKAGED = PACKAGE_DIR / "resources"


def bundled_path(name: str) -> Path:
    """A file or folder of the project, such as "notebooks" or "workshop.yaml": the wheel's copy when
    installed, else the checkout's own, so editing the checkout changes what runs."""
    root = PACKAGED if PACKAGED.is_dir() else PACKAGE_DIR.parent
    return root / name


def _language(value: Any) -> Any:
    if not isinstance(value, str) or not re.match(LANGUAGE_PATTERN, value):
        raise ValueError(f"{value!r} is not a language code: use two lower-case letters such as 'en' or 'es' "
                         "(optionally with a region, such as 'es-MX')")
    return value


def _whole_number_k(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number of people such as 5, not {value!r}")
    if value < 2:
        raise ValueError(f"must be at least 2, not {value}: a figure for fewer people is one person's own "
                         f"answer (the default is {DEFAULT_K})")
    return value


def _room(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a whole number of participants such as {DEFAULT_ROOM}, not {value!r}")
    return value


def _session_id(value: Any) -> Any:
    if value is None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:02d}"
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a session's number such as '01' or its notebook's name, not {value!r}")
    return value.strip()


def _confirmation(value: Any) -> Any:
    if isinstance(value, (bool, date)):
        return value
    raise ValueError(f"{value!r} is neither a date nor false: write the date you checked every support contact "
                     "for your locale (for example 2026-11-20), or false until you have")


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


Language = Annotated[str, BeforeValidator(_language)]


class SessionSpec(Strict):
    """One session: its notebook and the instruments the notebook asks participants to fill in."""

    notebook: str
    instruments: list[str] = Field(default_factory=list)


class WorkshopSpec(Strict):
    title: Text
    language: Language
    locale: Annotated[str, BeforeValidator(_text), Field(min_length=1)]
    crisis_resources_checked: Annotated[bool | date, BeforeValidator(_confirmation)]
    use: Literal["non_commercial", "commercial"]
    k: Annotated[int, BeforeValidator(_whole_number_k)] = DEFAULT_K
    room: Annotated[int, BeforeValidator(_room)] = DEFAULT_ROOM
    #: The session the workshop is on today (its number such as "01", or its notebook's name):
    #: ``attune serve`` keeps pages of it warm for the whole room (``--session``).
    session: Annotated[str | None, BeforeValidator(_session_id)] = None
    store: str | None = None
    sessions: list[SessionSpec] = Field(min_length=1)

    @property
    def crisis_resources_confirmed(self) -> bool:
        return self.crisis_resources_checked is not False


#: Added to "missing field" problems: what to write, for a trainer who has not read the docs.
HINTS = {
    "title": "add a title for participants, for example `title: {en: Our relationship workshop}`",
    "language": "add `language: en` (or the code of the language the workshop runs in)",
    "locale": "add the country of the support contacts, for example `locale: en-GB`, or `locale: international`",
    "crisis_resources_checked": "add `crisis_resources_checked: false`, and once you have checked every support "
                                "contact for your locale, write the date of that check instead (e.g. 2026-11-20)",
    "use": "add `use: non_commercial`, or `use: commercial` if participants or an employer pay for the workshop",
    "sessions": "list the session notebooks in order under `sessions:`",
    "notebook": "give each session a `notebook:` path such as notebooks/01_recognizing.ipynb",
}


@dataclass(frozen=True)
class InstrumentRef:
    """One instrument named in ``sessions[session].instruments[position]``, resolved."""

    session: int
    position: int
    name: str  # as written in the file
    source: str | Path  # a bundled id, or the path of the file

    @property
    def loc(self) -> tuple:
        return ("sessions", self.session, "instruments", self.position)


@dataclass(frozen=True)
class Workshop:
    """A validated workshop file, with paths resolved against its folder."""

    path: Path
    spec: WorkshopSpec
    source: LocatedData

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def notebooks(self) -> list[Path]:
        return [self.folder / s.notebook for s in self.spec.sessions]

    @property
    def instruments(self) -> list[InstrumentRef]:
        """Every instrument reference in session order (the same one may appear in several sessions)."""
        return [InstrumentRef(i, j, name, resolve_instrument(name, self.folder))
                for i, s in enumerate(self.spec.sessions) for j, name in enumerate(s.instruments)]

    @property
    def store_path(self) -> Path | str:
        """The store file (relative to this file's folder), or a ``postgresql://`` URL as written."""
        if not self.spec.store:
            return DEFAULT_STORE
        if is_url(self.spec.store):
            return self.spec.store
        path = Path(self.spec.store).expanduser()
        return path if path.is_absolute() else self.folder / path

    def where(self, loc: tuple = ()) -> str:
        """``path:line`` of a key path in the file, for messages about it."""
        line = self.source.line_of(loc)
        return f"{self.source.path}:{line}" if line else self.source.path

    def environment(self, **overrides: str) -> dict[str, str]:
        """Variables for a session kernel: store, locale, language, and this file."""
        env = {ENV_STORE: str(self.store_path), ENV_LOCALE: self.spec.locale, ENV_LANGUAGE: self.spec.language,
               ENV_WORKSHOP: str(self.path.resolve())}
        env.update(overrides)
        return env


def workshop_file(path: str | Path | None = None) -> Path:
    """The file meant by ``path``: a workshop file, or a folder holding ``workshop.yaml``."""
    path = Path(path) if path else Path(WORKSHOP_FILE)
    return path / WORKSHOP_FILE if path.is_dir() else path


def load_workshop(path: str | Path | None = None) -> Workshop:
    """Parse and validate a workshop file; raise WorkshopFileError with every problem found."""
    path = workshop_file(path)
    try:
        located = read_yaml(path)
    except DataFileError as exc:
        raise WorkshopFileError(exc.problems) from None
    try:
        spec = validate(located, WorkshopSpec, check_workshop_file, error_type=WorkshopFileError)
    except WorkshopFileError as exc:
        raise WorkshopFileError([_with_hint(p) for p in exc.problems]) from None
    return Workshop(path, spec, located)


def current_workshop() -> Workshop | None:
    """The workshop a kernel was started for (``$ATTUNE_WORKSHOP``), if any."""
    path = os.environ.get(ENV_WORKSHOP)
    return load_workshop(path) if path else None


def resolve_store_path(store: str | os.PathLike | None = None, workshop: Workshop | None = None) -> Path | str:
    """The store to use: the argument, else ``$ATTUNE_STORE``, else the workshop's, else the default.

    A file path (SQLite), or a URL kept as text (``toolkit.store.location`` checks its scheme).
    """
    for given in (store, os.environ.get(ENV_STORE)):
        if given:
            return given if is_url(given) else Path(given).expanduser()
    return workshop.store_path if workshop else DEFAULT_STORE


def resolve_locale(locale: str | None = None, workshop: Workshop | None = None) -> str:
    """The locale of the support contacts: argument, ``$ATTUNE_LOCALE``, the workshop's, else international."""
    return locale or os.environ.get(ENV_LOCALE) or (workshop.spec.locale if workshop else "") or DEFAULT_LOCALE


def resolve_language(language: str | None = None, workshop: Workshop | None = None) -> str:
    """The language of every text: argument, ``$ATTUNE_LANGUAGE``, the workshop's, else English."""
    return language or os.environ.get(ENV_LANGUAGE) or (workshop.spec.language if workshop else "") or "en"


def resolve_k(k: int | None = None, workshop: Workshop | None = None) -> int:
    """The small-cell threshold: argument, the workshop's, else the default."""
    return k or (workshop.spec.k if workshop else DEFAULT_K)


def resolve_room(room: int | None = None, workshop: Workshop | None = None) -> int:
    """How many participants may join: argument, ``$ATTUNE_ROOM``, the workshop's, else the default (40)."""
    if room:
        return room
    text = os.environ.get(ENV_ROOM, "")
    if text.isdigit() and int(text) > 0:
        return int(text)
    return workshop.spec.room if workshop else DEFAULT_ROOM


def resolve_session(session: str | None, notebooks: list[Path], workshop: Workshop | None = None) -> Path | None:
    """Today's session notebook among ``notebooks``: the argument, else the workshop's ``session``, else None.

    A session is named by its number ("01", "1") or its notebook's name, with or without
    ".ipynb" ("01_recognizing"). Raises ValueError, naming the sessions there are, if none or
    several notebooks match.
    """
    wanted = session or (workshop.spec.session if workshop else None)
    if not wanted:
        return None
    wanted = str(wanted).strip().removesuffix(".ipynb")
    if wanted.isdigit():
        matches = [p for p in notebooks if p.stem.split("_", 1)[0].isdigit()
                   and int(p.stem.split("_", 1)[0]) == int(wanted)]
    else:
        matches = [p for p in notebooks if p.stem == wanted]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in notebooks) or "none"
        raise ValueError(f"session {wanted!r} is not one of this workshop's sessions ({names}): give its number "
                         "such as 01 or its notebook's name")
    return matches[0]


def resolve_instrument(name: str, folder: Path) -> str | Path | None:
    """A bundled id as is, a path as the file it names (relative to ``folder``); None if neither."""
    if name in bundled_ids():
        return name
    if _looks_like_path(name):
        path = Path(name).expanduser()
        path = (path if path.is_absolute() else folder / path).resolve()
        return path if path.is_file() else None
    return None


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith((".yaml", ".yml"))


# -- checks that need the whole file ------------------------------------------------------------

def check_workshop_file(spec: WorkshopSpec, src: LocatedData) -> list[Problem]:
    folder = Path(src.path).parent
    problems: list[Problem] = []
    seen: dict[Path, int] = {}
    for i, session in enumerate(spec.sessions):
        loc = ("sessions", i, "notebook")
        problems += _notebook_problems(session.notebook, folder, src, loc)
        key = (folder / session.notebook).resolve()
        if key in seen:
            problems.append(src.problem(loc, f"session notebook {session.notebook!r} is listed twice "
                                             f"(sessions {seen[key] + 1} and {i + 1}): remove one of them"))
        seen.setdefault(key, i)
        for j, name in enumerate(session.instruments):
            loc = ("sessions", i, "instruments", j)
            if session.instruments.index(name) != j:
                problems.append(src.problem(loc, f"instrument {name!r} is listed twice in session {i + 1}"))
            elif resolve_instrument(name, folder) is None:
                problems.append(src.problem(loc, _unknown_instrument(name, folder)))
    return sorted(problems, key=lambda p: p.line or 0)


def _notebook_problems(name: str, folder: Path, src: LocatedData, loc: tuple) -> list[Problem]:
    path = folder / name
    if not name.endswith(".ipynb"):
        hint = f": give {Path(name).with_suffix('.ipynb').as_posix()!r} (the .md file is its text pair)" \
            if name.endswith(".md") else ""
        return [src.problem(loc, f"session notebook {name!r} is not a .ipynb notebook{hint}")]
    if path.is_file():
        return []
    written_folder = Path(name).parent
    nearby = [p.name for p in path.parent.glob("*.ipynb")] if path.parent.is_dir() else []
    close = difflib.get_close_matches(path.name, nearby, n=1)
    hint = f" (did you mean {(written_folder / close[0]).as_posix()!r}?)" if close else ""
    return [src.problem(loc, f"session notebook {name!r} not found{hint}; paths are relative to the folder of "
                             f"{Path(src.path).name}")]


def _unknown_instrument(name: str, folder: Path) -> str:
    if _looks_like_path(name):
        return f"instrument file {name!r} not found (paths are relative to the folder of the workshop file, {folder})"
    close = difflib.get_close_matches(name, bundled_ids(), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (f"unknown instrument {name!r}: {hint}give a bundled id ({', '.join(bundled_ids())}) "
            "or the path of your own instrument file, such as my_checklist.yaml")


_MISSING = re.compile(r"^missing field '(?:[\w.]+\.)?(\w+)'$")
_UNKNOWN = re.compile(r"^unknown field '((?:[\w]+\.)*?)(\w+)'$")


def _with_hint(problem: Problem) -> Problem:
    """A missing field gets what to write; an unknown one a "did you mean" when a field is close."""
    if m := _MISSING.match(problem.message):
        if m.group(1) in HINTS:
            return Problem(problem.path, problem.line, f"{problem.message}: {HINTS[m.group(1)]}")
    elif m := _UNKNOWN.match(problem.message):
        model = SessionSpec if m.group(1).startswith("sessions.") else WorkshopSpec
        close = difflib.get_close_matches(m.group(2), list(model.model_fields), n=1)
        known = ", ".join(model.model_fields)
        hint = f"did you mean {close[0]!r}?" if close else f"the fields are {known}"
        return Problem(problem.path, problem.line, f"{problem.message} ({hint})")
    return problem
