"""Participant codes such as ``amber-fox-42``: the only name the toolkit ever stores.

A code is an adjective, a noun and a two-digit number (10 to 99), joined by hyphens.
The words come from ``content/pseudonym_words.yaml``, chosen so that no code can hurt
or point at anyone. New codes are drawn with :mod:`secrets`, so they cannot be guessed
from one another; pass a ``random.Random`` as ``rng`` for reproducible codes in tests.

People type their code by hand, so :func:`parse_code` forgives case and surrounding
spaces, and says what a code looks like when the text is not one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from functools import cache
from typing import Protocol

import yaml

from toolkit.content import CONTENT_DIR
from toolkit.errors import AttuneError

WORDS_FILE = CONTENT_DIR / "pseudonym_words.yaml"

#: The shape of a code (checked after :func:`normalise_code`). ASCII digits only.
CODE_PATTERN = re.compile(r"[a-z]+-[a-z]+-[0-9]{2}")

EXAMPLE = "amber-fox-42"


class InvalidCodeError(AttuneError):
    """Text that was meant to be a participant code but does not have a code's shape."""

    def __init__(self) -> None:
        # The text is not repeated: people sometimes type their real name here, and an error
        # message can end up in a saved notebook.
        super().__init__(
            f"that is not a participant code: a code is two words and a number, "
            f"joined by hyphens, like {EXAMPLE}"
        )


class _Rng(Protocol):
    def choice(self, seq): ...  # noqa: E704
    def randint(self, a: int, b: int) -> int: ...  # noqa: E704


@cache
def words() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(adjectives, nouns) from the word file, read once per process."""
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    adjectives = tuple(str(w) for w in data["adjectives"])
    nouns = tuple(str(w) for w in data["nouns"])
    for word in adjectives + nouns:
        if not re.fullmatch(r"[a-z]+", word):  # a broken word list must not make invalid codes
            raise AttuneError(f"{WORDS_FILE}: {word!r} is not a lower-case word of letters a-z")
    return adjectives, nouns


def new_code(rng: _Rng | None = None, *, avoid: Collection[str] = ()) -> str:
    """A fresh code like ``amber-fox-42``.

    Drawn with :mod:`secrets` unless ``rng`` (e.g. ``random.Random(1)``) is given. There are
    about 340,000 codes; pass the codes already in use as ``avoid`` to never repeat one.
    """
    adjectives, nouns = words()
    taken = {normalise_code(c) for c in avoid}
    if len(taken) >= len(adjectives) * len(nouns) * 90:
        raise AttuneError("every participant code is already in use")
    while True:
        if rng is None:
            code = f"{secrets.choice(adjectives)}-{secrets.choice(nouns)}-{10 + secrets.randbelow(90)}"
        else:
            code = f"{rng.choice(adjectives)}-{rng.choice(nouns)}-{rng.randint(10, 99)}"
        if code not in taken:
            return code


def normalise_code(text: str) -> str:
    """The code as stored: surrounding spaces removed, lower case (``" Amber-Fox-42 "`` -> ``"amber-fox-42"``)."""
    return text.strip().lower()


def is_valid_code(text: object) -> bool:
    """Whether ``text`` is a code once normalised (two words of letters a-z and two digits)."""
    return isinstance(text, str) and CODE_PATTERN.fullmatch(normalise_code(text)) is not None


def parse_code(text: object) -> str:
    """The normalised code, or :class:`InvalidCodeError` with a message for the person who typed it."""
    if not is_valid_code(text):
        raise InvalidCodeError()
    return normalise_code(text)  # type: ignore[arg-type]
