"""What a format cannot say, carried as JSON notes, and the one way back to an Instrument.

Every format holds items, their texts and their response options natively. Whatever else
our YAML knows (reverse keys, scales and bands, safety rules, the licence, other languages,
an item's exact type) travels as JSON in the format's own notes field, so that exporting and
importing again gives back the same instrument. A file from elsewhere has no notes: the
native parts alone then make the instrument, with defaults that say where they came from.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from toolkit.content.datafile import LocatedData
from toolkit.errors import AttuneError
from toolkit.instruments.checks import check_instrument
from toolkit.instruments.model import Instrument, Item

#: The ``source`` of our notes in a ReproSchema additionalNotesObj, FHIR extension or REDCap annotation.
SOURCE = "attune"


class InterchangeError(AttuneError):
    """A file handed to ``attune instrument import`` that is not what it claims, or cannot be mapped."""

    def __init__(self, source: str, place: str | None, message: str):
        super().__init__(f"{source}: {place}: {message}" if place else f"{source}: {message}")


def instrument_note(inst: Instrument) -> dict[str, Any]:
    """The instrument minus its items: scales, safety, licence, texts in every language, scale order."""
    note = inst.model_dump(mode="json", exclude_defaults=True, exclude={"items", "response_scales"})
    used = {i.response_scale for i in inst.items}
    note["response_scale_order"] = [r.id for r in inst.response_scales]
    unused = [r.model_dump(mode="json", exclude_defaults=True) for r in inst.response_scales if r.id not in used]
    if unused:
        note["unused_response_scales"] = unused
    return note


def item_note(inst: Instrument, item: Item) -> dict[str, Any]:
    """One item as our YAML has it, with its response scale's full definition."""
    note: dict[str, Any] = {"item": item.model_dump(mode="json", exclude_defaults=True)}
    scale = inst.response_scale_of(item)
    if scale is not None:
        note["response_scale"] = scale.model_dump(mode="json", exclude_defaults=True)
    return note


def dumps(note: dict[str, Any]) -> str:
    return json.dumps(note, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def loads(text: str, source: str, place: str) -> dict[str, Any]:
    try:
        note = json.loads(text)
    except (TypeError, json.JSONDecodeError) as exc:
        raise InterchangeError(source, place, f"the Attune note is not valid JSON ({exc})") from None
    if not isinstance(note, dict):
        raise InterchangeError(source, place, "the Attune note is not a JSON object")
    return note


def merge_text(note_text: dict[str, str] | None, english: str | None) -> dict[str, str] | None:
    """A language map: the note's languages, with the format's own English text taking precedence."""
    out = dict(note_text or {})
    if english:
        out["en"] = english
    return out or None


def scale_from_options(options: list[tuple[float, str | None]], note_scale: dict | None, fallback_id: str,
                       fixed_order: bool = False) -> dict:
    """A response scale from the format's (value, English label) pairs; the note adds ids, languages, layout."""
    base = dict(note_scale or {"id": fallback_id})
    noted = {o["value"]: o.get("label") for o in base.get("options", [])}
    if fixed_order and set(noted) == {v for v, _ in options}:  # the format's own order (REDCap's yesno): keep ours
        options = sorted(options, key=lambda o: list(noted).index(o[0]))
    base["options"] = []
    for value, label in options:
        placeholder = label is None or label == _number(value)  # formats that need a label repeat the number
        text = noted.get(value) if placeholder else merge_text(noted.get(value), label)
        base["options"].append({"value": value, **({"label": text} if text else {})})
    base.pop("slider", None)
    return base


def number(text: str, source: str, place: str) -> int | float:
    """A response value as written in a file: whole numbers stay whole."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InterchangeError(source, place, f"{text!r} is not a number; Attune's response values are numbers") from None
    return int(value) if value.is_integer() else value


def _number(value: float) -> str:
    return f"{value:g}"


def build_instrument(data: dict[str, Any], item_places: list[str], source: str) -> Instrument:
    """Validate assembled data as an Instrument; a problem names the file and the item's place in it."""
    scales: list[dict] = []
    for item in data["items"]:
        rs = item.pop("_response_scale", None)
        if rs is None:
            continue
        same = next((s for s in scales if s["id"] == rs["id"]), None)
        if same is not None and same != rs:  # two items edited apart in the other tool: keep both exactly
            rs = {**rs, "id": f"{rs['id']}_{item['id']}"}
            same = next((s for s in scales if s["id"] == rs["id"]), None)
        if same is None:
            scales.append(rs)
        item["response_scale"] = rs["id"]
    order = data.pop("response_scale_order", None) or []
    scales += data.pop("unused_response_scales", [])
    rank = {ident: k for k, ident in enumerate(order)}
    data["response_scales"] = sorted(scales, key=lambda s: rank.get(s["id"], len(rank)))
    try:
        inst = Instrument.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        place = item_places[loc[1]] if loc[:1] == ("items",) and len(loc) > 1 and isinstance(loc[1], int) else None
        where = ".".join(str(p) for p in loc if not str(p).startswith("function-"))
        raise InterchangeError(source, place, f"{where}: {err['msg'].removeprefix('Value error, ')}") from None
    problems = check_instrument(inst, LocatedData(source, data, {}))
    if problems:
        raise InterchangeError(source, None, "; ".join(p.message for p in problems))
    return inst


def imported_defaults(source: str, fmt: str) -> dict[str, Any]:
    """What a file from elsewhere does not say: marked as imported, licence to be filled in before use."""
    return {
        "version": "imported",
        "kind": "reflection",
        "licence": {
            "terms": {"en": f"Imported from {fmt} ({source}); the licence terms were not in the file. "
                             "Add them before using this questionnaire."},
            "commercial_use": "unclear",
            "attribution": {"en": f"Imported from {fmt}: add the authors and source."},
        },
    }


#: The kinds of item a format can tell apart, and the item types of ours each may stand for.
CATEGORIES = {"choice": ("likert", "single_choice", "yes_no"), "multiple": ("multiple_choice",),
              "slider": ("slider",), "text": ("free_text",)}


def merge_item(note: dict | None, *, ident: str, text: str | None, category: str, default_type: str,
               options: list[tuple[float, str | None]] | None = None,
               slider: tuple[float, float] | None = None, fixed_order: bool = False) -> dict[str, Any]:
    """One item from the format's native parts, completed by its Attune note when there is one."""
    note = note or {}
    item = dict(note.get("item") or {})
    item["id"] = ident
    item["text"] = merge_text(item.get("text"), text)
    if item.get("type") not in CATEGORIES[category]:
        item["type"] = default_type
    noted_scale = note.get("response_scale")
    fallback = f"{ident}_options"
    if category in ("choice", "multiple"):
        item["_response_scale"] = scale_from_options(options or [], noted_scale, fallback, fixed_order)
    elif category == "slider":
        rs = dict(noted_scale or {"id": fallback})
        step = (rs.get("slider") or [0, 0, 1])[2]
        rs["slider"] = [slider[0], slider[1], step]
        rs.pop("options", None)
        item["_response_scale"] = rs
    elif noted_scale is not None:
        item["_response_scale"] = noted_scale
    if "_response_scale" not in item:
        item.pop("response_scale", None)
    return item
