"""Small-cell protection for every figure the facilitator sees (pure: data in, data out).

The rule (care principle "Small groups"): no figure, table or export shows a count, mean or
distribution based on fewer than ``k`` people (default 5); such a cell shows "fewer than k";
complementary suppression stops a hidden cell from being worked out from totals; a group
smaller than ``k`` shows nothing but its number of participants (:class:`SmallGroup`).

Zero counts are hidden too. In a workshop of ten to sixteen people who know each other, a
shown 0 is not harmless: next to a hidden "fewer than 5" it would tell everyone that at least
one person is in that cell (someone answered "yes" to "Do you ever feel afraid of your
partner?"), and zeros beside one large cell tell every participant everyone else's band
(``[0, 0, 12]``). With zeros hidden, "fewer than 5" means 0 to 4 and gives neither away.

What an onlooker can work out is judged from everything the table shows: shown numbers, shown
totals (a column's group size always; a row's total when rows show totals) and what each label
means: "fewer than k" is 0 to k-1 people, and "hidden" (hidden to protect another cell) is
taken to be at least k, which credits the onlooker with more than they can know for sure.
Along each line with a known total the hidden cells must be at least two, and together at
least k people unless the whole line is hidden. Then every shown total is solved at once, as
an onlooker would: no hidden cell may be pinned to a single number (three "fewer than 5" cells
summing to 12 are all 4), and a "fewer than k" cell must still possibly be 0 (two such cells
summing to 6 each hold at least 2, which would tell the room that someone is there, just as a
shown 0 would). Cells are hidden smallest first until that holds; where only the labels give
a cell away (``[4, 4, 4]``), the cells involved all show "hidden", which says nothing about
any of them. A group size is never hidden, so cells of a group of 0 are known to be 0.

Means get two more guards: a mean that shows that fewer than k people answered anything but
the lowest (or the highest) value is hidden (a yes/no item's mean is a share of "yes"), and so
is a mean of identical values (it would show everyone's value).

Returned text is English; ``note`` ("fewer_than_k" or "hidden") is the key a display
translates.

Longer than 400 lines on purpose: the engine and the statistics built on it share the
private helpers and the one argument above; ``disclosure`` guards combinations of figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.core.change import CATEGORIES, mean_change, reliable_change
from toolkit.core.scoring import _to_matrix, band_of, plan_for, score
from toolkit.errors import ResponseDataError
from toolkit.instruments import Instrument, load_instrument

DEFAULT_K = 5

#: ``note`` values: why a figure is not shown, as a key for translated display text.
FEWER_THAN_K = "fewer_than_k"
HIDDEN = "hidden"
HIDDEN_TEXT = "hidden"


def fewer_than_text(k: int) -> str:
    return f"fewer than {k}"


@dataclass(frozen=True)
class SmallGroup:
    """Stands in for any aggregate of a group with fewer than ``k`` people: only ``n`` may be shown."""

    n: int
    k: int
    suppressed: bool = field(default=True, init=False)

    @property
    def shown(self) -> str:
        people = "person" if self.n == 1 else "people"
        return f"{self.n} {people}: fewer than {self.k}, so no figures are shown"


@dataclass(frozen=True)
class Distribution:
    """Counts per category after suppression; ``table`` has count, shown, suppressed and note columns."""

    table: pd.DataFrame
    n: int
    k: int
    suppressed: bool = field(default=False, init=False)

    @property
    def any_hidden(self) -> bool:
        return bool(self.table["suppressed"].any())


@dataclass(frozen=True)
class SuppressedTable:
    """A two-way table after suppression: cells, their display text, and what was hidden.

    Columns are groups whose sizes (``col_totals``) are always shown; ``row_totals`` is
    None unless row totals are shown, and then has the same columns as a 1-D result.
    """

    counts: pd.DataFrame  # nullable Int64, <NA> where hidden
    shown: pd.DataFrame
    suppressed: pd.DataFrame
    col_totals: pd.Series
    row_totals: pd.DataFrame | None
    k: int


@dataclass(frozen=True)
class ChangeSummary:
    """Mean paired change with its confidence interval, and reliable-change categories if norms exist."""

    n: int  # complete pre/post pairs
    k: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    mean_suppressed: bool
    mean_note: str
    categories: Distribution | None
    reliable_change_note: str  # why categories are missing, or the method used
    suppressed: bool = field(default=False, init=False)


# --- the engine -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """Cells whose sum is known when ``total_cell`` is None (a shown group size) or not hidden."""

    cells: np.ndarray
    total_cell: int | None = None


def check_k(k: int) -> int:
    """``k`` as an int, or ValueError: a threshold of people must be a whole number, 1 or more."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a whole number of people, 1 or more, not {k!r}")
    return int(k)


