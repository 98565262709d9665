"""The facilitator dashboard's core (pure): from the store's frames to what each view may show.

Nothing here reads the store or draws a widget: functions take the frames ``ResponseStore``
hands out (``participants()``, ``progress()``, ``wide()``, ``checkins()``, ``answers()``) and
return protected tables, view objects and Plotly figures. ``toolkit.widgets.dashboard`` is
the shell that reads the store and shows them.

What a count may show (care principle "Small groups", ``toolkit.core.privacy``):

* **Joined** (codes in the store) is always shown: it is the size of the group, the one
  number a group smaller than k may show. The store keeps nothing about people who refused
  storage, so everyone in it consented; when a frame with refusals is given, the
  consented / declined split is protected like any other count against the joined total.
* **Form progress** (not started / in progress / completed, per instrument and timepoint) is
  protected with ``privacy.suppress_counts`` against the group size. Every form is optional,
  and "1 person has not started the PHQ-4" on a projector singles that person out.
* A group (everyone who consented) smaller than k shows only the number joined.
* **Subgroups** (the people who answered one form, the pairs who answered before and after)
  smaller than k show "fewer than k", *not* their size: their exact size would undo the
  protection of the progress counts above.
* Band and score-range distributions, item means, mean change and reliable-change
  categories come from ``toolkit.core.privacy`` (hidden cells, complementary suppression, extreme
  and identical-value guards). On top of that this module checks the *combination* of
  figures a view shows: item means imply the group's mean scale score, and a mean can prove
  that someone is in a band shown as "fewer than k" (or pin a hidden count). Where it would,
  the item means of that scale are hidden (``InstrumentView.guarded``); likewise reliable-
  change categories are dropped when the mean change would give one of them away.
* A scale without bands is shown as counts in three equal-width score ranges (numbers, not
  types), unless a banded scale of the same instrument has exactly the same items (WHO-5
  total and percentage): two partitions of one score would let a difference be worked out.

Couple comparisons, the check-in list and the data-quality indices are for the facilitator
alone (see each function).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from toolkit.content.text import DEFAULT_LANGUAGE, pick
from toolkit.core import charts, privacy
from toolkit.core.change import Z_95, s_diff
from toolkit.core.privacy import DEFAULT_K, ChangeSummary, Distribution, SmallGroup
from toolkit.core.scoring import score
from toolkit.errors import ResponseDataError
from toolkit.instruments import MISSING_CODES, Instrument, load_instrument
from toolkit.instruments.checks import possible_scores
from toolkit.instruments.model import LEVEL_ORDER, AnyOf, Condition, Scale

STATUSES = ("not_started", "in_progress", "completed")
#: Shown item means are read to two decimals (the table); the chart rounds further.
MEAN_PRECISION = 0.005
RANGE_PARTS = 3

# --- texts ------------------------------------------------------------------------------------

#: Dashboard texts (language maps, English required; other languages fall back to English).
TEXTS: dict[str, dict[str, str]] = {
    "fewer_than_k_group": {
        "en": "Fewer than {k} people have answered this yet, so nothing is shown.",
        "es": "Todavía han respondido menos de {k} personas, así que no se muestra nada.",
    },
    "fewer_than_k_pairs": {
        "en": "Fewer than {k} people answered both times, so no change is shown.",
        "es": "Menos de {k} personas respondieron las dos veces, así que no se muestra ningún cambio.",
    },
    "range_title": {
        "en": "{scale}: how the group's scores spread",
        "es": "{scale}: cómo se reparten las puntuaciones del grupo",
    },
    "range_axis": {"en": "Score range (not a category)", "es": "Rango de puntuación (no es una categoría)"},
    "category_title": {
        "en": "{scale}: reliable change between sessions",
        "es": "{scale}: cambio fiable entre sesiones",
    },
    "category_axis": {"en": "Reliable change", "es": "Cambio fiable"},
    "recovered": {"en": "Recovered", "es": "Recuperado"},
    "improved": {"en": "Improved", "es": "Mejoró"},
    "unchanged": {"en": "No reliable change", "es": "Sin cambio fiable"},
    "deteriorated": {"en": "Deteriorated", "es": "Empeoró"},
    "not_started": {"en": "Not started", "es": "Sin empezar"},
    "in_progress": {"en": "In progress", "es": "En curso"},
    "completed": {"en": "Completed", "es": "Completado"},
}


def text(key: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """A dashboard text in ``language`` (not escaped: the caller escapes for HTML or Plotly)."""
    value = pick(TEXTS[key], language, what=f"dashboard.{key}")
    return value.format(**values) if values else value


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a whole number of people, 1 or more, not {k!r}")
    return int(k)


# --- attendance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    """Who joined, and how far the group is with each form, protected.

    ``forms`` has one row per (instrument, timepoint, status) with ``count`` (Int64, <NA>
    where hidden), ``shown`` ("12", "fewer than 5" or "hidden"), ``suppressed`` and
    ``note``. It is empty when the group is smaller than k (``small``).
    """

    joined: int
    consented: int | None  # None when hidden (only possible when some declined storage)
    consent_split: pd.DataFrame | None  # the protected consented / declined split, when anyone declined
    group: int  # people whose progress is counted (consented); never shown when below k
    forms: pd.DataFrame
    k: int

    @property
    def small(self) -> bool:
        return self.group < self.k

    def shown_table(self) -> pd.DataFrame:
        """(instrument, timepoint) rows, one column of display text per status."""
        if self.forms.empty:
            return pd.DataFrame(columns=list(STATUSES))
        table = self.forms.pivot(index=["instrument", "timepoint"], columns="status", values="shown")
        order = list(dict.fromkeys(zip(self.forms["instrument"], self.forms["timepoint"], strict=False)))
        return table.reindex(pd.MultiIndex.from_tuples(order, names=["instrument", "timepoint"]))[list(STATUSES)]


FORM_COLUMNS = ["instrument", "timepoint", "status", "count", "shown", "suppressed", "note"]


def attendance(participants: pd.DataFrame, progress_by_instrument: Mapping, k: int = DEFAULT_K) -> Attendance:
    """Joined, consented, and per form: not started / in progress / completed, protected.

    ``participants`` is ``ResponseStore.participants()`` (``code``, optionally
    ``storage_consent``). ``progress_by_instrument`` maps ``(instrument, timepoint)`` (or an
    instrument id) to ``ResponseStore.progress(...)`` (``participant``, ``answered``,
    ``submitted``). Completed = submitted; in progress = at least one item answered, not
    submitted; not started = the rest of the group (typed "prefer not to say" answers do not
    count as answered, as in ``progress``).
    """
    k = _check_k(k)
    codes = participants["code"]
    if "storage_consent" in participants.columns:
        consent = participants["storage_consent"].astype(bool).to_numpy()
    else:
        consent = np.ones(len(participants), dtype=bool)
    joined = int(len(participants))
    consented = int(consent.sum())
    split = None
    consented_shown: int | None = consented
    if consented < joined:
        split = privacy.suppress_counts(pd.Series({"consented": consented, "declined": joined - consented}), k)
        consented_shown = None if bool(split.loc["consented", "suppressed"]) else consented
    group = set(codes.to_numpy()[consent])
    rows: list[dict] = []
    if len(group) >= k:
        for key, progress in progress_by_instrument.items():
            instrument, timepoint = key if isinstance(key, tuple) else (key, "")
            instrument = instrument.id if isinstance(instrument, Instrument) else str(instrument)
            mine = progress[progress["participant"].isin(group)]
            submitted = set(mine.loc[mine["submitted"].astype(bool), "participant"])
            answered = set(mine.loc[mine["answered"] > 0, "participant"])
            completed = len(submitted)
            in_progress = len(answered - submitted)
            counts = pd.Series([len(group) - completed - in_progress, in_progress, completed], index=list(STATUSES))
            table = privacy.suppress_counts(counts, k)
            for status, row in table.iterrows():
                rows.append({"instrument": instrument, "timepoint": timepoint, "status": status,
                             "count": row["count"], "shown": row["shown"], "suppressed": bool(row["suppressed"]),
                             "note": row["note"]})
    forms = pd.DataFrame(rows, columns=FORM_COLUMNS).astype({"count": "Int64", "suppressed": bool})
    return Attendance(joined=joined, consented=consented_shown, consent_split=split, group=len(group),
                      forms=forms, k=k)


# --- instrument views -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleView:
    """One scale's distribution: over its bands, or over score ranges when it has none."""

    scale_id: str
    kind: str  # "bands" or "ranges"
    distribution: Distribution | SmallGroup
    ranges: tuple[tuple[str, float, float], ...] = ()  # (label, lowest, highest possible score) for "ranges"


