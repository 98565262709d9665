"""Change between two time points: per person (reliable change) and for the group (mean change).

Reliable change follows Jacobson & Truax (1991): RCI = (post - pre) / S_diff with
S_diff = SD * sqrt(2) * sqrt(1 - r), where SD and the reliability r are the instrument's
declared norms (each with its source in the instrument file). |RCI| > 1.96 is a change
larger than measurement error alone would give 95% of the time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from toolkit.errors import ResponseDataError
from toolkit.instruments import Instrument, load_instrument

CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated")
Z_95 = 1.96  # the published criterion: |RCI| > 1.96 (Jacobson & Truax, 1991), as documented above


def s_diff(sd: float, reliability: float) -> float:
    """Standard error of the difference between two scores (Jacobson & Truax, 1991)."""
    return sd * math.sqrt(2) * math.sqrt(1 - reliability)


def reliable_change(instrument: Instrument | str, scale_id: str, pre, post) -> pd.DataFrame:
    """Per person: difference, RCI and category, for aligned ``pre`` and ``post`` scores.

    ``recovered`` needs a cut-off in the norms: a reliable improvement that also moves the
    score from the worse side of the cut-off to the better side. Without a cut-off the
    categories are improved / unchanged / deteriorated. Rows missing either score get no
    category (empty string). The method and the source of SD and r are in ``.attrs``.
    """
    inst = load_instrument(instrument)
    scale = inst.scale(scale_id)
    if scale.norms is None:
        raise ResponseDataError(
            f"scale {scale_id!r} of {inst.id} declares no norms (SD and reliability with a source), "
            "so its reliable change cannot be computed")
    if scale.higher_is_better is None:
        raise ResponseDataError(f"scale {scale_id!r} of {inst.id} does not say whether higher is better")
    pre = pd.Series(pre, dtype=float).reset_index(drop=True)
    post = pd.Series(post, dtype=float).reset_index(drop=True)
    if len(pre) != len(post):
        raise ResponseDataError(f"pre has {len(pre)} scores and post has {len(post)}: they must be aligned pairs")
    norms = scale.norms
    sdiff = s_diff(norms.sd, norms.reliability)
    diff = post - pre
    rci = diff / sdiff
    better = rci if scale.higher_is_better else -rci
    both = pre.notna() & post.notna()
    category = np.select([better > Z_95, better < -Z_95], ["improved", "deteriorated"], "unchanged")
    if norms.cutoff is not None:
        good_side = (lambda x: x > norms.cutoff) if scale.higher_is_better else (lambda x: x < norms.cutoff)
        crossed = ~good_side(pre) & good_side(post)
        category = np.where((category == "improved") & crossed, "recovered", category)
    category = np.where(both, category, "")
    out = pd.DataFrame({"pre": pre, "post": post, "diff": diff, "rci": rci, "category": category})
    out.attrs["method"] = (
        f"Jacobson-Truax reliable change index: RCI = (post - pre) / S_diff, S_diff = SD * sqrt(2) * "
        f"sqrt(1 - r) = {norms.sd:g} * 1.414 * sqrt(1 - {norms.reliability:g}) = {sdiff:.3f}; "
        f"|RCI| > 1.96 counts as reliable. SD and r: {norms.source}"
        + (f"; clinical cut-off {norms.cutoff:g}" if norms.cutoff is not None else "; no cut-off, so no 'recovered'")
    )
    return out


def mean_change(pre, post, *, confidence: float = 0.95) -> dict[str, float]:
    """The group's mean paired change with a t-based confidence interval (complete pairs only)."""
    from scipy import stats

    pre = np.asarray(pre, dtype=float)
    post = np.asarray(post, dtype=float)
    keep = ~(np.isnan(pre) | np.isnan(post))
    diff = post[keep] - pre[keep]
    n = int(diff.size)
    if n < 2:
        return {"n": n, "mean": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    mean = float(diff.mean())
    se = float(diff.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    return {"n": n, "mean": mean, "ci_low": mean - half, "ci_high": mean + half}
