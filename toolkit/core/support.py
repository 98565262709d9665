"""Support: whom a participant can contact in their locale, and what they read when a rule fires.

Content lives in ``content/crisis_resources.yaml`` and ``content/safety.yaml`` with language
maps; this module picks the locale (falling back to international contacts and saying so),
resolves the texts and checks the contacts file. Which rule fired is ``core.safety``'s job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

from pydantic import Field

from toolkit.content.datafile import read_yaml, validate
from toolkit.content.text import CONTENT_DIR, DEFAULT_LANGUAGE, pick
from toolkit.errors import Problem
from toolkit.instruments.model import LEVEL_ORDER, Id, Strict, Text

ResourceKind = Literal["emergency", "crisis", "partner_violence", "directory"]
KIND_ORDER: tuple[str, ...] = ("emergency", "crisis", "partner_violence", "directory")
INTERNATIONAL = "international"


class _Resource(Strict):
    id: Id
    kind: ResourceKind
    name: Text
    phone: str | None = None
    email: str | None = None
    text_line: Text | None = None
    website: str | None = None
    hours: Text | None = None
    notes: Text | None = None
    source: str
    verified: bool
    checked_on: date


class _Locale(Strict):
    country: Text
    resources: list[_Resource] = Field(min_length=1)


class _CrisisFile(Strict):
    notice: Text
    messages: dict[Literal["no_locale", "unknown_locale", "same_country", "unverified"], Text]
    kinds: dict[ResourceKind, Text]
    locales: dict[str, _Locale]


class _SafetyTexts(Strict):
    levels: dict[Literal["info", "check_in"], dict[Literal["heading", "body", "offer", "urgent"], Text]]
    privacy: Text
    resources_heading: Text
    rule_notes: dict[Id, Text] = Field(default_factory=dict)
    rule_bodies: dict[Id, Text] = Field(default_factory=dict)


@dataclass(frozen=True)
class CrisisResource:
    """One contact, its texts already in the wanted language."""

    id: str
    kind: str
    kind_heading: str
    name: str
    phone: str | None
    email: str | None
    text_line: str | None
    website: str | None
    hours: str
    notes: str
    source: str
    verified: bool
    checked_on: date


@dataclass(frozen=True)
class CrisisInfo:
    locale: str  # the locale whose contacts are given ("international" after a fallback)
    requested: str | None  # the locale the workshop named
    country: str
    notice: str
    resources: tuple[CrisisResource, ...]
    warnings: tuple[str, ...]  # for the facilitator: fallbacks and every entry still to verify

    def by_kind(self) -> list[tuple[str, tuple[CrisisResource, ...]]]:
        """(heading, resources) per kind, in the order shown to a participant (emergency first)."""
        groups = []
        for kind in KIND_ORDER:
            members = tuple(r for r in self.resources if r.kind == kind)
            if members:
                groups.append((members[0].kind_heading, members))
        return groups


def crisis_resources(locale: str | None, language: str | None = None) -> CrisisInfo:
    """The support contacts for a workshop's ``locale`` (e.g. ``"en-GB"``), with warnings for the facilitator.

    An unknown or missing locale falls back to the international contacts and says so;
    every entry not yet confirmed by a facilitator (``verified: false``) gets a warning.
    ``language`` defaults to the locale's language.
    """
    data = _crisis_file()
    requested = _normalise_locale(locale)
    language = language or (requested.split("-")[0] if requested and requested != INTERNATIONAL else DEFAULT_LANGUAGE)
    say = lambda key, **values: pick(data.messages[key], language, what=f"crisis.{key}").format(**values)  # noqa: E731
    warnings = []
    if requested is None:
        used = INTERNATIONAL
        warnings.append(say("no_locale"))
    elif requested in data.locales:
        used = requested
    else:
        region = requested.rpartition("-")[2]
        same = sorted(k for k in data.locales if k != INTERNATIONAL and k.rpartition("-")[2] == region)
        used = same[0] if same and "-" in requested else INTERNATIONAL
        if used == INTERNATIONAL:
            known = ", ".join(k for k in data.locales if k != INTERNATIONAL)
            warnings.append(say("unknown_locale", locale=locale, known=known))
        else:
            warnings.append(say("same_country", locale=locale, used=used))
    entry = data.locales[used]
    resources = tuple(_resolve(r, data, language) for r in entry.resources)
    for r in resources:
        if not r.verified:
            contact = r.phone or r.text_line or r.website or r.email or "-"
            warnings.append(say("unverified", name=r.name, contact=contact, used=used,
                                checked_on=r.checked_on.isoformat(), source=r.source))
    return CrisisInfo(used, locale, pick(entry.country, language), pick(data.notice, language), resources,
                      tuple(warnings))


def safety_message(level: str, language: str = DEFAULT_LANGUAGE, rules: Iterable[str] = ()) -> dict:
    """The calm, private message for ``level``: heading, body, offer, urgent, privacy, resources_heading, notes.

    ``notes`` holds extra guidance for particular fired ``rules`` (for example fear of a
    partner). When every fired rule has a body of its own (``rule_bodies``), that body replaces
    the level's, whose words would not fit (a session that did not feel safe is not low mood).
    For level "" (nothing fired) every text is empty.
    """
    texts = _safety_texts()
    if level == "":
        return {"level": "", "heading": "", "body": "", "offer": "", "urgent": "", "privacy": "",
                "resources_heading": "", "notes": []}
    if level not in LEVEL_ORDER:
        raise ValueError(f"unknown safety level {level!r}: use '', {', '.join(repr(k) for k in LEVEL_ORDER)}")
    parts = texts.levels[level]
    message = {"level": level}
    message.update({key: pick(parts[key], language, what=f"safety.{level}.{key}")
                    for key in ("heading", "body", "offer", "urgent")})
    fired = list(dict.fromkeys(rules))
    if fired and all(r in texts.rule_bodies for r in fired):
        message["body"] = " ".join(pick(texts.rule_bodies[r], language, what=f"safety.rule_bodies.{r}") for r in fired)
    message["privacy"] = pick(texts.privacy, language, what="safety.privacy")
    message["resources_heading"] = pick(texts.resources_heading, language, what="safety.resources_heading")
    message["notes"] = [pick(texts.rule_notes[r], language, what=f"safety.rule_notes.{r}")
                        for r in dict.fromkeys(rules) if r in texts.rule_notes]
    return message


def _resolve(r: _Resource, data: _CrisisFile, language: str) -> CrisisResource:
    t = lambda texts, part: pick(texts, language, what=f"crisis.{r.id}.{part}") if texts else ""  # noqa: E731
    return CrisisResource(r.id, r.kind, t(data.kinds[r.kind], "kind"), t(r.name, "name"), r.phone, r.email,
                          t(r.text_line, "text_line") or None, r.website, t(r.hours, "hours"), t(r.notes, "notes"),
                          r.source, r.verified, r.checked_on)


def _normalise_locale(locale: str | None) -> str | None:
    """``"en_gb"`` -> ``"en-GB"``; blank -> None."""
    if locale is None or not str(locale).strip():
        return None
    text = str(locale).strip().replace("_", "-")
    if text.lower() == INTERNATIONAL:
        return INTERNATIONAL
    lang, _, region = text.partition("-")
    return f"{lang.lower()}-{region.upper()}" if region else lang.lower()


@cache
def _crisis_file() -> _CrisisFile:
    path = CONTENT_DIR / "crisis_resources.yaml"
    return validate(read_yaml(path), _CrisisFile, _check_crisis_file)


@cache
def _safety_texts() -> _SafetyTexts:
    return validate(read_yaml(CONTENT_DIR / "safety.yaml"), _SafetyTexts)


def _check_crisis_file(data: _CrisisFile, src) -> list[Problem]:
    """Every locale gives an emergency contact and a way to reach each service; there is a fallback."""
    out = []
    if INTERNATIONAL not in data.locales:
        out.append(src.problem(("locales",), f"there must be an {INTERNATIONAL!r} locale to fall back on"))
    for key, entry in data.locales.items():
        if key != INTERNATIONAL and _normalise_locale(key) != key:
            out.append(src.problem(("locales", key), f"locale {key!r} should be written like 'en-GB'"))
        if not any(r.kind == "emergency" for r in entry.resources):
            out.append(src.problem(("locales", key), f"locale {key!r} has no emergency contact"))
        for i, r in enumerate(entry.resources):
            if r.kind != "emergency" and not (r.phone or r.text_line or r.website or r.email):
                out.append(src.problem(("locales", key, "resources", i),
                                       f"{r.id!r} gives no phone, text line, website or e-mail"))
    for missing in sorted(set(KIND_ORDER) - set(data.kinds)):
        out.append(src.problem(("kinds",), f"no heading for the kind {missing!r}"))
    return out
