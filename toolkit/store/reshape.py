"""Long answers (one row per answer) into the wide frames scoring and the dashboard read.

Pure functions over DataFrames, shared by the response store and the example data, so the
two cannot disagree on what a wide frame holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from toolkit.instruments import Instrument


def wide_frame(inst: Instrument, answers: pd.DataFrame, timepoints: Sequence[str] = ()) -> pd.DataFrame:
    """One row per participant and timepoint: ``participant``, ``timepoint``, one column per scored item.

    ``answers`` has the columns participant, timepoint, item, value and missing (a missing
    code, or empty). A cell holds the number, the missing code (the column is then of object
    dtype), or NaN if the item was never answered; a later row for the same cell wins. Rows
    are sorted by participant, then by ``timepoints`` (others after them, by name).
    """
    items = [i.id for i in inst.scored_items]
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for code, tp, item_id, value, missing in answers[["participant", "timepoint", "item", "value", "missing"]].itertuples(
            index=False, name=None):
        row = cells.setdefault((code, tp), {})  # a row even when only unscored items were answered
        if item_id in items:
            row[item_id] = missing if isinstance(missing, str) and missing else value
    order = {tp: n for n, tp in enumerate(timepoints)}
    keys = sorted(cells, key=lambda k: (k[0], order.get(k[1], len(order)), k[1]))
    data: dict[str, Any] = {
        "participant": pd.Series([k[0] for k in keys], dtype=object),
        "timepoint": pd.Series([k[1] for k in keys], dtype=object),
    }
    for item_id in items:
        column = [cells[k].get(item_id, math.nan) for k in keys]
        has_codes = any(isinstance(x, str) for x in column)
        data[item_id] = pd.Series(column, dtype=object if has_codes else float)
    return pd.DataFrame(data)


def empty_scores(inst: Instrument) -> pd.DataFrame:
    """The columns ``toolkit.core.scoring.score`` gives for ``inst``, with no rows (nobody answered yet)."""
    columns = {"participant": object, "timepoint": object}
    for scale in inst.scales:
        columns.update({scale.id: float, f"{scale.id}_answered": int, f"{scale.id}_band": object})
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