@dataclass(frozen=True)
class InstrumentView:
    """Everything the Instruments tab shows about one form at one timepoint."""

    instrument: str
    timepoint: str | None
    k: int
    group: int  # people with any answer to the form; shown only as "fewer than k" when below k
    scales: tuple[ScaleView, ...]
    item_means: pd.DataFrame | SmallGroup | None  # None when the form has no scored items
    guarded: tuple[str, ...] = ()  # scales whose item means were hidden to protect a band count
    definition: Instrument | None = field(default=None, repr=False, compare=False)

    @property
    def small(self) -> bool:
        return self.group < self.k


def _one_timepoint(wide: pd.DataFrame, timepoint: str | None) -> pd.DataFrame:
    if "timepoint" in wide.columns:
        if timepoint is not None:
            wide = wide[wide["timepoint"] == timepoint]
        elif wide["timepoint"].nunique() > 1:
            raise ResponseDataError("these answers are from more than one timepoint: give one timepoint, "
                                    "so that nobody is counted twice")
    if "participant" in wide.columns and wide["participant"].duplicated().any():
        raise ResponseDataError("a participant appears twice: give one row per participant")
    return wide.reset_index(drop=True)


def score_ranges(instrument: Instrument | str, scale_id: str, parts: int = RANGE_PARTS) -> list[tuple[str, float, float]]:
    """Equal-width ranges over a scale's possible scores: (label, lowest, highest possible score)."""
    inst = load_instrument(instrument)
    scale = inst.scale(scale_id)
    values = possible_scores(inst, scale)
    if not values:
        return []
    lo, hi = values[0], values[-1]
    edges = [lo + (hi - lo) * i / parts for i in range(parts + 1)]
    out = []
    for i in range(parts):
        last = i == parts - 1
        members = [v for v in values if edges[i] - 1e-9 <= v and (v < edges[i + 1] - 1e-9 or (last and v <= hi))]
        if members:
            out.append((f"{_fmt(scale, members[0])}–{_fmt(scale, members[-1])}", members[0], members[-1]))
    return out


