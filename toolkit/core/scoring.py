"""Score questionnaire answers: one pass over a respondents-by-items matrix, no per-person loop.

The instrument file says which items form each scale, which are reverse-keyed, how the
scale is combined (sum, mean, count, optionally times a factor), how many answers it
needs, and its bands. This module turns those declarations into a scoring plan (item
ranges, keys, the items of each scale) and scores blocks of rows at once: each block is
turned items-by-rows, reverse-keyed, zeroed where unanswered and summed per scale, with
the blocks spread over two threads.

Missing answers (blank, ``skipped``, ``prefer_not_to_say``, ``dont_know``) all count as
unanswered. Raw values are never changed: reverse keying happens on a copy.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from toolkit.errors import ResponseDataError
from toolkit.instruments import MISSING_CODES, Instrument, load_instrument

#: Columns that identify a row and are carried through to the scores unchanged.
ID_COLUMNS = ("participant", "timepoint", "workshop")


@dataclass(frozen=True)
class ScoringPlan:
    """The matrices that encode an instrument's scoring rules (computed once per instrument)."""

    items: list[str]
    lo: np.ndarray  # per item: smallest response value
    hi: np.ndarray  # per item: largest response value
    integer_steps: np.ndarray  # per item: values are every whole number from lo to hi
    allowed: list[np.ndarray]  # per item: the exact allowed values
    reverse: np.ndarray  # indexes of reverse-keyed items
    membership: np.ndarray  # items x scales, 1.0 where the item belongs to the scale
    dtype: type  # float32 is exact for whole-number answers and halves memory traffic
    all_integer: bool
    lo_column: np.ndarray  # lo as an items x 1 column in ``dtype``
    key_offset: np.ndarray  # lo + hi of each reverse-keyed item: keyed = offset - value
    scale_rows: list[np.ndarray | slice]  # per scale: the item positions it sums (a slice when adjacent)


# Keyed by id(); the instrument is kept alongside so its id cannot be reused by another object.
_PLANS: dict[int, tuple[Instrument, ScoringPlan]] = {}


def plan_for(inst: Instrument) -> ScoringPlan:
    cached = _PLANS.get(id(inst))
    if cached is None:
        items = inst.scored_items
        values = [np.asarray(inst.response_scale_of(i).values, dtype=float) for i in items]
        lo = np.array([v.min() for v in values])
        hi = np.array([v.max() for v in values])
        integer = np.array([
            bool(np.all(v == np.round(v))) and len(v) == hi_ - lo_ + 1
            for v, lo_, hi_ in zip(values, lo, hi, strict=False)
        ])
        ids = [i.id for i in items]
        membership = np.zeros((len(items), len(inst.scales)))
        for s_i, scale in enumerate(inst.scales):
            membership[[ids.index(i) for i in scale.items], s_i] = 1.0
        reverse = np.array([k for k, i in enumerate(items) if i.reverse], dtype=int)
        all_integer = bool(integer.all())
        # initial=0: an instrument may have no scored items at all (free-text exercises)
        # float32 holds every whole-number sum exactly while the largest possible sum stays below 2**24.
        exact = all_integer and float(np.abs(np.concatenate([lo, hi, [0.0]])).max()) * max(len(items), 1) < 2**24
        dtype = np.float32 if exact else np.float64
        scale_rows = [_as_slice(np.flatnonzero(membership[:, s_i])) for s_i in range(membership.shape[1])]
        plan = ScoringPlan(ids, lo, hi, integer, values, reverse, membership, dtype, all_integer,
                           lo.astype(dtype)[:, None], (lo + hi)[reverse].astype(dtype), scale_rows)
        cached = _PLANS[id(inst)] = (inst, plan)
    return cached[1]


