"""Instruments as ReproSchema 1.0.0 JSON-LD: one Activity and one Item document per question.

ReproSchema says items, response options with values and labels, and texts as language
maps. Scale scores become hidden computed items with a ``compute`` expression and safety
rules become ``messages``, so ReproSchema tools can show them; the exact rules (reverse
keys, minimum answered, bands, licence) ride in ``additionalNotesObj`` entries whose source
is "attune": on each item, and on one hidden ``attune_notes`` item for the instrument, since
an Activity has no notes of its own. Importing reads the notes back and trusts the native
parts (items, texts, options) over them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toolkit.instruments.model import AnyOf, Condition, Instrument, Item, Scale
from toolkit.interchange import notes
from toolkit.interchange.notes import InterchangeError

#: The released 1.0.0 context, as reproschema-py writes it (reproschema.context_url).
CONTEXT = "https://raw.githubusercontent.com/ReproNim/reproschema/main/releases/1.0.0/reproschema"
SCHEMA_VERSION = "1.0.0"
NOTES_ITEM = "attune_notes"
INPUT_TYPES = {"likert": "radio", "single_choice": "radio", "yes_no": "radio", "multiple_choice": "radio",
               "slider": "slider", "free_text": "text"}


def score_variable(scale: Scale) -> str:
    return f"score_{scale.id}"


def activity_name(inst: Instrument) -> str:
    return f"{inst.id}_schema"


def to_reproschema(inst: Instrument) -> dict[str, dict[str, Any]]:
    """{relative path: JSON-LD document}: ``<id>_schema`` and ``items/<variable>`` (no file extension)."""
    variables = [i.id for i in inst.items] + [score_variable(s) for s in inst.scales] + [NOTES_ITEM]
    clash = sorted({v for v in variables if variables.count(v) > 1})
    if clash:
        raise InterchangeError(inst.id, None, f"item ids {', '.join(clash)} clash with the hidden score or notes "
                                              "items ReproSchema needs; rename the items")
    docs = {f"items/{i.id}": _item(inst, i) for i in inst.items}
    for scale in inst.scales:
        docs[f"items/{score_variable(scale)}"] = _document("Item", score_variable(scale), {
            "prefLabel": {"en": score_variable(scale)},
            "question": dict(scale.label),
            "ui": {"inputType": "number", "readonlyValue": True},
            "responseOptions": {"valueType": ["xsd:decimal"]},
        })
    docs[f"items/{NOTES_ITEM}"] = _document("Item", NOTES_ITEM, {
        "prefLabel": {"en": NOTES_ITEM},
        "question": dict(inst.licence.attribution),
        "ui": {"inputType": "static", "readonlyValue": True},
        "additionalNotesObj": [_note("instrument", notes.instrument_note(inst))],
    })
    shown = [(i.id, True) for i in inst.items] + [(score_variable(s), False) for s in inst.scales] + [(NOTES_ITEM, False)]
    activity = {
        "prefLabel": dict(inst.title),
        "description": dict(inst.title),
        "version": inst.version,
        "preamble": dict(inst.instructions),
        "ui": {
            "order": [f"items/{v}" for v, _ in shown],
            "shuffle": False,
            "addProperties": [{"variableName": v, "isAbout": f"items/{v}", "isVis": vis, "valueRequired": False}
                              for v, vis in shown],
        },
    }
    if inst.scales:
        activity["compute"] = [{"variableName": score_variable(s), "jsExpression": _expression(inst, s)}
                               for s in inst.scales]
    if inst.safety:
        activity["messages"] = [{"message": {"en": f"{rule.level}: {rule.id}"}, "jsExpression": _condition(inst, rule.when)}
                                for rule in inst.safety]
    docs[activity_name(inst)] = _document("Activity", activity_name(inst), activity)
    return docs


def _document(kind: str, ident: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"@context": CONTEXT, "@type": f"reproschema:{kind}", "@id": ident, "schemaVersion": SCHEMA_VERSION, **body}


def _note(column: str, value: dict) -> dict[str, str]:
    return {"source": notes.SOURCE, "column": column, "value": notes.dumps(value)}


def _item(inst: Instrument, item: Item) -> dict[str, Any]:
    scale = inst.response_scale_of(item)
    options: dict[str, Any]
    if item.type == "free_text" or scale is None:
        options = {"valueType": ["xsd:string"]}
    elif scale.slider is not None:
        options = {"valueType": ["xsd:decimal"], "minValue": scale.min, "maxValue": scale.max}
    else:
        whole = all(float(v).is_integer() for v in scale.values)
        options = {
            "valueType": ["xsd:integer" if whole else "xsd:decimal"],
            "minValue": scale.min, "maxValue": scale.max,
            "multipleChoice": item.type == "multiple_choice",
            "choices": [{"value": o.value, **({"name": dict(o.label)} if o.label else {})} for o in scale.options],
        }
    return _document("Item", item.id, {
        "prefLabel": {"en": item.id},
        "question": dict(item.text),
        "ui": {"inputType": INPUT_TYPES[item.type]},
        "responseOptions": options,
        "additionalNotesObj": [_note("item", notes.item_note(inst, item))],
    })


def _expression(inst: Instrument, scale: Scale) -> str:
    terms = []
    for ident in scale.items:
        item = inst.item(ident)
        rs = inst.response_scale_of(item)
        terms.append(f"({rs.min + rs.max:g} - {ident})" if item.reverse else ident)
    expr = " + ".join(terms)
    if scale.method == "mean":
        expr = f"({expr}) / {len(terms)}"
    return f"({expr}) * {scale.factor:g}" if scale.factor != 1 else expr


def _condition(inst: Instrument, when: Condition | AnyOf) -> str:
    if isinstance(when, AnyOf):
        return " || ".join(f"({_condition(inst, c)})" for c in when.any)
    target = when.item or score_variable(inst.scale(when.scale))
    return f"{target} {'===' if when.op == '==' else when.op} {when.value:g}"


# -- import -----------------------------------------------------------------------------------

def _is(doc: dict, kind: str) -> bool:
    types = doc.get("@type") or doc.get("category")
    types = types if isinstance(types, list) else [types]
    return any(str(t).rsplit(":", 1)[-1].rsplit("/", 1)[-1] in kind.split("|") for t in types)


def _text(value: Any) -> dict[str, str]:
    """A ReproSchema text: a language map, or a plain string in the context's default language (en)."""
    if isinstance(value, str):
        return {"en": value}
    return {k: v for k, v in value.items()} if isinstance(value, dict) else {}


