"""The session check as the facilitator sees it: group counts per session, never one person's answer (pure).

Every session ends with the two questions of ``session_check`` (was today helpful, did you
feel safe taking part), asked at the timepoint ``session0`` ... ``session6``. The instrument
has no scales on purpose: nothing about it is scored, so the dashboard shows no score, band,
item mean, reliable change or data-quality index of it. What it shows is, per session and
question, how many people chose each answer ("Prefer not to say" included), protected like
every other count (``privacy.suppress_counts``: counts below k, zeros included, show "fewer
than k", and complementary suppression stops a hidden cell being worked out from the
others). A question that fewer than k people answered at a session shows only that (as a
:class:`~toolkit.core.privacy.SmallGroup`), not how many. The views hold no codes at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.core import privacy
from toolkit.core.privacy import DEFAULT_K, Distribution, SmallGroup, check_k
from toolkit.instruments import Instrument, load_instrument

SESSION_CHECK = "session_check"
#: The one missing code that is an answer the person chose (skipped and blank are not counted).
PREFER_NOT = "prefer_not_to_say"


@dataclass(frozen=True)
class QuestionCounts:
    """How many chose each answer to one question at one session, protected.

    ``answers`` are the keys of ``counts.table``'s rows, in the form's order: each option's
    value as text ("2", "1", "0") and then ``PREFER_NOT``. ``counts`` is a SmallGroup when
    fewer than k answered (its ``n`` is for the code, never for display).
    """

    item: str
    answers: tuple[str, ...]
    counts: Distribution | SmallGroup


@dataclass(frozen=True)
class SessionCheckView:
    """One session's check: one protected count table per question."""

    timepoint: str
    questions: tuple[QuestionCounts, ...]


def answer_keys(instrument: Instrument | str = SESSION_CHECK, item_id: str | None = None) -> tuple[str, ...]:
    """The answer keys of an item (or the first item): its option values as text, then ``PREFER_NOT``."""
    inst = load_instrument(instrument)
    item = inst.item(item_id) if item_id else inst.items[0]
    return tuple(_key(o.value) for o in inst.response_scale_of(item).options) + (PREFER_NOT,)


def question_counts(wide: pd.DataFrame, item_id: str, k: int = DEFAULT_K,
                    instrument: Instrument | str = SESSION_CHECK) -> QuestionCounts:
    """The protected counts of each answer to ``item_id`` among the rows of ``wide`` (one session)."""
    k = check_k(k)
    inst = load_instrument(instrument)
    keys = answer_keys(inst, item_id)
    column = wide[item_id] if item_id in wide.columns else pd.Series(dtype=object)
    chosen = [_key(v) for v in column.tolist()]
    chosen = [c for c in chosen if c in keys]  # skipped, don't know and blanks are not an answer chosen
    n = len(chosen)
    if n < k:
        return QuestionCounts(item_id, keys, SmallGroup(n, k))
    counts = pd.Series([chosen.count(key) for key in keys], index=pd.Index(keys, name="answer"))
    return QuestionCounts(item_id, keys, Distribution(privacy.suppress_counts(counts, k), n, k))


def session_check_views(wide: Mapping, k: int = DEFAULT_K,
                        instrument: Instrument | str = SESSION_CHECK) -> tuple[SessionCheckView, ...]:
    """Per session (in session order), the protected counts of both questions.

    ``wide`` maps ``(instrument, timepoint)`` to ``ResponseStore.wide`` frames, as in
    ``group.build_views``; frames of other instruments are ignored.
    """
    k = check_k(k)
    inst = load_instrument(instrument)
    frames = {tp: frame for (inst_id, tp), frame in wide.items() if inst_id == inst.id}
    out = []
    for timepoint in sorted(frames, key=session_order):
        frame = frames[timepoint]
        if "timepoint" in frame.columns:
            frame = frame[frame["timepoint"] == timepoint]
        questions = tuple(question_counts(frame, item.id, k, inst) for item in inst.items)
        out.append(SessionCheckView(str(timepoint), questions))
    return tuple(out)


def session_order(timepoint: str) -> tuple:
    """``session2`` before ``session10``; timepoints without a number after them, by name."""
    found = re.search(r"(\d+)$", str(timepoint))
    return (0, int(found.group(1)), str(timepoint)) if found else (1, 0, str(timepoint))


def _key(value) -> str | None:
    """An answer as a key: a number as its text without ".0", the chosen missing code, else None."""
    if isinstance(value, str) and value.strip() == PREFER_NOT:
        return PREFER_NOT
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if np.isnan(number):
        return None
    return f"{number:g}"
