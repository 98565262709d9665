"""The one percentile the benchmarks use (linear between the two nearest ranks, as numpy's default).

The scripts run as ``python bench/NAME.py``, so this folder is on their path: ``from percentiles import pct``.
"""


def pct(values, q):
    """The ``q`` quantile (0..1) of ``values``; NaN for none."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)
