"""One answer as it is stored, and back: what an instrument allows, checked before anything is written.

An answer is stored as exactly one of three columns: a number from the item's response
scale, a text (free text as given, or a multiple-choice list as JSON), or a missing code.
``encode_answer`` turns what a form hands over into those columns or raises
ResponseDataError; ``decode_answer`` gives back what the form gave, so a widget recognises
its own option. Pure: no database, so any store (or a test) can use it.
"""

from __future__ import annotations

import json
import math
import numbers
from typing import Any

from toolkit.errors import ResponseDataError
from toolkit.instruments.model import LEVEL_ORDER, MISSING_CODES, Instrument, Item

#: The longest free-text answer kept (characters): room for a long reflection, not for a file pasted in.
MAX_TEXT = 5000
#: (value, text, missing): exactly one is not None.
Encoded = tuple[float | None, str | None, str | None]


def encode_answer(inst: Instrument, item_id: object, value: Any) -> Encoded:
    """The (value, text, missing) columns for ``value`` given to ``item_id``, or ResponseDataError.

    ``value`` is a number from the item's response scale; None (stored as "skipped"); one of
    MISSING_CODES; text for a free-text item (kept as given, never interpreted); or a
    collection of option values for a multiple-choice item.
    """
    if not isinstance(item_id, str) or item_id not in inst.item_ids:
        raise ResponseDataError(f"{inst.id} has no item {item_id!r} (its items are "
                                f"{', '.join(inst.item_ids)}); nothing was saved")
    item = inst.item(item_id)
    if value is None:
        return None, None, "skipped"
    if isinstance(value, str) and value in MISSING_CODES:
        return None, None, value
    if item.type == "free_text":
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise ResponseDataError(f"the answer to {item_id!r} of {inst.id} is {len(value):,} characters long; "
                                    f"an answer here holds at most {MAX_TEXT:,}: please shorten it (nothing was saved)")
        if isinstance(value, str):
            return None, value, None
        raise ResponseDataError(f"item {item_id!r} of {inst.id} is a free-text item and takes text, "
                                f"not {value!r}; nothing was saved")
    if item.type == "multiple_choice" and isinstance(value, (list, tuple, set, frozenset)):
        chosen = sorted({scale_value(inst, item, v) for v in value})
        return None, json.dumps(chosen), None
    if isinstance(value, str):
        raise ResponseDataError(f"item {item_id!r} of {inst.id} takes a value from its response scale or one "
                                f"of {', '.join(MISSING_CODES)}, not the text {value!r}; nothing was saved")
    return float(scale_value(inst, item, value)), None, None


def decode_answer(inst: Instrument, item_id: str, value: float | None, text: str | None, missing: str | None) -> Any:
    """The answer as the form gave it: option value, missing code, text or list of choices."""
    item = inst.item(item_id) if item_id in inst.item_ids else None  # an item a later version dropped
    if missing is not None:
        return missing
    if text is not None:
        return json.loads(text) if item is not None and item.type == "multiple_choice" else text
    scale = inst.response_scale_of(item) if item is not None else None
    for v in scale.values if scale is not None else []:
        if math.isclose(v, value, rel_tol=1e-9, abs_tol=1e-9):
            return v  # the scale's own value (3, not 3.0), so widgets recognise their option
    return value


def scale_value(inst: Instrument, item: Item, value: Any) -> float:
    """The response-scale value equal to ``value`` (floats compared with a tolerance), or ResponseDataError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ResponseDataError(f"{value!r} is not a possible answer to item {item.id!r} of {inst.id}: "
                                "give a number from its response scale, None or a missing code; nothing was saved")
    scale = inst.response_scale_of(item)
    values = scale.values if scale is not None else []
    for v in values:
        if math.isclose(v, value, rel_tol=1e-9, abs_tol=1e-9):
            return v
    if scale is not None and scale.slider is not None:
        lo, hi, step = scale.slider
        allowed = f"from {_fmt(lo)} to {_fmt(hi)} in steps of {_fmt(step)}"
    else:
        allowed = f"the values {', '.join(_fmt(v) for v in values)}"
    raise ResponseDataError(f"{_fmt(float(value))} is not a possible answer to item {item.id!r} of {inst.id}: "
                            f"its response scale has {allowed}; nothing was saved")


def check_timepoint(timepoint: object) -> str:
    """A timepoint names when a form was answered ('pre', 'post', a session); anything else is refused."""
    if not isinstance(timepoint, str) or not timepoint.strip():
        raise ResponseDataError(f"a timepoint is a name such as 'pre' or 'post', not {timepoint!r}; "
                                "nothing was saved")
    return timepoint


def check_level(level: str | None) -> str | None:
    """A check-in level the safety rules can give (or None: no flag)."""
    if level is not None and level not in LEVEL_ORDER:
        raise ResponseDataError(f"check-in level must be one of {', '.join(LEVEL_ORDER)}, not {level!r}; "
                                "nothing was saved")
    return level


def _fmt(x: float) -> str:
    return f"{x:g}"
