"""Instruments as REDCap data dictionaries: rows of the 18 columns REDCap's upload expects.

REDCap says a field's name, form, type, label and choices (``value, label | ...``); scales
become ``calc`` fields (``sum([a],[b])``, ``mean(...)``, reverse keys as ``(6-[b])``). The
first row is the record identifier REDCap requires. Our note for the instrument rides in
the record id's Field Annotation and each item's note in its own, after ``attune:``.

A dictionary from a REDCap user maps radio, dropdown, yesno, truefalse, checkbox, slider,
notes and plain text fields, and calc fields that sum or average fields; anything else is
refused with its row.
"""

from __future__ import annotations

import re
from typing import Any

from toolkit.instruments.model import Instrument, Item, Scale
from toolkit.interchange import notes
from toolkit.interchange.notes import InterchangeError

COLUMNS = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
]
NAME, FORM, SECTION, TYPE, LABEL, CHOICES, NOTE, VALIDATION, VMIN, VMAX = COLUMNS[:10]
ANNOTATION = COLUMNS[-1]
REQUIRED = [NAME, FORM, TYPE, LABEL]
PREFIX = "attune:"
RECORD_ID = "record_id"
FIELD_TYPES = {"likert": "radio", "single_choice": "dropdown", "yes_no": "yesno", "multiple_choice": "checkbox",
               "slider": "slider", "free_text": "notes"}
YES_NO = {"yesno": [(1, "Yes"), (0, "No")], "truefalse": [(1, "True"), (0, "False")]}


def _row(**cells: str) -> dict[str, str]:
    return {c: cells.get(c, "") for c in COLUMNS} | {
        NAME: cells["name"], FORM: cells["form"], TYPE: cells["type"], LABEL: cells["label"],
        SECTION: cells.get("section", ""), CHOICES: cells.get("choices", ""), VALIDATION: cells.get("validation", ""),
        VMIN: cells.get("vmin", ""), VMAX: cells.get("vmax", ""), ANNOTATION: cells.get("annotation", ""),
        NOTE: cells.get("note", "")}


def to_dictionary(inst: Instrument) -> list[dict[str, str]]:
    """The data dictionary rows for ``inst`` (write them with ``COLUMNS`` as the header)."""
    names = [i.id for i in inst.items] + [f"score_{s.id}" for s in inst.scales]
    clash = sorted({n for n in names if names.count(n) > 1 or n == RECORD_ID})
    if clash:
        raise InterchangeError(inst.id, None, f"field names {', '.join(clash)} clash in REDCap; rename the items")
    rows = [_row(name=RECORD_ID, form=inst.id, type="text", label="Record ID",
                 annotation=PREFIX + notes.dumps(notes.instrument_note(inst)))]
    for k, item in enumerate(inst.items):
        rows.append(_item_row(inst, item, section=inst.instructions["en"] if k == 0 else ""))
    for scale in inst.scales:
        rows.append(_row(name=f"score_{scale.id}", form=inst.id, type="calc", label=scale.label["en"],
                         choices=_calculation(inst, scale)))
    return rows


def _item_row(inst: Instrument, item: Item, section: str) -> dict[str, str]:
    scale = inst.response_scale_of(item)
    kind = FIELD_TYPES[item.type]
    cells: dict[str, Any] = {}
    if kind == "yesno" and sorted((o.value, o.label and o.label.get("en")) for o in scale.options) != [(0, "No"), (1, "Yes")]:
        kind = "radio"  # REDCap's yesno has fixed labels; other wording keeps its own
    if scale is not None and scale.slider is not None:
        lo, hi, _ = scale.slider
        low, high = (scale.low_label or {}).get("en", ""), (scale.high_label or {}).get("en", "")
        cells = {"choices": f"{low} | | {high}" if low or high else "",
                 "validation": "number", "vmin": f"{lo:g}", "vmax": f"{hi:g}"}
    elif kind in ("radio", "dropdown", "checkbox"):
        cells = {"choices": " | ".join(f"{o.value:g}, {o.label['en'] if o.label else f'{o.value:g}'}"
                                       for o in scale.options)}
    return _row(name=item.id, form=inst.id, type=kind, label=item.text["en"], section=section,
                annotation=PREFIX + notes.dumps(notes.item_note(inst, item)), **cells)


def _calculation(inst: Instrument, scale: Scale) -> str:
    terms = []
    for ident in scale.items:
        item = inst.item(ident)
        rs = inst.response_scale_of(item)
        terms.append(f"({rs.min + rs.max:g}-[{ident}])" if item.reverse else f"[{ident}]")
    expr = f"{'mean' if scale.method == 'mean' else 'sum'}({','.join(terms)})"
    return f"{expr}*{scale.factor:g}" if scale.factor != 1 else expr


# -- import -----------------------------------------------------------------------------------