def _as_slice(rows: np.ndarray) -> np.ndarray | slice:
    """Adjacent item positions as a slice: a view instead of a copy when summing a scale."""
    if rows.size and np.array_equal(rows, np.arange(rows[0], rows[-1] + 1)):
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def score(instrument: Instrument | str, responses: pd.DataFrame, *, source: str | None = None,
          line_offset: int | None = None) -> pd.DataFrame:
    """Score every row of ``responses`` (one column per item id) on every scale of ``instrument``.

    Returns, for each scale ``S``: ``S`` (NaN where too few items were answered),
    ``S_answered`` and ``S_band`` (the band id, "" where unscored or unbanded). Columns
    named in ``ID_COLUMNS`` are carried through. ``source`` names the data in messages, and
    ``line_offset`` (2 for a CSV with a header) lets them name the file line of a bad row.
    """
    inst = load_instrument(instrument)
    plan = plan_for(inst)
    _check_columns(inst, plan, responses, source, line_offset)
    matrix = _to_matrix(responses, plan, source, line_offset)
    n_rows, n_scales = matrix.shape[0], len(inst.scales)
    sums = np.empty((n_scales, n_rows), dtype=np.float64)
    counts = np.empty((n_scales, n_rows), dtype=np.int64)
    checks = _map_chunks(partial(_score_chunk, plan=plan, sums=sums, counts=counts), matrix)
    col_min = np.fmin.reduce([c[0] for c in checks])
    col_max = np.fmax.reduce([c[1] for c in checks])
    if (col_min < plan.lo).any() or (col_max > plan.hi).any() or any(c[2] for c in checks):
        _raise_first_bad_value(matrix, plan, responses, source, line_offset)

    out = {c: responses[c].to_numpy() for c in ID_COLUMNS if c in responses.columns}
    for s_i, scale in enumerate(inst.scales):
        total, n = sums[s_i], counts[s_i]
        with np.errstate(invalid="ignore", divide="ignore"):
            if scale.method == "mean":
                value = total / n
            elif scale.prorate:
                value = total / n * len(scale.items)
            else:
                value = total
        out[scale.id] = np.where(n >= scale.required, value * scale.factor, np.nan)
        out[f"{scale.id}_answered"] = n
        out[f"{scale.id}_band"] = band_of(scale, out[scale.id])
    return pd.DataFrame(out, index=responses.index)


