"""Who may come back as a participant: device keys, recovery phrases and attempt limits.

A code names a participant; it opens nothing. Joining gives the participant's browser a
random device key (kept by the browser, never shown) and the participant a recovery phrase
(four words and a number, shown once). The store keeps only keyed hashes of both, so a
copy of the store does not let anyone resume as anyone. Decisions only: the store applies
them and the join form shows them.

A phrase is kept as word positions (``"12-200-3-45-417"``), so a phrase written down from an
English page is also recognised on a Spanish one.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import unicodedata
from collections import deque
from collections.abc import Callable
from functools import cache

import yaml

from toolkit.content import CONTENT_DIR
from toolkit.errors import AttuneError

WORDS_FILE = CONTENT_DIR / "recovery_words.yaml"
PHRASE_WORDS = 4
PHRASE_NUMBERS = range(100, 1000)
#: Wrong phrases for one code before it cannot be resumed on a new device for LOCK_SECONDS.
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
#: Join and resume attempts one page may make per minute (a person needs two or three).
PAGE_ATTEMPTS_PER_MINUTE = 8
#: scrypt's cost: about 50 ms and 16 MB per check, so a stolen store cannot be searched quickly.
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@cache
def phrase_words() -> dict[str, tuple[str, ...]]:
    """{language: its 256 words}, read once per process; a broken list stops with the file's name."""
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    lists = {str(lang): tuple(str(w) for w in words) for lang, words in data.items()}
    for lang, words in lists.items():
        if len(words) != 256 or len(set(words)) != 256 or not all(re.fullmatch(r"[a-z]+", w) for w in words):
            raise AttuneError(f"{WORDS_FILE}: the {lang} list must hold 256 different lower-case words a-z")
    return lists


def phrase_bits() -> float:
    """How hard a phrase is to guess, in bits."""
    return PHRASE_WORDS * 8 + math.log2(len(PHRASE_NUMBERS))


def new_device_key() -> str:
    """A random device key (256 bits) for a browser that has none."""
    return secrets.token_urlsafe(32)


def new_phrase() -> str:
    """A fresh recovery phrase in its kept form (word positions, then the number)."""
    positions = [secrets.randbelow(256) for _ in range(PHRASE_WORDS)]
    number = PHRASE_NUMBERS.start + secrets.randbelow(len(PHRASE_NUMBERS))
    return "-".join(str(p) for p in [*positions, number])


def show_phrase(phrase: str, language: str) -> str:
    """A kept phrase as the participant reads it: ``"lantern meadow pebble harbour 417"``."""
    *positions, number = (int(p) for p in phrase.split("-"))
    words = phrase_words().get(language) or phrase_words()["en"]
    return " ".join([*(words[p] for p in positions), str(number)])


def read_phrase(text: object, language: str = "en") -> str | None:
    """The kept form of a typed phrase (any case, accents, spaces or hyphens), or None if it is not one."""
    if not isinstance(text, str):
        return None
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z]+|[0-9]+", plain)
    if len(parts) != PHRASE_WORDS + 1 or not parts[-1].isdigit() or int(parts[-1]) not in PHRASE_NUMBERS:
        return None
    lists = phrase_words()
    for lang in [language, *sorted(lists)]:
        words = lists.get(lang, ())
        if all(w in words for w in parts[:-1]):
            return "-".join([*(str(words.index(w)) for w in parts[:-1]), str(int(parts[-1]))])
    return None


def keyed_hash(purpose: str, value: str, secret: bytes) -> str:
    """BLAKE2b keyed with the store's secret: for device keys (256 bits, nothing to search) and codes."""
    return hashlib.blake2b(value.encode(), key=secret, person=purpose.encode()[:16], digest_size=32).hexdigest()


def phrase_hash(code: str, phrase: str, secret: bytes) -> str:
    """scrypt of a kept phrase, salted with the store's secret and the code: slow on purpose."""
    return hashlib.scrypt(phrase.encode(), salt=secret + code.encode(), **SCRYPT).hex()


def same(a: str | None, b: str | None) -> bool:
    """Compare two hashes in constant time (None never matches)."""
    return a is not None and b is not None and secrets.compare_digest(a, b)


class AttemptBudget:
    """At most ``per_minute`` attempts in any 60 seconds; ``clock`` gives seconds (time.monotonic)."""

    def __init__(self, clock: Callable[[], float], per_minute: int = PAGE_ATTEMPTS_PER_MINUTE):
        self._clock = clock
        self._per_minute = per_minute
        self._times: deque[float] = deque()

    def take(self) -> bool:
        """Use one attempt; False (and nothing used) when the budget for this minute is spent."""
        now = self._clock()
        while self._times and now - self._times[0] >= 60:
            self._times.popleft()
        if len(self._times) >= self._per_minute:
            return False
        self._times.append(now)
        return True
