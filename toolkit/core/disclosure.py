"""What a *combination* of protected figures gives away, and the guards that hide one of them.

``toolkit.core.privacy`` protects each figure on its own. Shown side by side, two safe figures
can still reveal a hidden count: item means imply the group's mean scale score, and a mean can
prove that someone is in a band shown as "fewer than k" (or pin a hidden count); likewise a
mean change can pin the reliable-change categories. ``combination_reveals`` plays the onlooker;
``guard_item_means`` and ``change_reveals`` are what the group views ask it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd

from toolkit.core import privacy
from toolkit.core.change import Z_95, s_diff
from toolkit.core.privacy import ChangeSummary, Distribution
from toolkit.instruments import Instrument
from toolkit.instruments.checks import possible_scores
from toolkit.instruments.model import Scale

#: Shown item means are read to two decimals (the table); the chart rounds further.
MEAN_PRECISION = 0.005


def _compositions(total: int, bounds: list[tuple[int, int]]) -> Iterator[tuple[int, ...]]:
    """Every way to split ``total`` into cells within their (low, high) bounds."""
    if not bounds:
        if total == 0:
            yield ()
        return
    (low, high), rest = bounds[0], bounds[1:]
    rest_low = sum(b[0] for b in rest)
    rest_high = sum(b[1] for b in rest)
    for value in range(max(low, total - rest_high), min(high, total - rest_low) + 1):
        for tail in _compositions(total - value, rest):
            yield (value, *tail)


def combination_reveals(table: pd.DataFrame, n: int, cell_ranges: list[tuple[float, float]],
                        total_range: tuple[float, float], k: int) -> bool:
    """Whether a known total of everyone's values gives away a hidden cell of ``table``.

    ``table`` is a protected frame (``count`` <NA> where hidden, ``note``); cell i holds
    people whose value lies in ``cell_ranges[i]``; ``total_range`` bounds the sum of all
    ``n`` values (a shown mean times n, with its rounding). An onlooker lists every way the
    hidden cells can be filled that fits the labels ("fewer than k": 0 to k-1, "hidden": at
    least k) and the group size, then keeps those that fit the total. It reveals something
    when that pins a hidden cell, or shows a "fewer than k" cell is not empty, where the
    labels alone did not, or when nothing fits (conservatively, as if it did).
    """
    hidden = [i for i, s in enumerate(table["suppressed"].to_numpy()) if s]
    if not hidden:
        return False
    counts = table["count"].to_numpy(dtype=object)
    notes = table["note"].to_numpy()
    rest = n - sum(int(c) for i, c in enumerate(counts) if i not in hidden)
    small = [notes[i] == privacy.FEWER_THAN_K for i in hidden]

    def bounds(strict: bool):
        return [(0, k - 1) if sm else ((k if strict else 0), rest) for sm in small]

    options = list(_compositions(rest, bounds(True))) or list(_compositions(rest, bounds(False)))
    if not options:
        return False
    low_total, high_total = total_range
    shown_low = sum(int(c) * cell_ranges[i][0] for i, c in enumerate(counts) if i not in hidden)
    shown_high = sum(int(c) * cell_ranges[i][1] for i, c in enumerate(counts) if i not in hidden)
    fitting = [o for o in options
               if shown_low + sum(v * cell_ranges[i][0] for v, i in zip(o, hidden, strict=False)) <= high_total + 1e-9
               and shown_high + sum(v * cell_ranges[i][1] for v, i in zip(o, hidden, strict=False)) >= low_total - 1e-9]
    if not fitting:
        return True

    def exposed(sets: list[tuple[int, ...]]) -> list[bool]:
        out = []
        for j, sm in enumerate(small):
            values = [o[j] for o in sets]
            out.append(min(values) == max(values) or (sm and min(values) > 0))
        return out

    before, after = exposed(options), exposed(fitting)
    return any(a and not b for a, b in zip(after, before, strict=False))


def cell_ranges(inst: Instrument, view) -> list[tuple[float, float]]:
    """The lowest and highest possible score in each cell of a scale view (``group.ScaleView``)."""
    scale = inst.scale(view.scale_id)
    if view.kind == "ranges":
        return [(lo, hi) for _, lo, hi in view.ranges]
    possible = possible_scores(inst, scale)
    out = []
    for band in scale.bands:
        inside = [v for v in possible if band.contains(v)]
        out.append((inside[0], inside[-1]) if inside else (band.min, band.max))
    return out


def implied_scale_mean(inst: Instrument, scale: Scale, means: pd.DataFrame) -> tuple[float, float] | None:
    """The group's mean score on ``scale`` as the shown item means bound it (None if none is shown)."""
    low = high = 0.0
    shown = False
    for item_id in scale.items:
        item = inst.item(item_id)
        rs = inst.response_scale_of(item)
        lo, hi = rs.min, rs.max
        row = means.loc[item_id] if item_id in means.index else None
        if row is not None and not bool(row["suppressed"]) and not pd.isna(row["mean"]):
            m = float(row["mean"])
            m_lo, m_hi = max(lo, m - MEAN_PRECISION), min(hi, m + MEAN_PRECISION)
            shown = True
        else:
            m_lo, m_hi = lo, hi
        if item.reverse:
            m_lo, m_hi = lo + hi - m_hi, lo + hi - m_lo
        low, high = low + m_lo, high + m_hi
    if not shown:
        return None
    if scale.method == "mean":
        low, high = low / len(scale.items), high / len(scale.items)
    low, high = sorted((low * scale.factor, high * scale.factor))
    return low, high