def _notes_of(doc: dict, source: str) -> dict[str, dict]:
    found = {}
    for k, entry in enumerate(doc.get("additionalNotesObj") or []):
        if isinstance(entry, dict) and entry.get("source") == notes.SOURCE:
            found[entry.get("column")] = notes.loads(entry.get("value"), source, f"$.additionalNotesObj[{k}].value")
    return found


def from_reproschema(activity: dict, source: str, read_item: Callable[[str], tuple[str, dict]]) -> tuple[Instrument, list[str]]:
    """An Instrument from an Activity and its items (``read_item(ref)`` gives (shown path, document)).

    Returns the instrument and what was left out (computed items ReproSchema expresses as code).
    """
    if not isinstance(activity, dict) or not _is(activity, "Activity"):
        found = activity.get("@type") if isinstance(activity, dict) else type(activity).__name__
        raise InterchangeError(source, "$.@type", f"expected a ReproSchema Activity, found {found!r}")
    ui = activity.get("ui") or {}
    order = ui.get("order")
    if not isinstance(order, list) or not order:
        raise InterchangeError(source, "$.ui.order", "an Activity lists its items in ui.order; none found")
    computed = {c.get("variableName") for c in activity.get("compute") or [] if isinstance(c, dict)}
    visible = {p.get("isAbout"): p for p in ui.get("addProperties") or [] if isinstance(p, dict)}
    items, places, left_out, inst_note = [], [], [], None
    for k, ref in enumerate(order):
        shown, doc = (f"{source} $.ui.order[{k}]", ref) if isinstance(ref, dict) else read_item(str(ref))
        if not isinstance(doc, dict) or not _is(doc, "Item|Field"):
            found = doc.get("@type") if isinstance(doc, dict) else type(doc).__name__
            raise InterchangeError(shown, "$.@type", f"expected a ReproSchema Item, found {found!r}")
        found_notes = _notes_of(doc, shown)
        variable = (visible.get(ref) or {}).get("variableName") or str(doc.get("@id", ref)).rsplit("/", 1)[-1]
        if "instrument" in found_notes:
            inst_note = found_notes["instrument"]
            continue
        input_type = (doc.get("ui") or {}).get("inputType")
        if variable in computed or input_type == "static":
            left_out.append((variable, f"{shown}: {variable} ({'computed' if variable in computed else 'static text'}: "
                                       "Attune's scales and texts live in its YAML)"))
            continue
        items.append(_question(doc, variable, input_type, found_notes.get("item"), shown))
        places.append(shown)
    data = dict(inst_note) if inst_note else notes.imported_defaults(source, "ReproSchema")
    data["id"] = (inst_note or {}).get("id") or str(activity.get("@id", "imported")).rsplit("/", 1)[-1].removesuffix("_schema")
    data["title"] = {**(data.get("title") or {}), **_text(activity.get("prefLabel"))}
    data["instructions"] = {**(data.get("instructions") or {}), **_text(activity.get("preamble"))}
    if not data["instructions"]:
        data["instructions"] = {"en": "Answer each question."}
    data["items"] = items
    kept = {f"score_{s['id']}" for s in data.get("scales", [])} if inst_note else set()
    return notes.build_instrument(data, places, source), [msg for var, msg in left_out if var not in kept]


