"""Careless-responding indices for the facilitator's private Data quality tab (pure).

Flags are advisory: nobody is excluded automatically, and the careless responder is still
counted in every group figure. The sources and thresholds are described to the facilitator by
the UI string ``dashboard_careless_method`` (``content/ui/dashboard.yaml``); the functions here
return numbers, flags and index keys (``INDEX_KEYS``), never display text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from toolkit.instruments import MISSING_CODES, Instrument, load_instrument

#: Indices are computed over rated items (Likert-type, single choice, slider) with at least
#: this many options: a yes/no checklist gives long runs of "no" in good faith.
MIN_OPTIONS = 3
#: Fewer answered rated items than this, and no index is computed.
MIN_ITEMS = 4
#: Long string (Johnson, 2005): the longest run of identical consecutive answers. Flagged at
#: this many or more, and only when the run covers every answered rated item of the form.
LONG_STRING_MIN = 5
CARELESS_COLUMNS = ["participant", "timepoint", "instrument", "items", "long_string", "irv",
                    "long_string_flag", "low_irv_flag", "flagged"]
#: The flag column of each index, and the key a display translates (``dashboard_index_<key>``).
INDEX_KEYS = {"long_string_flag": "long_string", "low_irv_flag": "low_irv"}


def answer_number(value) -> float | None:
    """A stored answer as a number; None for a missing code, blank, free text or NaN."""
    if value is None or (isinstance(value, str) and (value in MISSING_CODES or not value.strip())):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def careless_indices(wide: pd.DataFrame, instrument: Instrument | str) -> pd.DataFrame:
    """Careless-responding indices per person: long string and IRV, with advisory flags.

    ``wide`` is ``ResponseStore.wide`` (one row per person and timepoint). Answers are raw
    (not reverse-keyed), in the form's item order; a missing answer ends a run and is left
    out of the IRV. Rows with fewer than ``MIN_ITEMS`` answered rated items get NaN indices
    and no flag. Long string (Johnson, 2005) is flagged when all of at least
    ``LONG_STRING_MIN`` rated items got the same answer; IRV (Dunn et al., 2018) when it is 0
    on a form with reverse-keyed items answered away from the scale's middle.
    """
    inst = load_instrument(instrument)
    rated = [i for i in inst.scored_items
             if i.type in ("likert", "single_choice", "slider")
             and len(inst.response_scale_of(i).values) >= MIN_OPTIONS]
    rows = []
    for _, row in wide.iterrows():
        values = [answer_number(row.get(i.id)) for i in rated]
        answered = [(i, v) for i, v in zip(rated, values, strict=False) if v is not None]
        entry = {"participant": row.get("participant"), "timepoint": row.get("timepoint"), "instrument": inst.id,
                 "items": len(answered), "long_string": math.nan, "irv": math.nan,
                 "long_string_flag": False, "low_irv_flag": False}
        if len(answered) >= MIN_ITEMS:
            longest = run = 0
            previous = None
            for v in values:
                run = run + 1 if v is not None and v == previous else (1 if v is not None else 0)
                previous = v
                longest = max(longest, run)
            numbers = np.array([v for _, v in answered])
            irv = float(np.std(numbers, ddof=1))
            entry["long_string"], entry["irv"] = longest, irv
            entry["long_string_flag"] = longest >= LONG_STRING_MIN and longest == len(answered) == len(rated)
            keyed_both_ways = {i.reverse for i, _ in answered} == {True, False}
            middle = [(inst.response_scale_of(i).min + inst.response_scale_of(i).max) / 2 for i, _ in answered]
            off_middle = any(v != m for (_, v), m in zip(answered, middle, strict=False))
            entry["low_irv_flag"] = irv == 0 and keyed_both_ways and off_middle
        entry["flagged"] = entry["long_string_flag"] or entry["low_irv_flag"]
        rows.append(entry)
    out = pd.DataFrame(rows, columns=CARELESS_COLUMNS)
    return out.astype({"long_string_flag": bool, "low_irv_flag": bool, "flagged": bool, "items": int})


def careless_rows(wide: Mapping) -> list[pd.DataFrame]:
    """``careless_indices`` of every form in ``wide`` ({(instrument, timepoint): frame})."""
    return [careless_indices(frame, inst_id) for (inst_id, _timepoint), frame in wide.items()]


def all_indices(indices: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Every index, flagged or not, in one frame (``CARELESS_COLUMNS``)."""
    frames = [f for f in indices if f is not None and not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CARELESS_COLUMNS)


def careless_summary(indices: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Flagged people only, across forms: how many forms were flagged, and which.

    Columns: ``participant``, ``timepoint``, ``forms_flagged``, ``forms`` (a list of
    (instrument, index keys of ``INDEX_KEYS``)), most flags first. More than one flagged form
    is the stronger hint.
    """
    every = all_indices(indices)
    columns = ["participant", "timepoint", "forms_flagged", "forms"]
    flagged = every[every["flagged"].astype(bool)]
    rows = []
    for (code, timepoint), group in flagged.groupby(["participant", "timepoint"], sort=False):
        forms = [(r["instrument"], tuple(key for flag, key in INDEX_KEYS.items() if r[flag])) for _, r in group.iterrows()]
        rows.append({"participant": code, "timepoint": timepoint, "forms_flagged": len(group), "forms": forms})
    out = pd.DataFrame(rows, columns=columns)
    if out.empty:
        return out
    return out.sort_values(["forms_flagged", "participant"], ascending=[False, True]).reset_index(drop=True)
