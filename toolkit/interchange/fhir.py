"""Instruments as FHIR R4 Questionnaires, and answers as QuestionnaireResponse bundles.

FHIR says the items (``choice`` with ``answerOption`` codings, each item with its ``code``),
English texts and option values (the ``ordinalValue`` extension, so a scoring engine need
not parse the code). Everything else rides in an extension whose value is our JSON note.
The resources are plain dicts; ``fhir.resources`` (R4B models: the Questionnaire and
QuestionnaireResponse of R4B are those of R4) checks what is imported, and the tests check
what is exported.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from toolkit.instruments.model import Instrument, Item
from toolkit.interchange import notes
from toolkit.interchange.notes import InterchangeError

NOTES_URL = "urn:attune:fhir:instrument-notes"
ITEM_NOTES_URL = "urn:attune:fhir:item-notes"
MISSING_URL = "urn:attune:fhir:missing-reason"
TIMEPOINT_URL = "urn:attune:fhir:timepoint"
PARTICIPANT_SYSTEM = "urn:attune:export-id"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
SLIDER_STEP = "http://hl7.org/fhir/StructureDefinition/questionnaire-sliderStepValue"


def resource_id(ident: str) -> str:
    """FHIR ids allow letters, digits, '-' and '.', not '_'."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", ident)[:64]


def canonical(inst: Instrument) -> str:
    return f"urn:attune:questionnaire:{inst.id}"


def item_system(inst: Instrument) -> str:
    return f"urn:attune:item:{inst.id}"


def option_system(inst: Instrument, item: Item) -> str:
    return f"urn:attune:options:{inst.id}:{item.response_scale}"


def _typed(value: float) -> dict[str, Any]:
    return {"valueInteger": int(value)} if float(value).is_integer() else {"valueDecimal": value}


def _coding(inst: Instrument, item: Item, value: float) -> dict[str, str]:
    option = next(o for o in inst.response_scale_of(item).options if o.value == value)
    coding = {"system": option_system(inst, item), "code": f"{value:g}"}
    if option.label:
        coding["display"] = option.label["en"]
    return coding


def to_questionnaire(inst: Instrument) -> dict[str, Any]:
    """A FHIR R4 Questionnaire resource (as JSON data) for ``inst``."""
    return {
        "resourceType": "Questionnaire",
        "id": resource_id(inst.id),
        "extension": [{"url": NOTES_URL, "valueString": notes.dumps(notes.instrument_note(inst))}],
        "url": canonical(inst),
        "version": inst.version,
        "name": inst.id,
        "title": inst.title["en"],
        "status": "active",
        "description": inst.instructions["en"],
        "copyright": inst.licence.terms["en"],
        "item": [_q_item(inst, item) for item in inst.items],
    }


