"""How consistently a group answered a scale: Cronbach's alpha and corrected item-rest correlations.

Both work on complete cases of the scale's items (listwise deletion), after reverse keying,
so a negative item-rest correlation points at an item that may have been keyed the wrong way.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from toolkit.core.scoring import _check_columns, _to_matrix, plan_for
from toolkit.errors import ResponseDataError
from toolkit.instruments import Instrument, load_instrument


class NegativeItemRestWarning(UserWarning):
    """An item correlates negatively with the rest of its scale: it may be unreversed."""


@dataclass(frozen=True)
class Alpha:
    alpha: float
    ci_low: float
    ci_high: float
    n: int  # complete cases used
    k: int  # items in the scale
    method: str = ("Cronbach's alpha on complete cases; 95% CI by Bonett (2002): "
                   "ln(1 - alpha) is treated as normal with variance 2k / ((k - 1)(n - 2))")


def keyed_items(instrument: Instrument | str, responses: pd.DataFrame, scale_id: str) -> pd.DataFrame:
    """The scale's items after reverse keying, complete cases only (rows with any item missing dropped)."""
    inst = load_instrument(instrument)
    plan = plan_for(inst)
    _check_columns(inst, plan, responses, None)
    matrix = _to_matrix(responses, plan, None).copy()
    matrix[:, plan.reverse] = (plan.lo + plan.hi)[plan.reverse] - matrix[:, plan.reverse]
    scale = inst.scale(scale_id)
    cols = [plan.items.index(i) for i in scale.items]
    sub = matrix[:, cols]
    sub = sub[~np.isnan(sub).any(axis=1)]
    return pd.DataFrame(sub, columns=scale.items)


def cronbach_alpha(instrument: Instrument | str, responses: pd.DataFrame, scale_id: str, *,
                   confidence: float = 0.95) -> Alpha:
    items = keyed_items(instrument, responses, scale_id).to_numpy()
    n, k = items.shape
    if k < 2:
        raise ResponseDataError(f"scale {scale_id!r} has {k} item; alpha needs at least two")
    if n < 3:
        raise ResponseDataError(f"scale {scale_id!r} has {n} complete responses; alpha needs at least three")
    alpha = alpha_from_matrix(items)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    se = np.sqrt(2 * k / ((k - 1) * (n - 2)))
    # Bonett (2002), Journal of Educational and Behavioral Statistics 27(4), 335-340.
    if np.isnan(alpha):  # no variance in the totals: alpha is undefined, and so is its interval
        low = high = float("nan")
    else:
        low = 1 - np.exp(np.log(1 - alpha) + z * se) if alpha < 1 else 1.0
        high = 1 - np.exp(np.log(1 - alpha) - z * se) if alpha < 1 else 1.0
    return Alpha(float(alpha), float(low), float(high), int(n), int(k))


def alpha_from_matrix(items: np.ndarray) -> float:
    """alpha = k / (k - 1) * (1 - sum of item variances / variance of the total), sample variances."""
    k = items.shape[1]
    item_var = items.var(axis=0, ddof=1).sum()
    total_var = items.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - item_var / total_var))


def item_rest_correlations(instrument: Instrument | str, responses: pd.DataFrame, scale_id: str) -> pd.DataFrame:
    """Each item's correlation with the sum of the other items of its scale (corrected item-total).

    Warns with ``NegativeItemRestWarning`` for every negative correlation.
    """
    items = keyed_items(instrument, responses, scale_id)
    matrix = items.to_numpy()
    total = matrix.sum(axis=1)
    rows = []
    for j, item_id in enumerate(items.columns):
        rest = total - matrix[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.corrcoef(matrix[:, j], rest)[0, 1] if len(rest) > 2 else np.nan
        rows.append({"item": item_id, "item_rest_r": float(r)})
        if r < 0:
            warnings.warn(f"item {item_id!r} of scale {scale_id!r} correlates negatively with the rest of the "
                          f"scale (r = {r:.2f}): check whether it should be reverse-keyed", NegativeItemRestWarning,
                          stacklevel=2)
    return pd.DataFrame(rows)
