"""Couple comparisons for the facilitator's private Couples tab, and whether pairing is advised (pure).

Only couples where both partners consented to storage and to the couple comparison, and
asked to be linked with each other, are compared, item by item, as areas (strength, growth,
similar, not compared) with reason keys: no one's answer or score is shown. Where a
partner-safety rule fired for either partner (the relationship-safety screen, or fear of the
partner in the session 5 checklist), pairing is not advised: the couple is treated exactly
like an unlinked one, everywhere, so nothing tells the partner or the facilitator's couples
tab that anything happened (curriculum, "Couples and safety").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from toolkit.core.pairing import PARTNER_SAFETY_RULES
from toolkit.core.quality import answer_number
from toolkit.core.safety import evaluate
from toolkit.errors import ResponseDataError
from toolkit.instruments import Instrument, load_instrument
from toolkit.instruments.model import AnyOf, Condition

#: Items about fear of the partner: never compared between partners.
PARTNER_SAFETY_ITEMS = {"help_indicators": ("afraid_of_partner",)}
#: The screen itself: its answers never leave the participant's own view (no figures, no export).
SCREEN = "relationship_safety"
#: Instruments about the relationship, compared item by item by default. Personal distress and
#: well-being forms (PHQ-4, WHO-5, BRS) are never put side by side (care principle "Private escalation").
COUPLE_INSTRUMENTS = ("csi4", "eu_signs", "help_indicators", "ecr_rs")
GAP_POINTS = 2  # "differ": at least 2 points apart on the item's own scale (the whole range of a yes/no item)
AREAS = ("strength", "growth", "similar", "not_compared")


def couples(participants: pd.DataFrame, partner_of: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """Couples where both consented to storage and to the couple comparison, and asked for each other.

    ``partner_of`` maps a code to ``ResponseStore.paired_with(code)``. Without a
    ``couple_consent`` column nobody has agreed to a comparison. Pairs come sorted, each once.
    """
    codes = participants["code"]
    agreed = participants["couple_consent"].astype(bool) if "couple_consent" in participants.columns else False
    if "storage_consent" in participants.columns:
        agreed = agreed & participants["storage_consent"].astype(bool)
    codes = codes[agreed] if isinstance(agreed, pd.Series) else codes.iloc[:0]
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
        x, y = answer_number(a.get(item_id)), answer_number(b.get(item_id))
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


def partner_safety_fired(answers: pd.DataFrame | None) -> bool:
    """Whether a partner-safety rule fires on one person's tidy answers (any timepoint).

    The rules are evaluated as ``core.safety`` does for the person's own message, so a skipped
    answer never silences one that the given answers already meet.
    """
    if answers is None or answers.empty:
        return False
    for inst_id, rule_ids in PARTNER_SAFETY_RULES.items():
        mine = answers[answers["instrument"] == inst_id]
        if mine.empty:
            continue
        inst = load_instrument(inst_id)
        items = [i.id for i in inst.scored_items]
        rules = [r for r in inst.safety if r.id in rule_ids]
        for _, rows in mine.groupby("timepoint", sort=False):
            row = {item: float("nan") for item in items}
            for item, value in zip(rows["item"], rows["value"], strict=True):
                if item in row:
                    row[item] = value
            if evaluate(inst, pd.DataFrame([row], columns=items), rules=rules)["level"].iloc[0]:
                return True
    return False


def pairing_advised(answers_a: pd.DataFrame | None, answers_b: pd.DataFrame | None) -> bool:
    """Whether couple work is advised for two people: no partner-safety rule fired for either.

    Only a yes or no for the pair: never which partner, nor why.
    """
    return not (partner_safety_fired(answers_a) or partner_safety_fired(answers_b))


def couple_rows(participants: pd.DataFrame, partner_of: Mapping, answers_of: Mapping, wide: Mapping,
                couple_instruments: Iterable[str] = COUPLE_INSTRUMENTS) -> list:
    """Per linked couple ``(code_a, code_b, tables)``: {instrument: (timepoint, couple_view)} at the
    latest timepoint both answered. A couple for whom pairing is not advised is left out, exactly
    like a couple that never linked: the tab must not say that anything was withheld."""
    rows = []
    for a, b in couples(participants, partner_of):
        if not pairing_advised(answers_of.get(a), answers_of.get(b)):
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
        rows.append((a, b, tables))
    return rows