def score_bounds(instrument: Instrument | str, responses: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per scale, the lowest and highest score each row could still reach once every item is answered.

    An answered item counts as it is; an unanswered one (blank, missing code, or no column) could
    take any value of its response scale. Reverse keying keeps an item's range, so the bounds are
    the keyed sum of the answers plus the sum of the missing items' smallest (largest) values,
    divided by the number of items for a mean and multiplied by the scale's factor. Safety rules
    use them to fire on partial answers that already meet a condition whatever the rest would be.
    """
    inst = load_instrument(instrument)
    plan = plan_for(inst)
    matrix = _to_matrix(responses.reindex(columns=plan.items), plan, None)
    answered = ~np.isnan(matrix)
    keyed = matrix.copy()
    if plan.reverse.size:
        keyed[:, plan.reverse] = (plan.lo + plan.hi)[plan.reverse] - keyed[:, plan.reverse]
    low, high = np.where(answered, keyed, plan.lo), np.where(answered, keyed, plan.hi)
    bounds = {}
    for scale, rows in zip(inst.scales, plan.scale_rows, strict=True):
        lo, hi = low[:, rows].sum(axis=1), high[:, rows].sum(axis=1)
        if scale.method == "mean":
            lo, hi = lo / len(scale.items), hi / len(scale.items)
        bounds[scale.id] = (lo * scale.factor, hi * scale.factor)
    return bounds


CHUNK_ROWS = 32_768  # about 4.7 MB of float32 for 36 items: the working set stays in cache


def _map_chunks(func, matrix: np.ndarray) -> list:
    """Apply ``func(chunk, start)`` to row blocks; numpy releases the GIL, so two threads use both cores."""
    starts = range(0, matrix.shape[0], CHUNK_ROWS)
    if len(starts) < 4:
        return [func(matrix[i:i + CHUNK_ROWS], i) for i in starts]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda i: func(matrix[i:i + CHUNK_ROWS], i), starts))


def _score_chunk(chunk: np.ndarray, start: int, plan: ScoringPlan, sums: np.ndarray, counts: np.ndarray):
    """Keyed sums and counts answered for one block of rows, written into ``sums``/``counts``.

    Works on the items-by-rows view (pandas keeps each item's column contiguous), with plain
    reductions rather than BLAS: the products are too small for BLAS threads to pay, and
    they would fight the chunk threads for the two cores. Returns what the value check needs:
    per-item minimum and maximum, and whether any value is off the response grid.
    """
    block = chunk.T.astype(plan.dtype)  # items x rows, a private copy
    answered = ~np.isnan(block)
    col_min = np.fmin.reduce(block, axis=1)
    col_max = np.fmax.reduce(block, axis=1)
    np.fmax(block, plan.lo_column, out=block)  # NaN -> the item's lowest value (fmax ignores NaN)
    if plan.all_integer:
        off_grid = not np.array_equal(block, np.rint(block))
    else:
        off_grid = not all(np.isin(row, allowed).all() for row, allowed in zip(block, plan.allowed, strict=False))
    if plan.reverse.size:
        block[plan.reverse] = plan.key_offset[:, None] - block[plan.reverse]
    block *= answered  # unanswered cells add nothing
    stop = start + chunk.shape[0]
    for s_i, rows in enumerate(plan.scale_rows):
        sums[s_i, start:stop] = np.add.reduce(block[rows], axis=0)  # float32 is exact for whole numbers
        counts[s_i, start:stop] = np.count_nonzero(answered[rows], axis=0)
    return col_min, col_max, off_grid


def band_of(scale, values: np.ndarray) -> pd.Categorical:
    """The band id for each score ("" where the score is NaN or the scale has no bands)."""
    categories = [b.id for b in scale.bands] + [""]
    codes = np.full(values.shape, len(scale.bands), dtype=np.int16)
    for b_i, band in enumerate(scale.bands):
        above = values >= band.min if band.min_inclusive else values > band.min
        below = values <= band.max if band.max_inclusive else values < band.max
        codes[above & below] = b_i
    return pd.Categorical.from_codes(codes, categories=categories)


def _check_columns(inst: Instrument, plan: ScoringPlan, df: pd.DataFrame, source: str | None,
                   line_offset: int | None = None) -> None:
    # With a file's line offset, a column mistake is on the header line just above the first row.
    header = f"line {line_offset - 1} (header): " if line_offset else ""
    if not isinstance(df, pd.DataFrame):
        raise ResponseDataError("responses must be a pandas DataFrame with one column per item", source=source)
    if df.shape[0] == 0:
        raise ResponseDataError("there are no responses to score (no rows)", source=source)
    unscored = {i.id for i in inst.items} - set(plan.items)
    known = set(plan.items) | set(ID_COLUMNS) | unscored
    unknown = [str(c) for c in df.columns if c not in known]
    if unknown:
        raise ResponseDataError(
            f"{header}column {unknown[0]!r} is not an item of {inst.id} (its items are {', '.join(plan.items)}; "
            f"identifier columns may be {', '.join(ID_COLUMNS)})", source=source)
    missing = [i for i in plan.items if i not in df.columns]
    if missing:
        raise ResponseDataError(f"{header}column {missing[0]!r} of {inst.id} is missing (every item needs a column; "
                                "leave a cell blank for an unanswered item)", source=source)


def _to_matrix(df: pd.DataFrame, plan: ScoringPlan, source: str | None, line_offset: int | None = None) -> np.ndarray:
    """A float matrix in item order (read-only use); typed missing codes and blanks become NaN."""
    sub = df[plan.items]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in sub.dtypes):
        return sub.to_numpy(dtype=np.float64, na_value=np.nan)
    matrix = np.empty(sub.shape, dtype=np.float64)
    for j, col in enumerate(plan.items):
        series = sub[col]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            matrix[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        text = series.astype("string").str.strip()
        is_missing = text.isna() | (text == "") | text.isin(MISSING_CODES)
        numbers = pd.to_numeric(text.mask(is_missing), errors="coerce")
        bad = numbers.isna() & ~is_missing
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ResponseDataError(
                f"{_where(df, row, col, line_offset)}: {series.iloc[row]!r} is not a number or a missing-answer code "
                f"(use a response value, leave it blank, or write one of {', '.join(MISSING_CODES)})", source=source)
        matrix[:, j] = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    return matrix


def _raise_first_bad_value(matrix: np.ndarray, plan: ScoringPlan, df: pd.DataFrame, source: str | None,
                           line_offset: int | None) -> None:
    """Only called once a value is known to be off its scale: find the first one and name it."""
    for j, allowed in enumerate(plan.allowed):
        column = matrix[:, j]
        ok = np.isnan(column) | np.isin(column, allowed)
        if not ok.all():
            row = int(np.flatnonzero(~ok)[0])
            shown = ", ".join(f"{v:g}" for v in allowed)
            raise ResponseDataError(f"{_where(df, row, plan.items[j], line_offset)}: value {column[row]:g} is not on the item's "
                                    f"response scale ({shown})", source=source)


def _where(df: pd.DataFrame, row: int, column: str, line_offset: int | None = None) -> str:
    """Row numbers count data rows from 1; a file line and a participant code are named when known."""
    where = f"line {row + line_offset} (row {row + 1})" if line_offset else f"row {row + 1}"
    if "participant" in df.columns:
        where += f", participant {df['participant'].iloc[row]}"
    return f"{where}, column {column!r}"