def _line_rules_hold(values: np.ndarray, line: _Line, hidden: np.ndarray, k: int) -> bool:
    """At least two hidden cells, and together at least k people unless the whole line is hidden."""
    h = line.cells[hidden[line.cells]]
    if h.size == 0 or line.cells.size == 1 or values[line.cells].sum() == 0:
        return True  # nothing hidden, the single cell is the shown total, or nobody is there
    if h.size == 1:
        return False  # the total minus the shown cells gives it away
    return bool(h.size == line.cells.size or values[h].sum() >= k)


def _known(line: _Line, hidden: np.ndarray) -> bool:
    return line.total_cell is None or not hidden[line.total_cell]


def _first_exposed(values: np.ndarray, lines: list[_Line], hidden: np.ndarray, primary: np.ndarray,
                   vague: np.ndarray, k: int, only: int | None = None) -> int | None:
    """The first hidden cell an onlooker could pin down (or show to hold someone), else None.

    The onlooker solves every shown total at once: each hidden cell's least and greatest
    value subject to the lines' sums and the labels' bounds (directly for a single group, by
    linear programming for a two-way table). Row and column sums form a network (totally
    unimodular) system, so the programme's bounds are whole numbers: exactly what integer
    reasoning would give.
    """
    var = np.flatnonzero(hidden)
    if var.size == 0:
        return None
    column = {cell: j for j, cell in enumerate(var)}
    rows, rhs, trivial = [], [], np.zeros(values.size, dtype=bool)
    for line in lines:
        coefficients = np.zeros(var.size)
        constant = 0.0
        for cell in line.cells:
            if hidden[cell]:
                coefficients[column[cell]] += 1
            else:
                constant += values[cell]
        if line.total_cell is None:
            total = float(values[line.cells].sum())
        elif hidden[line.total_cell]:
            coefficients[column[line.total_cell]] -= 1
            total = 0.0
        else:
            total = float(values[line.total_cell])
        if coefficients.any():
            rows.append(coefficients)
            rhs.append(total - constant)
        if line.total_cell is None and (line.cells.size == 1 or total == 0):
            trivial[line.cells] = True  # equal to a shown group size, or nobody there
    if not rows:
        return None
    a_eq, b_eq = np.array(rows), np.array(rhs)
    small = primary[var] & ~vague[var]
    lb = np.where(small | vague[var], 0.0, float(k))
    ub = np.where(small, float(k - 1), np.inf)
    for j, cell in enumerate(var):
        if trivial[cell] or (only is not None and cell != only):
            continue
        least, most = _range_of(j, a_eq, b_eq, lb, ub)
        if most - least < 0.5 or (small[j] and least > 0.5):
            return int(cell)
    return None


