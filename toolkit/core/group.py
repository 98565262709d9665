"""The facilitator dashboard's group views (pure): from the store's frames to what each tab may show.

Nothing here reads the store or draws a widget: functions take the frames ``ResponseStore``
hands out (``participants()``, ``progress()``, ``wide()``, ``checkins()``, ``answers()``) and
return protected view objects; ``group_figures`` draws them, ``toolkit.render.dashboard``
writes their HTML and ``toolkit.widgets.dashboard`` is the shell that reads the store and
shows them. Views hold data and keys (statuses, privacy notes, areas) for a display to
translate; privacy's English ``shown`` column is kept as it comes, and displays go by ``note``.

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
  categories come from ``toolkit.core.privacy``; the *combination* of figures a view shows
  is checked by ``toolkit.core.disclosure`` (item means hidden where, beside a distribution,
  they would reveal a count: ``InstrumentView.guarded``; reliable-change categories dropped
  where the mean change would give one away: ``ChangeView.categories_guarded``).
* A scale without bands is shown as counts in three equal-width score ranges (numbers, not
  types), unless a banded scale of the same instrument has exactly the same items (WHO-5
  total and percentage): two partitions of one score would let a difference be worked out.

Couple comparisons (``couples``), the check-in list (``checkins``) and the data-quality
indices (``quality``) are for the facilitator alone.

The end-of-session check (``session_check``) is shown only as group counts per session
(``toolkit.core.session_check``): it gets no instrument view (item means would be a score of
it) and no data-quality index, so no view puts a code next to one of its answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.core import disclosure, privacy
from toolkit.core.checkins import checkin_list
from toolkit.core.couples import COUPLE_INSTRUMENTS, couple_rows
from toolkit.core.privacy import DEFAULT_K, ChangeSummary, Distribution, SmallGroup, check_k
from toolkit.core.quality import all_indices, careless_rows, careless_summary
from toolkit.core.scoring import score
from toolkit.core.session_check import SESSION_CHECK, SessionCheckView, session_check_views
from toolkit.errors import ResponseDataError
from toolkit.instruments import Instrument, load_instrument
from toolkit.instruments.checks import possible_scores
from toolkit.instruments.model import Scale

STATUSES = ("not_started", "in_progress", "completed")
RANGE_PARTS = 3


# --- attendance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    """Who joined, and how far the group is with each form, protected.

    ``forms`` has one row per (instrument, timepoint, status) with ``count`` (Int64, <NA>
    where hidden), ``shown``, ``suppressed`` and ``note`` (privacy's key). It is empty when
    the group is smaller than k (``small``).
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
    k = check_k(k)
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
    k = check_k(k)
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
        means, guarded = disclosure.guard_item_means(inst, means, views, k)
    return InstrumentView(inst.id, timepoint, k, group, tuple(views), means, tuple(guarded), definition=inst)


def _shown_scales(inst: Instrument) -> list[Scale]:
    """Every banded scale, and every unbanded one whose items no banded scale has exactly."""
    banded = [frozenset(s.items) for s in inst.scales if s.bands]
    return [s for s in inst.scales if s.bands or (frozenset(s.items) not in banded and possible_scores(inst, s))]


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
    k = check_k(k)
    inst = load_instrument(instrument)
    if not inst.scales:
        return []
    pre, post = (_scores_or_empty(inst, _one_timepoint(w, None)) for w in (pre_wide, post_wide))
    out = []
    for scale in inst.scales:
        summary = privacy.change_summary(pre, post, inst, scale.id, k)
        guarded = False
        if isinstance(summary, ChangeSummary) and summary.categories is not None and summary.mean is not None:
            if disclosure.change_reveals(inst, scale, summary, k):
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
    session_checks: tuple[SessionCheckView, ...] = ()  # group counts per session; empty when the group is small


def build_views(frames: Mapping, k: int = DEFAULT_K, *, pre: str = "pre", post: str = "post",
                couple_instruments: Iterable[str] = COUPLE_INSTRUMENTS) -> DashboardViews:
    """All views from the frames a shell read from the store.

    ``frames``: ``participants``; ``progress`` {(instrument, timepoint): frame}; ``wide``
    {(instrument, timepoint): frame}; ``checkins``; ``partner_of`` {code: partner or None};
    ``answers_of`` {code: tidy answers frame} for the people in couples.
    """
    k = check_k(k)
    participants = frames["participants"]
    att = attendance(participants, frames.get("progress", {}), k)
    wide = frames.get("wide", {})
    instruments = {}
    changes = {}
    checks: tuple[SessionCheckView, ...] = ()
    if not att.small:
        for (inst_id, timepoint), frame in wide.items():
            if inst_id == SESSION_CHECK:
                continue  # counts only, below: never item means of it
            if load_instrument(inst_id).scored_items:  # exercises with free text only: progress, no figures
                instruments[(inst_id, timepoint)] = instrument_views(frame, inst_id, k, timepoint)
        for inst_id in dict.fromkeys(i for i, _ in wide):
            if (inst_id, pre) in wide and (inst_id, post) in wide:
                views = change_views(wide[(inst_id, pre)], wide[(inst_id, post)], inst_id, k)
                if views:
                    changes[inst_id] = views
        checks = session_check_views(wide, k)
    couples = couple_rows(participants, frames.get("partner_of", {}), frames.get("answers_of", {}), wide,
                          couple_instruments)
    careless = careless_rows({key: frame for key, frame in wide.items() if key[0] != SESSION_CHECK})
    return DashboardViews(k=k, attendance=att, instruments=instruments, changes=changes, couples=couples,
                          checkins=checkin_list(frames.get("checkins"), participants),
                          careless=careless_summary(careless), careless_rows=all_indices(careless),
                          session_checks=checks)