def _fmt(scale: Scale, x: float) -> str:
    return f"{x:.2f}" if scale.method == "mean" else f"{x:g}"


def range_distribution(scores: pd.DataFrame, instrument: Instrument | str, scale_id: str,
                       k: int = DEFAULT_K) -> tuple[Distribution | SmallGroup, list[tuple[str, float, float]]]:
    """How many scored people fall in each score range of an unbanded scale, protected."""
    inst = load_instrument(instrument)
    ranges = score_ranges(inst, scale_id)
    values = pd.to_numeric(scores[scale_id], errors="coerce").dropna().to_numpy(dtype=float) \
        if scale_id in scores.columns else np.array([])
    n = int(values.size)
    if n < k:
        return SmallGroup(n, k), ranges
    counts = pd.Series([int(((values >= lo - 1e-9) & (values <= hi + 1e-9)).sum()) for _, lo, hi in ranges],
                       index=pd.Index([label for label, _, _ in ranges], name="band"))
    return Distribution(privacy.suppress_counts(counts, k), n, k), ranges


def instrument_views(wide: pd.DataFrame, instrument: Instrument | str, k: int = DEFAULT_K,
                     timepoint: str | None = None) -> InstrumentView:
    """Per scale a band (or score-range) distribution, and the item means, all protected.

    ``wide`` is ``ResponseStore.wide(instrument, timepoint)``: one row per person. Item
    means that, together with a distribution, would reveal a hidden count are hidden too.
    """
    k = _check_k(k)
    inst = load_instrument(instrument)
    wide = _one_timepoint(wide, timepoint)
    if timepoint is None and "timepoint" in wide.columns and len(wide):
        timepoint = str(wide["timepoint"].iloc[0])
    group = int(len(wide))
    scored = [i.id for i in inst.scored_items]
    if not scored:
        return InstrumentView(inst.id, timepoint, k, group, (), None, definition=inst)
    if group == 0:
        scales = tuple(ScaleView(s.id, "bands" if s.bands else "ranges", SmallGroup(0, k)) for s in _shown_scales(inst))
        return InstrumentView(inst.id, timepoint, k, 0, scales, SmallGroup(0, k), definition=inst)
    columns = [c for c in wide.columns if c in scored or c in ("participant", "timepoint")]
    wide = wide[columns]
    scores = score(inst, wide) if inst.scales else pd.DataFrame(index=wide.index)
    views = []
    for scale in _shown_scales(inst):
        if scale.bands:
            views.append(ScaleView(scale.id, "bands", privacy.band_distribution(scores, inst, scale.id, k)))
        else:
            dist, ranges = range_distribution(scores, inst, scale.id, k)
            views.append(ScaleView(scale.id, "ranges", dist, tuple(ranges)))
    means = privacy.item_means(wide, inst, k)
    guarded: list[str] = []
    if isinstance(means, pd.DataFrame):
        means, guarded = _guard_item_means(inst, means, views, k)
    return InstrumentView(inst.id, timepoint, k, group, tuple(views), means, tuple(guarded), definition=inst)