def _range_of(j: int, a_eq: np.ndarray, b_eq: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> tuple[float, float]:
    """Least and greatest value of variable ``j`` given the sums ``a_eq @ x = b_eq`` and bounds."""
    touch = a_eq != 0
    rows = np.flatnonzero(touch[:, j])
    if rows.size == 0:
        return lb[j], ub[j]
    if rows.size == 1 and touch[:, touch[rows[0]]].sum(axis=0).max() == 1:
        # One sum that shares no cell with any other (a single group): the range follows directly.
        a, b = a_eq[rows[0]], b_eq[rows[0]]
        others = (np.arange(a.size) != j) & (a != 0)
        with np.errstate(invalid="ignore"):
            lo_terms = np.where(a > 0, a * lb, a * ub)[others]
            hi_terms = np.where(a > 0, a * ub, a * lb)[others]
        rest_lo, rest_hi = lo_terms.sum(), hi_terms.sum()
        ends = sorted([(b - rest_hi) / a[j], (b - rest_lo) / a[j]])
        return max(lb[j], ends[0]), min(ub[j], ends[1])
    from scipy.optimize import linprog

    bounds = list(zip(lb, [None if np.isinf(u) else u for u in ub], strict=False))
    objective = np.zeros(a_eq.shape[1])
    objective[j] = 1
    low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    return (low.fun if low.success else lb[j]), (-high.fun if high.success else np.inf)


def _protect(values: np.ndarray, lines: list[_Line], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hidden, primary, vague) flags per cell: vague cells show "hidden" whatever their size."""
    primary = values < k
    hidden = primary.copy()
    vague = np.zeros_like(hidden)
    while True:
        for line in lines:
            while _known(line, hidden) and not _line_rules_hold(values, line, hidden, k):
                hidden[_smallest(values, line.cells, hidden)] = True
        exposed = _first_exposed(values, lines, hidden, primary, vague, k)
        if exposed is None or not _cover(values, lines, hidden, primary, vague, k, exposed):
            # Nothing left to hide or relabel: only group sizes show, and the rule allows those.
            return hidden, primary, vague


def _cover(values, lines, hidden, primary, vague, k: int, exposed: int) -> bool:
    """Hide one more cell (or relabel some) so that ``exposed`` is covered, cheapest first."""
    around = [line for line in lines if exposed in line.cells]
    cells = np.unique(np.concatenate([line.cells for line in around]))
    totals = np.array([line.total_cell for line in around if line.total_cell is not None], dtype=int)
    candidates = np.concatenate([cells, totals])
    candidates = candidates[~hidden[candidates]]
    for cell in candidates[np.argsort(values[candidates], kind="stable")]:
        hidden[cell] = True
        if _first_exposed(values, lines, hidden, primary, vague, k, only=exposed) is None:
            return True  # the smallest number whose hiding covers it
        hidden[cell] = False
    if not vague[cells].all():
        vague[cells] = True  # the labels themselves give it away: show all of them as "hidden"
    elif candidates.size:
        hidden[candidates[np.argmin(values[candidates])]] = True
    elif not vague[hidden].all():
        vague[hidden] = True  # labels further away give it away
    elif (~hidden).any():
        hidden[_smallest(values, np.arange(values.size), hidden)] = True
    else:
        return False
    return True


def _smallest(values: np.ndarray, cells: np.ndarray, hidden: np.ndarray) -> int:
    visible = cells[~hidden[cells]]
    return int(visible[np.argmin(values[visible])])  # smallest first, then first in order


def _texts(values: np.ndarray, hidden: np.ndarray, primary: np.ndarray, vague: np.ndarray, k: int):
    small = hidden & primary & ~vague
    note = np.where(small, FEWER_THAN_K, np.where(hidden, HIDDEN, ""))
    shown = np.where(small, fewer_than_text(k), np.where(hidden, HIDDEN_TEXT, values.astype(str)))
    return shown, note


def _as_counts(values, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if np.isnan(array).any() or (array < 0).any() or (array != np.round(array)).any():
        raise ValueError(f"{what} must be whole numbers of people, 0 or more")
    return array.astype(np.int64)


# --- counts -----------------------------------------------------------------------------------


def suppress_counts(counts: pd.Series, k: int = DEFAULT_K, total_shown: bool = True) -> pd.DataFrame:
    """One group's counts per category, protected. The group's total (sum) is assumed shown.

    Returns, indexed like ``counts``: ``count`` (nullable Int64, <NA> where hidden),
    ``shown`` (the number, "fewer than k" or "hidden"), ``suppressed`` and ``note``.
    With ``total_shown=False`` (and no group size anywhere) only small cells are hidden.
    """
    k = check_k(k)
    counts = pd.Series(counts)
    values = _as_counts(counts.to_numpy(), "counts")
    lines = [_Line(np.arange(values.size))] if total_shown else []
    hidden, primary, vague = _protect(values, lines, k)
    return _one_way(values, hidden, primary, vague, k, counts.index)


def _one_way(values, hidden, primary, vague, k: int, index: pd.Index) -> pd.DataFrame:
    shown, note = _texts(values, hidden, primary, vague, k)
    return pd.DataFrame({
        "count": pd.Series(values, index=index, dtype="Int64").mask(hidden),
        "shown": pd.Series(shown, index=index, dtype=object),
        "suppressed": pd.Series(hidden, index=index, dtype=bool),
        "note": pd.Series(note, index=index, dtype=object),
    })


def suppress_table(table: pd.DataFrame, k: int = DEFAULT_K, row_totals_shown: bool = True) -> SuppressedTable:
    """A two-way table of counts (rows: categories, columns: groups such as timepoints), protected.

    Column totals are group sizes and always count as shown. Row totals count as shown unless
    ``row_totals_shown=False`` (right for band x timepoint, where a row total would count
    the same person twice); when shown they are protected like cells, against the grand total.
    """
    k = check_k(k)
    values = _as_counts(table.to_numpy(), "table cells")
    n_rows, n_cols = values.shape
    grid = np.arange(n_rows * n_cols).reshape(n_rows, n_cols)
    flat = values.ravel()
    lines = [_Line(grid[:, c]) for c in range(n_cols)]
    if row_totals_shown:
        totals_at = n_rows * n_cols + np.arange(n_rows)
        flat = np.concatenate([flat, values.sum(axis=1)])
        lines += [_Line(grid[r], int(totals_at[r])) for r in range(n_rows)]
        lines.append(_Line(totals_at))
    hidden, primary, vague = _protect(flat, lines, k)
    shown, note = _texts(flat, hidden, primary, vague, k)
    cells = slice(0, n_rows * n_cols)

    def frame(a: np.ndarray, dtype=None) -> pd.DataFrame:
        return pd.DataFrame(a[cells].reshape(n_rows, n_cols), index=table.index, columns=table.columns, dtype=dtype)

    counts = frame(np.where(hidden, 0, flat), "Int64").mask(frame(hidden))
    row_totals = None
    if row_totals_shown:
        rt = slice(n_rows * n_cols, None)
        row_totals = _one_way(flat[rt], hidden[rt], primary[rt], vague[rt], k, table.index)
    return SuppressedTable(counts=counts, shown=frame(shown.astype(object)), suppressed=frame(hidden),
                           col_totals=pd.Series(values.sum(axis=0), index=table.columns, dtype="int64"),
                           row_totals=row_totals, k=k)


# --- statistics -------------------------------------------------------------------------------


def _extreme_hidden(sums, n, lo, hi, step, k) -> np.ndarray:
    """Whether the sum shows that fewer than k people answered off the lowest (or highest) value."""
    tol = 1e-9
    return ((sums - n * lo) < k * step - tol) | ((n * hi - sums) < k * step - tol)


def group_stats(values, k: int = DEFAULT_K, *, bounds: tuple[float, float] | None = None,
                step: float = 1.0) -> dict:
    """n, mean and SD of the non-missing ``values``; the mean and SD are None when not safe to show.

    Hidden when n < k, when every value is the same, and, given the scale's ``bounds``
    (lowest, highest) and smallest ``step``, when fewer than k people can be off either end.
    """
    k = check_k(k)
    array = np.asarray(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), dtype=float)
    array = array[~np.isnan(array)]
    n = int(array.size)
    hidden = {"n": n, "mean": None, "sd": None, "suppressed": True}
    if n < k:
        return hidden | {"note": FEWER_THAN_K}
    if np.ptp(array) == 0 or (bounds is not None and _extreme_hidden(array.sum(), n, *bounds, step, k)):
        return hidden | {"note": HIDDEN}
    return {"n": n, "mean": float(array.mean()), "sd": float(array.std(ddof=1)), "suppressed": False, "note": ""}


def band_distribution(scores: pd.DataFrame, instrument: Instrument | str, scale_id: str,
                      k: int = DEFAULT_K) -> Distribution | SmallGroup:
    """How many scored people fall in each band of ``scale_id`` (band order), protected.

    ``scores`` is a frame from ``toolkit.core.scoring.score`` (only the scale's column is read).
    """
    k = check_k(k)
    inst = load_instrument(instrument)
    scale = _scale(inst, scale_id)
    if not scale.bands:
        raise ResponseDataError(f"scale {scale_id!r} of {inst.id} has no bands ({scale.no_bands_reason or 'none declared'}), "
                                "so there is no band distribution to show")
    if scale_id not in scores.columns:
        raise ResponseDataError(f"the scores have no column {scale_id!r}: score them with toolkit.core.scoring.score first")
    values = pd.to_numeric(scores[scale_id], errors="coerce").to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    n = int(values.size)
    if n < k:
        return SmallGroup(n, k)
    band_ids = [b.id for b in scale.bands]
    counts = pd.Series(band_of(scale, values)).value_counts().reindex(band_ids, fill_value=0)
    counts.index.name = "band"
    return Distribution(suppress_counts(counts, k), n, k)


def item_means(answers_wide: pd.DataFrame, instrument: Instrument | str, k: int = DEFAULT_K) -> pd.DataFrame | SmallGroup:
    """Per scored item: how many answered and the mean of the answered values, each protected.

    ``answers_wide`` has one row per person (e.g. ``ResponseStore.wide`` at one timepoint).
    ``n_answered`` is shown only when both the answered and the unanswered are at least k
    (the group size is shown, so either gives the other). ``mean`` is hidden when fewer than
    k answered, or when it would show that fewer than k answered off the lowest or highest value.
    """
    k = check_k(k)
    inst = load_instrument(instrument)
    score(inst, answers_wide)  # checks columns and that every value is on its item's scale
    plan = plan_for(inst)
    group = int(len(answers_wide))
    if group < k:
        return SmallGroup(group, k)
    matrix = _to_matrix(answers_wide, plan, None)
    answered = (~np.isnan(matrix)).sum(axis=0)
    sums = np.nansum(matrix, axis=0)
    steps = np.array([np.diff(np.unique(v)).min() if len(v) > 1 else 1.0 for v in plan.allowed])
    few = answered < k
    hide_mean = few | _extreme_hidden(sums, answered, plan.lo, plan.hi, steps, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / answered
    hide_n = (answered < k) | (group - answered < k)
    shown = np.where(few, fewer_than_text(k), np.where(hide_mean, HIDDEN_TEXT, [f"{m:.2f}" for m in means]))
    return pd.DataFrame({
        "n_answered": pd.array(answered, dtype="Int64"),
        "mean": pd.array(means, dtype="Float64"),
        "shown": shown.astype(object),
        "suppressed": hide_mean,
        "note": np.where(few, FEWER_THAN_K, np.where(hide_mean, HIDDEN, "")).astype(object),
    }, index=pd.Index(plan.items, name="item")).assign(
        n_answered=lambda d: d["n_answered"].mask(hide_n), mean=lambda d: d["mean"].mask(hide_mean))


def change_summary(pre_scores, post_scores, instrument: Instrument | str, scale_id: str,
                   k: int = DEFAULT_K) -> ChangeSummary | SmallGroup:
    """The group's change on ``scale_id`` between two timepoints, protected.

    ``pre_scores`` and ``post_scores`` are score frames with a ``participant`` column (as
    from ``score``) or Series indexed by participant; people are paired by code, and only
    complete pairs count. Reliable-change categories need the scale's norms: without them
    ``categories`` is None and ``reliable_change_note`` says why.
    """
    k = check_k(k)
    inst = load_instrument(instrument)
    scale = _scale(inst, scale_id)
    pairs = pd.concat([_by_participant(pre_scores, scale_id, "pre"), _by_participant(post_scores, scale_id, "post")],
                      axis=1, join="inner").dropna()
    n = int(len(pairs))
    if n < k:
        return SmallGroup(n, k)
    change = mean_change(pairs["pre"], pairs["post"])
    diffs = (pairs["post"] - pairs["pre"]).to_numpy()
    same = bool(np.ptp(diffs) == 0)  # everyone changed by the same amount: the mean would show each
    categories = None
    if scale.norms is None:
        note = (f"scale {scale_id!r} of {inst.id} declares no norms (an SD and a reliability with a source), "
                "so reliable change is not shown")
    elif scale.higher_is_better is None:
        note = f"scale {scale_id!r} of {inst.id} does not say whether higher is better, so reliable change is not shown"
    else:
        rc = reliable_change(inst, scale_id, pairs["pre"], pairs["post"])
        names = [c for c in CATEGORIES if c != "recovered" or scale.norms.cutoff is not None]
        counts = rc["category"].value_counts().reindex(names, fill_value=0)
        counts.index.name = "category"
        categories = Distribution(suppress_counts(counts, k), n, k)
        note = rc.attrs["method"]
    return ChangeSummary(n=n, k=k, mean=None if same else change["mean"],
                         ci_low=None if same else change["ci_low"], ci_high=None if same else change["ci_high"],
                         mean_suppressed=same, mean_note=HIDDEN if same else "",
                         categories=categories, reliable_change_note=note)


def _scale(inst: Instrument, scale_id: str):
    if scale_id not in [s.id for s in inst.scales]:
        raise ResponseDataError(f"{inst.id} has no scale {scale_id!r} (its scales are "
                                f"{', '.join(s.id for s in inst.scales)})")
    return inst.scale(scale_id)


def _by_participant(scores, scale_id: str, name: str) -> pd.Series:
    if isinstance(scores, pd.DataFrame):
        if "participant" not in scores.columns or scale_id not in scores.columns:
            raise ResponseDataError(f"the {name} scores need a 'participant' column and a {scale_id!r} column")
        series = pd.Series(scores[scale_id].to_numpy(dtype=float), index=scores["participant"].to_numpy())
    else:
        series = pd.Series(scores, dtype=float)
    if series.index.duplicated().any():
        raise ResponseDataError(f"the {name} scores name a participant twice: give one row per participant")
    return series.rename(name)
