"""Language maps: pick a text in the wanted language, falling back to English and saying so.

Content (instrument texts, UI strings, feedback, crisis resources) is data with a map of
language code to text. ``pick`` resolves one; ``ui`` reads the widget strings shipped in
``content/ui.yaml``. Fallbacks are recorded so that a facilitator can be told what is
missing in their language (``missing_translations``).
"""

from __future__ import annotations

from functools import cache

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


@cache
def _ui_strings() -> dict[str, dict[str, str]]:
    import yaml

    with open(CONTENT_DIR / "ui.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def ui(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """A widget string from ``content/ui.yaml``, with ``{placeholders}`` filled in."""
    strings = _ui_strings()
    if key not in strings:
        raise KeyError(f"no UI string {key!r} in {CONTENT_DIR / 'ui.yaml'}")
    text = pick(strings[key], language, what=f"ui.{key}")
    return text.format(**values) if values else text