def _shown_scales(inst: Instrument) -> list[Scale]:
    """Every banded scale, and every unbanded one whose items no banded scale has exactly."""
    banded = [frozenset(s.items) for s in inst.scales if s.bands]
    return [s for s in inst.scales if s.bands or (frozenset(s.items) not in banded and possible_scores(inst, s))]


# --- the combination guard --------------------------------------------------------------------


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


def _cell_ranges(inst: Instrument, view: ScaleView) -> list[tuple[float, float]] | None:
    scale = inst.scale(view.scale_id)
    if view.kind == "ranges":
        return [(lo, hi) for _, lo, hi in view.ranges]
    possible = possible_scores(inst, scale)
    out = []
    for band in scale.bands:
        inside = [v for v in possible if band.contains(v)]
        out.append((inside[0], inside[-1]) if inside else (band.min, band.max))
    return out


def _implied_scale_mean(inst: Instrument, scale: Scale, means: pd.DataFrame) -> tuple[float, float] | None:
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


def _guard_item_means(inst: Instrument, means: pd.DataFrame, views: list[ScaleView],
                      k: int) -> tuple[pd.DataFrame, list[str]]:
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
            implied = _implied_scale_mean(inst, scale, means)
            ranges = _cell_ranges(inst, view)
            if implied is None or ranges is None:
                continue
            table = dist.table.reset_index(drop=True)
            total = (implied[0] * dist.n, implied[1] * dist.n)
            if combination_reveals(table, dist.n, ranges, total, k):
                items = [i for i in scale.items if i in means.index]
                means.loc[items, "mean"] = pd.NA
                means.loc[items, "n_answered"] = pd.NA
                means.loc[items, "suppressed"] = True
                means.loc[items, "note"] = privacy.HIDDEN
                means.loc[items, "shown"] = privacy.HIDDEN_TEXT
                guarded.append(view.scale_id)
                changed = True
    return means, guarded


# --- before and after -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeView:
    instrument: str
    scale_id: str
    summary: ChangeSummary | SmallGroup
    categories_guarded: bool = False  # reliable-change counts dropped: the mean change would give one away
    definition: Instrument | None = field(default=None, repr=False, compare=False)


def change_views(pre_wide: pd.DataFrame, post_wide: pd.DataFrame, instrument: Instrument | str,
                 k: int = DEFAULT_K) -> list[ChangeView]:
    """Per scale, the group's mean change (CI) and reliable-change categories, via ``privacy.change_summary``.

    ``pre_wide`` and ``post_wide`` are ``ResponseStore.wide`` at the two timepoints; people are
    paired by code.
    """
    k = _check_k(k)
    inst = load_instrument(instrument)
    if not inst.scales:
        return []
    pre, post = (_scores_or_empty(inst, _one_timepoint(w, None)) for w in (pre_wide, post_wide))
    out = []
    for scale in inst.scales:
        summary = privacy.change_summary(pre, post, inst, scale.id, k)
        guarded = False
        if isinstance(summary, ChangeSummary) and summary.categories is not None and summary.mean is not None:
            if _change_reveals(inst, scale, summary, k):
                summary = dataclasses.replace(summary, categories=None)
                guarded = True
        out.append(ChangeView(inst.id, scale.id, summary, guarded, definition=inst))
    return out


def _scores_or_empty(inst: Instrument, wide: pd.DataFrame) -> pd.DataFrame:
    if len(wide) == 0:
        return pd.DataFrame({"participant": pd.Series(dtype=object),
                             **{s.id: pd.Series(dtype=float) for s in inst.scales}})
    scored = [i.id for i in inst.scored_items]
    return score(inst, wide[[c for c in wide.columns if c in scored or c in ("participant", "timepoint")]])


def _change_reveals(inst: Instrument, scale: Scale, summary: ChangeSummary, k: int) -> bool:
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


# --- couples (facilitator only) ---------------------------------------------------------------