def guard_item_means(inst: Instrument, means: pd.DataFrame, views: Sequence,
                     k: int) -> tuple[pd.DataFrame, list[str]]:
    """Item means with every scale's items hidden where, beside its distribution, they would reveal a count.

    ``views`` are the form's ``group.ScaleView``s; returns the guarded means and the scales guarded.
    """
    means = means.copy()
    guarded: list[str] = []
    changed = True
    while changed:
        changed = False
        for view in views:
            dist = view.distribution
            if not isinstance(dist, Distribution) or view.scale_id in guarded:
                continue
            scale = inst.scale(view.scale_id)
            implied = implied_scale_mean(inst, scale, means)
            if implied is None:
                continue
            table = dist.table.reset_index(drop=True)
            total = (implied[0] * dist.n, implied[1] * dist.n)
            if combination_reveals(table, dist.n, cell_ranges(inst, view), total, k):
                items = [i for i in scale.items if i in means.index]
                means.loc[items, "mean"] = pd.NA
                means.loc[items, "n_answered"] = pd.NA
                means.loc[items, "suppressed"] = True
                means.loc[items, "note"] = privacy.HIDDEN
                means.loc[items, "shown"] = privacy.HIDDEN_TEXT
                guarded.append(view.scale_id)
                changed = True
    return means, guarded


def change_reveals(inst: Instrument, scale: Scale, summary: ChangeSummary, k: int) -> bool:
    """Whether the shown mean change pins a hidden reliable-change category of ``summary``."""
    possible = possible_scores(inst, scale)
    if not possible or scale.norms is None or scale.higher_is_better is None:
        return False
    spread = possible[-1] - possible[0]
    cut = Z_95 * s_diff(scale.norms.sd, scale.norms.reliability)
    better, worse = (cut, spread), (-spread, -cut)
    if not scale.higher_is_better:
        better, worse = (-spread, -cut), (cut, spread)
    bounds = {"recovered": better, "improved": better, "unchanged": (-cut, cut), "deteriorated": worse}
    table = summary.categories.table
    ranges = [bounds[c] for c in table.index]
    total = ((summary.mean - MEAN_PRECISION) * summary.n, (summary.mean + MEAN_PRECISION) * summary.n)
    return combination_reveals(table.reset_index(drop=True), summary.n, ranges, total, k)
