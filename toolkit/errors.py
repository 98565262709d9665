"""Every mistake a user can make has its own error type, with a message that names
where the mistake is (file and line, or row and column) and how to fix it.

The command line catches ``AttuneError`` and prints the message; nothing below it
should ever reach a user as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class AttuneError(Exception):
    """Base class for errors whose message is meant for a person, not a developer."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem found in a data file, located by path and line (1-based)."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class DataFileError(AttuneError):
    """A YAML data file (instrument, workshop, content) is malformed or inconsistent."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InstrumentError(DataFileError):
    """An instrument file does not describe a valid questionnaire."""


class WorkshopFileError(DataFileError):
    """A workshop.yaml file is not valid."""


class UnknownInstrumentError(AttuneError):
    def __init__(self, name: str, known: list[str]):
        super().__init__(
            f"unknown instrument {name!r}: give a bundled id ({', '.join(known)}) "
            "or the path of an instrument YAML file"
        )


class ResponseDataError(AttuneError):
    """Response data (a DataFrame or CSV) that cannot be scored as given."""

    def __init__(self, message: str, *, source: str | None = None):
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + message)


class ConsentError(AttuneError):
    """Something was about to be stored for a participant who did not consent to storage."""


class StoreError(AttuneError):
    """A path that is not an Attune store, or a store that cannot be written."""


class UnknownParticipantError(AttuneError):
    exit_code = 1