def from_dictionary(header: list[str], rows: list[dict[str, str]], source: str) -> tuple[Instrument, list[str]]:
    """An Instrument from one form's data dictionary rows (row 1 is the first line after the header)."""
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InterchangeError(source, "line 1", f"not a REDCap data dictionary: no column {', '.join(map(repr, missing))} "
                                                 f"(REDCap's columns start {', '.join(map(repr, COLUMNS[:4]))})")
    if not rows:
        raise InterchangeError(source, None, "the data dictionary has no fields")
    clean = [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in rows]
    form = clean[0][FORM]
    inst_note, left_out = None, []
    items, places, calcs = [], [], []
    for n, row in enumerate(clean, start=1):
        place = f"row {n} ({row[NAME] or 'no name'})"
        if row[FORM] != form:
            raise InterchangeError(source, place, f"a second form {row[FORM]!r} starts here after {form!r}: "
                                                  "import one form at a time")
        note = _note(row, source, place)
        kind = row[TYPE].lower()
        if n == 1 and kind == "text":  # REDCap's first field is the record identifier, not a question
            inst_note = note
            continue
        if kind == "calc":
            calcs.append((row, place))
        elif kind == "descriptive":
            left_out.append(f"{source}: {place}: descriptive text")
        else:
            items.append(_import_item(row, kind, note, source, place))
            places.append(place)
    data = dict(inst_note) if inst_note else notes.imported_defaults(source, "REDCap")
    data["id"] = (inst_note or {}).get("id") or form
    data.setdefault("title", {"en": form.replace("_", " ").capitalize()})
    section = next((r[SECTION] for r in clean if r.get(SECTION)), "")  # the form's first section header
    data["instructions"] = notes.merge_text(data.get("instructions"), section) or {"en": "Answer each question."}
    data["items"] = items
    if inst_note is None:
        data["scales"] = [_scale(row, items, source, place) for row, place in calcs]
    return notes.build_instrument(data, places, source), left_out


def _note(row: dict[str, str], source: str, place: str) -> dict | None:
    annotation = row.get(ANNOTATION, "")
    start = annotation.find(PREFIX)
    return notes.loads(annotation[start + len(PREFIX):], source, f"{place}, Field Annotation") if start >= 0 else None


def _import_item(row: dict[str, str], kind: str, note: dict | None, source: str, place: str) -> dict:
    args: dict[str, Any] = {"ident": row[NAME], "text": row[LABEL] or None}
    if kind in ("radio", "dropdown", "checkbox"):
        options = _choices(row[CHOICES], source, place)
        category = "multiple" if kind == "checkbox" else "choice"
        default = {"radio": "likert", "dropdown": "single_choice", "checkbox": "multiple_choice"}[kind]
        return notes.merge_item(note, category=category, default_type=default, options=options, **args)
    if kind in YES_NO:
        return notes.merge_item(note, category="choice", default_type="yes_no", options=YES_NO[kind],
                                fixed_order=True, **args)
    if kind == "slider":
        lo = notes.number(row.get(VMIN) or "0", source, f"{place}, Text Validation Min")
        hi = notes.number(row.get(VMAX) or "100", source, f"{place}, Text Validation Max")
        item = notes.merge_item(note, category="slider", default_type="slider", slider=(lo, hi), **args)
        labels = [p.strip() for p in row[CHOICES].split("|")] if row[CHOICES] else []
        if labels and note is None:
            item["_response_scale"].update({k: {"en": v} for k, v in (("low_label", labels[0]),
                                                                      ("high_label", labels[-1])) if v})
        return item
    if kind == "notes" or (kind == "text" and not row.get(VALIDATION)):
        return notes.merge_item(note, category="text", default_type="free_text", **args)
    detail = f" with validation {row[VALIDATION]!r}" if kind == "text" else ""
    raise InterchangeError(source, place, f"field type {row[TYPE]!r}{detail} has no Attune item type (radio, dropdown, "
                                          "yesno, truefalse, checkbox, slider, notes, text without validation, calc)")


def _choices(text: str, source: str, place: str) -> list[tuple[float, str | None]]:
    if not text:
        raise InterchangeError(source, place, "a choice field needs choices such as '1, Never | 2, Sometimes'")
    out = []
    for part in text.split("|"):
        code, sep, label = part.partition(",")
        if not sep:
            raise InterchangeError(source, f"{place}, choice {part.strip()!r}", "write each choice as 'value, label'")
        out.append((notes.number(code.strip(), source, f"{place}, choice {part.strip()!r}"), label.strip() or None))
    return out


_CALC = re.compile(r"^(?:(sum|mean)\((?P<args>.*)\)|(?P<plus>[^()]*(?:\([^()]*\)[^()]*)*))(?:\*(?P<factor>[0-9.]+))?$")
_TERM = re.compile(r"^\[(?P<item>[a-z][a-z0-9_]*)\]$|^\((?P<key>[0-9.]+)-\[(?P<rev>[a-z][a-z0-9_]*)\]\)$")


def _scale(row: dict[str, str], items: list[dict], source: str, place: str) -> dict:
    """A calc field that sums or averages fields, some reverse-keyed as (min+max-[x]), times a factor."""
    expr = re.sub(r"\s+", "", row[CHOICES])
    m = _CALC.match(expr)
    terms = (m["args"] if m and m["args"] is not None else (m["plus"] if m else "")).split("," if m and m[1] else "+")
    by_id = {i["id"]: i for i in items}
    ids = []
    for term in terms:
        t = _TERM.match(term)
        ident = t and (t["item"] or t["rev"])
        if not t or ident not in by_id:
            raise InterchangeError(source, f"{place}, Choices, Calculations", f"calculation {row[CHOICES]!r} cannot be "
                                   "mapped: Attune reads sum(...), mean(...) or [a]+[b] of this form's fields, reverse "
                                   "keys as (min+max-[a]), optionally *factor")
        if t["rev"]:
            rs = by_id[ident]["_response_scale"]
            values = [o["value"] for o in rs.get("options", [])]
            if not values or float(t["key"]) != min(values) + max(values):
                raise InterchangeError(source, f"{place}, Choices, Calculations",
                                       f"({t['key']}-[{ident}]) is not a reverse key of {ident}'s values")
            by_id[ident]["reverse"] = True
        ids.append(ident)
    return {"id": row[NAME], "label": {"en": row[LABEL] or row[NAME]}, "items": ids,
            "method": "mean" if m[1] == "mean" else "sum", "factor": float(m["factor"] or 1),
            "no_bands_reason": f"imported from the REDCap calc field {row[NAME]}; add bands in the YAML"}
