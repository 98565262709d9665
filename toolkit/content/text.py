"""Language maps: pick a text in the wanted language, falling back to English and saying so.

Content (instrument texts, UI strings, feedback, crisis resources) is data with a map of
language code to text. ``pick`` resolves one; ``ui`` reads the widget strings shipped in
``content/ui/``; ``number`` writes a computed number the way a reader of the language expects
(0,65 in Spanish). Fallbacks are recorded so that a facilitator can be told what is
missing in their language (``missing_translations``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from toolkit.content import CONTENT_DIR

DEFAULT_LANGUAGE = "en"

_fallbacks: set[tuple[str, str]] = set()


def pick(texts: dict[str, str] | None, language: str = DEFAULT_LANGUAGE, *, what: str = "") -> str:
    """The text in ``language``, else English (the fallback is remembered for the facilitator)."""
    if not texts:
        return ""
    if language in texts:
        return texts[language]
    base = language.split("-")[0]
    if base in texts:
        return texts[base]
    _fallbacks.add((language, what or texts.get(DEFAULT_LANGUAGE, "")[:60]))
    return texts[DEFAULT_LANGUAGE]


def missing_translations(language: str) -> list[str]:
    """Texts shown in English so far because ``language`` had no translation."""
    return sorted(what for lang, what in _fallbacks if lang == language)


UI_DIR = CONTENT_DIR / "ui"


@cache
def _ui_strings() -> dict[str, dict[str, str]]:
    """Every UI string, from each file of ``content/ui/`` (one per part: participant, dashboard, pages)."""
    import yaml

    strings: dict[str, dict[str, str]] = {}
    for path in ui_files():
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        clash = sorted(set(data) & set(strings))
        if clash:
            raise KeyError(f"{path}: UI string(s) {', '.join(clash)} are already defined in another file of {UI_DIR}")
        strings.update(data)
    return strings


def ui_files() -> list[Path]:
    """The files holding UI strings, in a fixed order."""
    return sorted(UI_DIR.glob("*.yaml"))


def ui(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """A UI string from ``content/ui/*.yaml``, with ``{placeholders}`` filled in."""
    strings = _ui_strings()
    if key not in strings:
        raise KeyError(f"no UI string {key!r} in {UI_DIR}")
    text = pick(strings[key], language, what=f"ui.{key}")
    return text.format(**values) if values else text


def number(x: float, language: str = DEFAULT_LANGUAGE, *, decimals: int | None = None, sign: bool = False) -> str:
    """``x`` as text with the language's decimal mark (0.65, 0,65): the one way a computed number is shown.

    ``decimals`` fixes the digits after the mark (else the shortest form, 3 or 3.5); ``sign``
    writes a plus for positive numbers, as a change is shown.
    """
    spec = ("+" if sign else "") + (f".{decimals}f" if decimals is not None else "g")
    text = format(float(x), spec)
    mark = separators(language)[0]
    return text.replace(".", mark) if mark != "." else text


def separators(language: str = DEFAULT_LANGUAGE) -> str:
    """The decimal mark, then the thousands separator: Plotly's ``layout.separators`` for the language."""
    return ui("number_separators", language)