def _question(doc: dict, variable: str, input_type: Any, note: dict | None, shown: str) -> dict:
    options = doc.get("responseOptions")
    if not isinstance(options, dict):
        raise InterchangeError(shown, "$.responseOptions", f"item {variable!r} has no response options")
    question = _text(doc.get("question"))
    kwargs: dict[str, Any] = {"ident": variable, "text": question.get("en")}
    if input_type in ("text", "textarea") and not options.get("choices"):
        item = notes.merge_item(note, category="text", default_type="free_text", **kwargs)
    elif input_type == "slider":
        lo, hi = options.get("minValue"), options.get("maxValue")
        if not isinstance(lo, int | float) or not isinstance(hi, int | float):
            raise InterchangeError(shown, "$.responseOptions", "a slider needs numeric minValue and maxValue")
        item = notes.merge_item(note, category="slider", default_type="slider", slider=(lo, hi), **kwargs)
    elif input_type in ("radio", "select", "checkbox"):
        choices = options.get("choices")
        if not isinstance(choices, list) or not choices:
            raise InterchangeError(shown, "$.responseOptions.choices", f"item {variable!r} has no response options")
        pairs = []
        for c_i, choice in enumerate(choices):
            if not isinstance(choice, dict) or "value" not in choice:
                raise InterchangeError(shown, f"$.responseOptions.choices[{c_i}]", "a choice needs a value")
            value = notes.number(choice["value"], shown, f"$.responseOptions.choices[{c_i}].value")
            pairs.append((value, _text(choice.get("name")).get("en")))
        multiple = bool(options.get("multipleChoice")) or input_type == "checkbox"
        item = notes.merge_item(note, category="multiple" if multiple else "choice",
                                default_type="multiple_choice" if multiple else
                                ("single_choice" if input_type == "select" else "likert"), options=pairs, **kwargs)
        names = [_text(c.get("name")) for c in choices]
        _merge_languages(item, names)
    else:
        raise InterchangeError(shown, "$.ui.inputType", f"input type {input_type!r} of item {variable!r} has no "
                                                        "Attune item type (radio, select, checkbox, slider, text)")
    item["text"] = {**(item.get("text") or {}), **question} or None
    return item


def _merge_languages(item: dict, names: list[dict[str, str]]) -> None:
    """Option labels in other languages, from the choices' own language maps."""
    for option, name in zip(item["_response_scale"]["options"], names, strict=True):
        if name:
            option["label"] = {**(option.get("label") or {}), **name}