def _q_item(inst: Instrument, item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {
        "extension": [{"url": ITEM_NOTES_URL, "valueString": notes.dumps(notes.item_note(inst, item))}],
        "linkId": item.id,
        "code": [{"system": item_system(inst), "code": item.id, "display": item.text["en"]}],
        "text": item.text["en"],
    }
    scale = inst.response_scale_of(item)
    if item.type == "free_text" or scale is None:
        out["type"] = "text"
    elif scale.slider is not None:
        lo, hi, step = scale.slider
        whole = all(float(x).is_integer() for x in scale.slider)
        out["type"] = "integer" if whole else "decimal"
        kind = "valueInteger" if whole else "valueDecimal"
        out["extension"] += [
            {"url": MIN_VALUE, kind: int(lo) if whole else lo}, {"url": MAX_VALUE, kind: int(hi) if whole else hi},
            {"url": SLIDER_STEP, kind: int(step) if whole else step},
            {"url": ITEM_CONTROL, "valueCodeableConcept": {"coding": [
                {"system": "http://hl7.org/fhir/questionnaire-item-control", "code": "slider"}]}},
        ]
    else:
        out["type"] = "choice"
        out["repeats"] = item.type == "multiple_choice"
        out["answerOption"] = [{"extension": [{"url": ORDINAL, "valueDecimal": o.value}],
                                "valueCoding": _coding(inst, item, o.value)} for o in scale.options]
    return out


# -- import -----------------------------------------------------------------------------------

def _validated(data: Any, source: str, model: str) -> None:
    """Parse with fhir.resources: a resource FHIR itself would refuse is refused here, with its JSON path."""
    try:
        from fhir.resources.R4B import get_fhir_model_class
        from pydantic import ValidationError
    except ImportError:
        raise InterchangeError(source, None, "reading FHIR needs the interchange extra: "
                                             "pip install 'attune-toolkit[interchange]'") from None
    if not isinstance(data, dict) or data.get("resourceType") != model:
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise InterchangeError(source, "$.resourceType", f"expected a FHIR {model}, found {found!r}")
    try:
        get_fhir_model_class(model).model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        raise InterchangeError(source, path, f"not a valid FHIR R4 {model}: {err['msg']}") from None


def _extension(element: dict, url: str) -> dict | None:
    return next((e for e in element.get("extension") or [] if isinstance(e, dict) and e.get("url") == url), None)


def _ext_number(element: dict, url: str) -> float | None:
    ext = _extension(element, url)
    return None if ext is None else ext.get("valueInteger", ext.get("valueDecimal"))


def from_questionnaire(data: Any, source: str) -> tuple[Instrument, list[str]]:
    """An Instrument from a Questionnaire resource; returns it and the display items left out."""
    _validated(data, source, "Questionnaire")
    noted = _extension(data, NOTES_URL)
    inst_note = notes.loads(noted.get("valueString"), source, "$.extension") if noted else None
    out = dict(inst_note) if inst_note else notes.imported_defaults(source, "FHIR")
    out["id"] = (inst_note or {}).get("id") or re.sub(r"[^a-z0-9_]", "_", str(data.get("name") or data.get("id") or
                                                                              "imported").lower())
    out["title"] = notes.merge_text(out.get("title"), data.get("title") or data.get("name"))
    out["instructions"] = notes.merge_text(out.get("instructions"), data.get("description") or "Answer each question.")
    items, places, left_out = [], [], []
    for k, element in enumerate(data.get("item") or []):
        place = f"$.item[{k}]"
        if element.get("type") == "display":
            left_out.append(f"{source}: {place} ({element.get('linkId')}): display text")
            continue
        items.append(_import_item(element, source, place))
        places.append(place)
    if not items:
        raise InterchangeError(source, "$.item", "the Questionnaire has no questions")
    out["items"] = items
    return notes.build_instrument(out, places, source), left_out


def _import_item(element: dict, source: str, place: str) -> dict:
    kind = element.get("type")
    ext = _extension(element, ITEM_NOTES_URL)
    note = notes.loads(ext.get("valueString"), source, f"{place}.extension") if ext else None
    args: dict[str, Any] = {"ident": element["linkId"], "text": element.get("text")}
    if kind in ("choice", "open-choice"):
        options = element.get("answerOption") or []
        if not options:
            raise InterchangeError(source, f"{place}.answerOption", f"choice item {element['linkId']!r} has no answer options")
        pairs = []
        for o_i, option in enumerate(options):
            where = f"{place}.answerOption[{o_i}]"
            ordinal = _ext_number(option, ORDINAL) or _ext_number(option.get("valueCoding") or {}, ORDINAL)
            coding = option.get("valueCoding") or {}
            raw = ordinal if ordinal is not None else option.get("valueInteger", coding.get("code"))
            pairs.append((notes.number(raw, source, where), coding.get("display")))
        multiple = bool(element.get("repeats"))
        return notes.merge_item(note, category="multiple" if multiple else "choice",
                                default_type="multiple_choice" if multiple else "likert", options=pairs, **args)
    if kind == "boolean":
        return notes.merge_item(note, category="choice", default_type="yes_no", options=[(1, "Yes"), (0, "No")], **args)
    if kind in ("integer", "decimal"):
        lo, hi = _ext_number(element, MIN_VALUE), _ext_number(element, MAX_VALUE)
        if lo is None or hi is None:
            raise InterchangeError(source, f"{place}.extension", f"number item {element['linkId']!r} needs minValue and "
                                                                 "maxValue extensions to become a slider")
        return notes.merge_item(note, category="slider", default_type="slider", slider=(lo, hi), **args)
    if kind in ("text", "string"):
        return notes.merge_item(note, category="text", default_type="free_text", **args)
    raise InterchangeError(source, f"{place}.type", f"item type {kind!r} of {element.get('linkId')!r} has no Attune "
                                                    "item type (choice, open-choice, boolean, integer, decimal, text, string)")


# -- answers ----------------------------------------------------------------------------------

def response_bundle(participant: str, timepoint: str, forms: list[tuple[Instrument, list[dict]]]) -> dict[str, Any]:
    """One participant's answers at one timepoint: a collection Bundle of QuestionnaireResponses.

    ``forms`` pairs each instrument with its answer rows (item, value, missing, text, answered_at),
    already filtered for consent and free text.
    """
    entries = []
    for inst, rows in forms:
        response = {
            "resourceType": "QuestionnaireResponse",
            "id": resource_id(f"{participant}-{inst.id}-{timepoint}"),
            "extension": [{"url": TIMEPOINT_URL, "valueString": timepoint}],
            "identifier": {"system": PARTICIPANT_SYSTEM, "value": participant},
            "questionnaire": f"{canonical(inst)}|{inst.version}",
            "status": "completed",
            "authored": max(r["answered_at"] for r in rows),
            "item": [_answer(inst, row) for row in rows],
        }
        entries.append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": response})
    return {"resourceType": "Bundle", "id": resource_id(f"{participant}-{timepoint}"),
            "identifier": {"system": PARTICIPANT_SYSTEM, "value": participant},
            "type": "collection", "entry": entries}


def _answer(inst: Instrument, row: dict) -> dict[str, Any]:
    item = inst.item(row["item"])
    out: dict[str, Any] = {"linkId": item.id, "text": item.text["en"]}
    if row.get("missing"):
        out["extension"] = [{"url": MISSING_URL, "valueCode": row["missing"]}]
        return out
    scale = inst.response_scale_of(item)
    if item.type == "multiple_choice":
        out["answer"] = [{"valueCoding": _coding(inst, item, v)} for v in json.loads(row["text"])]
    elif row.get("text") is not None:
        out["answer"] = [{"valueString": row["text"]}]
    elif scale is not None and scale.slider is not None:
        out["answer"] = [_typed(_on_scale(scale.values, row["value"]))]
    else:
        out["answer"] = [{"valueCoding": _coding(inst, item, _on_scale(scale.values, row["value"]))}]
    return out


def _on_scale(values: list[float], value: float) -> float:
    """The scale's own value (3, not 3.0) for a stored float."""
    return min(values, key=lambda v: abs(v - value))