#: Items about fear of the partner: where either partner ever answered so, no couple comparison
#: is made (curriculum, "Couples and safety": couple work is not the right format then).
PARTNER_SAFETY_ITEMS = {"help_indicators": ("afraid_of_partner",)}
#: Instruments about the relationship, compared item by item by default. Personal distress and
#: well-being forms (PHQ-4, WHO-5, BRS) are never put side by side (care principle "Private escalation").
COUPLE_INSTRUMENTS = ("csi4", "eu_signs", "help_indicators", "ecr_rs")
GAP_POINTS = 2  # "differ": at least 2 points apart on the item's own scale (the whole range of a yes/no item)
AREAS = ("strength", "growth", "similar", "not_compared")


def couples(participants: pd.DataFrame, partner_of: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """Couples where both consented to storage and both asked to be linked with each other.

    ``partner_of`` maps a code to ``ResponseStore.couple_of(code)``. Pairs come sorted, each once.
    """
    codes = participants["code"]
    if "storage_consent" in participants.columns:
        codes = codes[participants["storage_consent"].astype(bool)]
    consenting = set(codes)
    pairs = set()
    for a in consenting:
        b = partner_of.get(a)
        if b and b in consenting and b != a and partner_of.get(b) == a:
            pairs.add(tuple(sorted((a, b))))
    return sorted(pairs)


def _as_answers(answers) -> dict:
    if answers is None:
        return {}
    if isinstance(answers, pd.DataFrame):
        if len(answers) != 1:
            raise ResponseDataError("give one person's answers (one row), not several")
        answers = answers.iloc[0]
    return dict(answers.items()) if isinstance(answers, pd.Series) else dict(answers)


def _number(value) -> float | None:
    if value is None or (isinstance(value, str) and (value in MISSING_CODES or not value.strip())):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _safety_items(when: Condition | AnyOf) -> set[str]:
    if isinstance(when, AnyOf):
        return set().union(*(_safety_items(c) for c in when.any))
    return {when.item} if when.item else set()


def _safety_scales(when: Condition | AnyOf) -> set[str]:
    if isinstance(when, AnyOf):
        return set().union(*(_safety_scales(c) for c in when.any))
    return {when.scale} if when.scale else set()


def comparable_items(instrument: Instrument | str) -> list[str]:
    """Items a couple comparison may show: rated items of a scale, none that a safety rule reads.

    Safety answers are shown to the person alone, never to the partner: an item a safety rule
    reads, and every item of a scale a safety rule reads, is left out. So is an item in no scale.
    """
    inst = load_instrument(instrument)
    excluded = set(PARTNER_SAFETY_ITEMS.get(inst.id, ()))
    for rule in inst.safety:
        excluded |= _safety_items(rule.when)
        for scale_id in _safety_scales(rule.when):
            excluded |= set(inst.scale(scale_id).items)
    in_scales = {i for s in inst.scales for i in s.items}
    return [i.id for i in inst.scored_items if i.id in in_scales and i.id not in excluded]


def _direction(inst: Instrument, item_id: str) -> bool | None:
    """True if a higher keyed answer is the better one, False if lower, None if unknown or mixed."""
    directions = {s.higher_is_better for s in inst.scales if item_id in s.items}
    return directions.pop() if len(directions) == 1 else None


def couple_view(answers_a, answers_b, instrument: Instrument | str) -> pd.DataFrame:
    """Item by item: where a couple agrees and where to talk, with no one's score shown.

    ``answers_a`` and ``answers_b`` map item ids to answers (a dict such as
    ``ResponseStore.saved_answers``, a Series, or a one-row wide frame). Answers are keyed
    first (reverse-keyed items turned round) and read in the direction of their scale
    ("higher is better" or not): *positive* is the better half of the item's scale, *low* the
    other half. Areas: ``strength`` (both positive), ``growth`` (at least ``GAP_POINTS``
    apart, or both low), ``similar`` (otherwise; also every close pair on a scale without a
    direction, such as the ECR-RS), ``not_compared`` (either did not answer). Columns:
    ``item``, ``area``, ``reason`` (both_positive, differ, both_low, close, unanswered) and
    ``gap`` (how many points apart, without saying who is higher). Only ``comparable_items``.
    """
    inst = load_instrument(instrument)
    a, b = _as_answers(answers_a), _as_answers(answers_b)
    rows = []
    for item_id in comparable_items(inst):
        item = inst.item(item_id)
        rs = inst.response_scale_of(item)
        lo, hi = rs.min, rs.max
        x, y = _number(a.get(item_id)), _number(b.get(item_id))
        if x is None or y is None:
            rows.append((item_id, "not_compared", "unanswered", pd.NA))
            continue
        if item.reverse:
            x, y = lo + hi - x, lo + hi - y
        gap = abs(x - y)
        direction = _direction(inst, item_id)
        mid = (lo + hi) / 2
        if direction is None:
            positive = low = False
        else:
            sx, sy = (x - mid, y - mid) if direction else (mid - x, mid - y)
            positive, low = sx > 0 and sy > 0, sx < 0 and sy < 0
        if gap >= min(GAP_POINTS, hi - lo):
            rows.append((item_id, "growth", "differ", gap))
        elif low:
            rows.append((item_id, "growth", "both_low", gap))
        elif positive:
            rows.append((item_id, "strength", "both_positive", gap))
        else:
            rows.append((item_id, "similar", "close", gap))
    out = pd.DataFrame(rows, columns=["item", "area", "reason", "gap"])
    out["gap"] = pd.array(out["gap"], dtype="Float64")
    return out


def couple_withheld(answers_a: pd.DataFrame, answers_b: pd.DataFrame) -> bool:
    """Whether either partner ever answered a fear-of-partner item so that its safety rule fires.

    ``answers_*`` are tidy ``ResponseStore.answers(participant=...)`` frames (any instrument,
    any timepoint). Then no comparison is made for the couple: couple work is not the right
    format, and the facilitator offers each partner individual time instead.
    """
    for answers in (answers_a, answers_b):
        if answers is None or answers.empty:
            continue
        for inst_id, items in PARTNER_SAFETY_ITEMS.items():
            inst = load_instrument(inst_id)
            mine = answers[(answers["instrument"] == inst_id) & answers["item"].isin(items)]
            for _, row in mine.iterrows():
                value = _number(row["value"])
                if value is None:
                    continue
                for rule in inst.safety:
                    if _fires(rule.when, row["item"], value):
                        return True
                if not inst.safety and value > 0:
                    return True
    return False


def _fires(when: Condition | AnyOf, item_id: str, value: float) -> bool:
    if isinstance(when, AnyOf):
        return any(_fires(c, item_id, value) for c in when.any)
    if when.item != item_id:
        return False
    ops = {"<": value < when.value, "<=": value <= when.value, ">": value > when.value,
           ">=": value >= when.value, "==": value == when.value}
    return ops[when.op]


# --- check-ins (facilitator only) -------------------------------------------------------------

CHECKIN_COLUMNS = ["code", "level", "flags", "forms", "rules", "last_flagged"]


def checkin_list(checkins: pd.DataFrame, participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per code whose safety rule fired and who consented to a check-in; codes only.

    ``checkins`` is ``ResponseStore.checkins()`` (which already keeps only consenting codes);
    with ``participants`` the consent is checked again here. Columns: ``code``, ``level``
    (the highest), ``flags`` (how many), ``forms`` (instrument and timepoint), ``rules``,
    ``last_flagged``; highest level first, then the most recent.
    """
    if checkins is None or checkins.empty:
        return pd.DataFrame(columns=CHECKIN_COLUMNS)
    flags = checkins
    if participants is not None:
        if "checkin_consent" not in participants.columns:
            return pd.DataFrame(columns=CHECKIN_COLUMNS)
        consenting = participants.loc[participants["checkin_consent"].astype(bool), "code"]
        if "storage_consent" in participants.columns:
            consenting = consenting[participants.loc[consenting.index, "storage_consent"].astype(bool)]
        flags = flags[flags["code"].isin(set(consenting))]
    rows = []
    for code, group in flags.groupby("code", sort=False):
        levels = [str(level) for level in group["level"]]
        rules = sorted({str(r) for rs in group["rules"] for r in (rs if isinstance(rs, (list, tuple)) else [rs])})
        forms = list(dict.fromkeys(f"{i} ({t})" for i, t in zip(group["instrument"], group["timepoint"], strict=False)))
        rows.append({"code": code, "level": max(levels, key=lambda lv: LEVEL_ORDER.get(lv, 0)),
                     "flags": int(len(group)), "forms": forms, "rules": rules,
                     "last_flagged": str(group["flagged_at"].max())})
    out = pd.DataFrame(rows, columns=CHECKIN_COLUMNS)
    if out.empty:
        return out
    out["_rank"] = out["level"].map(lambda lv: LEVEL_ORDER.get(lv, 0))
    return out.sort_values(["_rank", "last_flagged"], ascending=[False, False]).drop(columns="_rank").reset_index(drop=True)


# --- data quality (facilitator only) ----------------------------------------------------------

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
CARELESS_METHOD = (
    "Long string (Johnson, 2005): the longest run of identical answers to consecutive items; "
    f"flagged when all of at least {LONG_STRING_MIN} rated items got the same answer. "
    "IRV (Dunn, Heggestad, Shanock & Theilgard, 2018, J. Bus. Psychol. 33, 105-121, p. 108): "
    "the standard deviation of a person's answers across the items; flagged when it is 0 on a form with "
    "reverse-keyed items answered away from the scale's middle, where identical answers contradict each other. "
    "Short forms give weak evidence, so these cut-offs are deliberately conservative, as Curran (2016, "
    "J. Exp. Soc. Psychol. 66, 4-19) advises: flag only the most extreme patterns, look at several indices "
    "together, and never remove anyone on one index. Flags are advisory: nobody is excluded automatically; "
    "an identical answer to every item can be honest."
)


def careless_indices(wide: pd.DataFrame, instrument: Instrument | str) -> pd.DataFrame:
    """Careless-responding indices per person: long string and IRV, with advisory flags.

    ``wide`` is ``ResponseStore.wide`` (one row per person and timepoint). Answers are raw
    (not reverse-keyed), in the form's item order; a missing answer ends a run and is left
    out of the IRV. Rows with fewer than ``MIN_ITEMS`` answered rated items get NaN indices
    and no flag. See ``CARELESS_METHOD`` for the sources and thresholds.
    """
    inst = load_instrument(instrument)
    rated = [i for i in inst.scored_items
             if i.type in ("likert", "single_choice", "slider")
             and len(inst.response_scale_of(i).values) >= MIN_OPTIONS]
    rows = []
    for _, row in wide.iterrows():
        values = [_number(row.get(i.id)) for i in rated]
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


def careless_summary(indices: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Flagged people only, across forms: how many forms were flagged, and which.

    Columns: ``participant``, ``timepoint``, ``forms_flagged``, ``forms`` (instrument: which
    index), most flags first. More than one flagged form is the stronger hint.
    """
    frames = [f for f in indices if f is not None and not f.empty]
    columns = ["participant", "timepoint", "forms_flagged", "forms"]
    if not frames:
        return pd.DataFrame(columns=columns)
    every = pd.concat(frames, ignore_index=True)
    flagged = every[every["flagged"]]
    rows = []
    for (code, timepoint), group in flagged.groupby(["participant", "timepoint"], sort=False):
        forms = []
        for _, r in group.iterrows():
            which = [name for name, flag in (("long string", r["long_string_flag"]), ("IRV 0", r["low_irv_flag"])) if flag]
            forms.append(f"{r['instrument']}: {', '.join(which)}")
        rows.append({"participant": code, "timepoint": timepoint, "forms_flagged": len(group), "forms": forms})
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["forms_flagged", "participant"], ascending=[False, True]).reset_index(drop=True)


# --- figures (pure) ---------------------------------------------------------------------------


def fewer_than_k_figure(k: int, language: str = DEFAULT_LANGUAGE, key: str = "fewer_than_k_group",
                        title: str = "") -> go.Figure:
    """No figure, only "fewer than k": a subgroup's exact size is not shown either."""
    fig = go.Figure()
    fig.add_annotation(x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       text=charts._wrap(charts._esc(text(key, language, k=int(k))), 60), font=dict(size=22))
    charts.projector_layout(fig, title, height=300)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _scale_label(inst: Instrument, scale_id: str, language: str) -> str:
    return charts._esc(pick(inst.scale(scale_id).label, language))


def instrument_figures(view: InstrumentView, language: str = DEFAULT_LANGUAGE) -> list[go.Figure]:
    """The projector figures of one form: each scale's distribution, then the item means."""
    inst = view.definition or load_instrument(view.instrument)
    title = charts._esc(pick(inst.title, language))
    if view.small:
        return [fewer_than_k_figure(view.k, language, title=title)]
    figures = []
    for sv in view.scales:
        label = _scale_label(inst, sv.scale_id, language)
        if isinstance(sv.distribution, SmallGroup):
            figures.append(fewer_than_k_figure(view.k, language, title=label))
            continue
        fig = charts.band_distribution_chart(sv.distribution, inst, sv.scale_id, view.k, language)
        if sv.kind == "ranges":
            title_text = text("range_title", language, scale=pick(inst.scale(sv.scale_id).label, language))
            fig.update_layout(title_text=charts._wrap(charts._esc(title_text), 60))
            fig.update_xaxes(title_text=charts._esc(text("range_axis", language)))
        figures.append(fig)
    if isinstance(view.item_means, SmallGroup):
        figures.append(fewer_than_k_figure(view.k, language, title=title))
    elif view.item_means is not None:
        figures.append(charts.item_means_chart(view.item_means, inst, language))
    return figures


def change_figures(view: ChangeView, language: str = DEFAULT_LANGUAGE) -> list[go.Figure]:
    """The mean change with its CI, and the reliable-change counts when the scale has norms."""
    inst = view.definition or load_instrument(view.instrument)
    summary = view.summary
    if isinstance(summary, SmallGroup):
        return [fewer_than_k_figure(summary.k, language, "fewer_than_k_pairs", _scale_label(inst, view.scale_id, language))]
    figures = [charts.change_chart(summary, inst, view.scale_id, summary.k, language)]
    if summary.categories is not None:
        table = summary.categories.table.copy()
        table.index = [text(c, language) if c in TEXTS else c for c in table.index]
        fig = charts.band_distribution_chart(table, inst, view.scale_id, summary.k, language)
        title_text = text("category_title", language, scale=pick(inst.scale(view.scale_id).label, language))
        fig.update_layout(title_text=charts._wrap(charts._esc(title_text), 60))
        fig.update_xaxes(title_text=charts._esc(text("category_axis", language)))
        figures.append(fig)
    return figures


# --- everything at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardViews:
    """Every view of the dashboard, computed from one read of the store (see ``build_views``)."""

    k: int
    attendance: Attendance
    instruments: dict  # (instrument, timepoint) -> InstrumentView
    changes: dict  # instrument -> list[ChangeView]
    couples: list  # (code_a, code_b, {instrument: (timepoint, table)} or None when withheld)
    checkins: pd.DataFrame
    careless: pd.DataFrame  # careless_summary
    careless_rows: pd.DataFrame  # every index, flagged or not


def build_views(frames: Mapping, k: int = DEFAULT_K, *, pre: str = "pre", post: str = "post",
                couple_instruments: Iterable[str] = COUPLE_INSTRUMENTS) -> DashboardViews:
    """All views from the frames a shell read from the store.

    ``frames``: ``participants``; ``progress`` {(instrument, timepoint): frame}; ``wide``
    {(instrument, timepoint): frame}; ``checkins``; ``partner_of`` {code: partner or None};
    ``answers_of`` {code: tidy answers frame} for the people in couples.
    """
    k = _check_k(k)
    participants = frames["participants"]
    att = attendance(participants, frames.get("progress", {}), k)
    wide = frames.get("wide", {})
    instruments = {}
    careless = []
    if not att.small:
        for (inst_id, timepoint), frame in wide.items():
            if load_instrument(inst_id).scored_items:  # exercises with free text only: progress, no figures
                instruments[(inst_id, timepoint)] = instrument_views(frame, inst_id, k, timepoint)
    for (inst_id, _timepoint), frame in wide.items():
        careless.append(careless_indices(frame, inst_id))
    changes = {}
    if not att.small:
        for inst_id in dict.fromkeys(i for i, _ in wide):
            if (inst_id, pre) in wide and (inst_id, post) in wide:
                views = change_views(wide[(inst_id, pre)], wide[(inst_id, post)], inst_id, k)
                if views:
                    changes[inst_id] = views
    couple_rows = []
    answers_of = frames.get("answers_of", {})
    for a, b in couples(participants, frames.get("partner_of", {})):
        if couple_withheld(answers_of.get(a), answers_of.get(b)):
            couple_rows.append((a, b, None))
            continue
        tables = {}
        for inst_id in couple_instruments:
            timepoints = [tp for (i, tp) in wide if i == inst_id]
            for timepoint in reversed(timepoints):  # the latest timepoint both answered
                frame = wide[(inst_id, timepoint)]
                rows_a, rows_b = frame[frame["participant"] == a], frame[frame["participant"] == b]
                if len(rows_a) == 1 and len(rows_b) == 1:
                    tables[inst_id] = (timepoint, couple_view(rows_a, rows_b, inst_id))
                    break
        couple_rows.append((a, b, tables))
    every = pd.concat([c for c in careless if not c.empty], ignore_index=True) if any(not c.empty for c in careless) \
        else pd.DataFrame(columns=CARELESS_COLUMNS)
    return DashboardViews(k=k, attendance=att, instruments=instruments, changes=changes, couples=couple_rows,
                          checkins=checkin_list(frames.get("checkins"), participants),
                          careless=careless_summary(careless), careless_rows=every)
