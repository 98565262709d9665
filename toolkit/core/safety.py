"""Safety rules: which answers call for support, and what the participant alone then sees.

An instrument file declares its rules (``safety:``; levels ``info`` < ``check_in``, see
shared/instruments.md, "Bands and safety rules used by the toolkit"). ``evaluate`` checks
every rule for every row at once: one comparison per condition over whole columns, so a
thousand participants cost the same Python as one. Item conditions compare the raw answer
and scale conditions the score. A skipped answer never silences a rule: a condition also
holds when it holds over the whole range still possible (``scoring.score_bounds``; for an
item, its response scale), whatever the missing answers would be. PHQ-4 answered 3, 3, 3
with one item skipped has a total of at least 9, so the check-in fires.

A workshop may add rules or make them stricter, never silently weaker: ``effective_rules``
merges a workshop's rules with the defaults and refuses any that would fire less often.

What the participant then reads and whom they can call is ``core.support``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import AttuneError, ResponseDataError
from toolkit.instruments import MISSING_CODES, Instrument, load_instrument
from toolkit.instruments.model import LEVEL_ORDER, AnyOf, Condition, SafetyRule

_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal}
#: Level names by rank: 0 is "nothing fired".
_LEVEL_BY_RANK = np.array([""] + sorted(LEVEL_ORDER, key=LEVEL_ORDER.get), dtype=object)


class SafetyRuleError(AttuneError):
    """A workshop's safety rules would remove or weaken a default rule, or name something unknown."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class SafetyResult:
    level: str  # "", "info" or "check_in": the highest level that fired
    rules: tuple[str, ...]  # ids of the rules that fired, in the instrument's order

    @property
    def fired(self) -> bool:
        return bool(self.level)


# -- evaluating rules -------------------------------------------------------------------------

def evaluate(instrument: Instrument | str, answers: pd.DataFrame, scores: pd.DataFrame | None = None, *,
             rules: Iterable[SafetyRule] | None = None) -> pd.DataFrame:
    """Per row of ``answers``: ``level`` (highest level fired, "" if none) and ``rules`` (ids fired).

    ``scores`` is ``toolkit.core.scoring.score`` of the same rows (computed when not given);
    ``rules`` defaults to the instrument's own, or pass ``effective_rules(...)`` for a workshop.
    """
    inst = load_instrument(instrument)
    rules = tuple(inst.safety if rules is None else rules)
    if scores is None:
        from toolkit.core.scoring import score

        scores = score(inst, answers)
    if len(scores) != len(answers):
        raise ResponseDataError(f"answers have {len(answers)} rows and scores {len(scores)}: "
                                "they must describe the same respondents, row for row")
    columns: dict[tuple[str, str], np.ndarray] = {}
    ranges = _Ranges(inst, answers)
    fired = np.zeros((len(answers), len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        fired[:, j] = _holds(rule, rule.when, answers, scores, columns, ranges)
    return _summarise(fired, rules, answers.index)


def evaluate_one(instrument: Instrument | str, answers: Mapping[str, object],
                 scores: Mapping[str, object] | None = None, *,
                 rules: Iterable[SafetyRule] | None = None) -> SafetyResult:
    """``evaluate`` for one participant's answers and scores as dicts (a key left out is unanswered)."""
    inst = load_instrument(instrument)
    rules = tuple(inst.safety if rules is None else rules)
    if scores is None:
        from toolkit.core.scoring import score

        row = {i.id: [answers.get(i.id)] for i in inst.scored_items}
        scores = score(inst, pd.DataFrame(row, dtype=object)).iloc[0].to_dict()
    items = sorted({c.item for r in rules for c in _conditions(r.when) if c.item} | {i.id for i in inst.scored_items})
    scales = sorted({c.scale for r in rules for c in _conditions(r.when) if c.scale})
    answer_row = pd.DataFrame({i: [answers.get(i)] for i in items}, index=[0], dtype=object)
    score_row = pd.DataFrame({s: [scores.get(s)] for s in scales}, index=[0], dtype=object)
    out = evaluate(inst, answer_row, score_row, rules=rules)
    return SafetyResult(out["level"].iloc[0], out["rules"].iloc[0])


class _Ranges:
    """The lowest and highest value each condition's target could still take, computed on first use."""

    def __init__(self, inst: Instrument, answers: pd.DataFrame):
        self.inst, self.answers, self._scales = inst, answers, None

    def scale(self, scale_id: str) -> tuple[np.ndarray, np.ndarray]:
        if self._scales is None:
            from toolkit.core.scoring import score_bounds

            self._scales = score_bounds(self.inst, self.answers)
        return self._scales[scale_id]

    def item(self, item_id: str, given: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scale = self.inst.response_scale_of(self.inst.item(item_id))
        if scale is None:  # a free-text item has no range: only its answer counts
            return given, given
        values = scale.values
        missing = np.isnan(given)
        return np.where(missing, min(values), given), np.where(missing, max(values), given)


def _certain(op: str, lo: np.ndarray, hi: np.ndarray, value: float) -> np.ndarray:
    """Whether ``target op value`` holds for every target in [lo, hi]."""
    if op in (">", ">="):
        return _OPS[op](lo, value)
    if op in ("<", "<="):
        return _OPS[op](hi, value)
    return (lo == value) & (hi == value)


def _holds(rule: SafetyRule, when: Condition | AnyOf, answers: pd.DataFrame, scores: pd.DataFrame,
           columns: dict, ranges: _Ranges) -> np.ndarray:
    if isinstance(when, AnyOf):
        return np.logical_or.reduce([_holds(rule, c, answers, scores, columns, ranges) for c in when.any])
    key = ("item", when.item) if when.item else ("scale", when.scale)
    if key not in columns:
        frame, what = (answers, "answers") if when.item else (scores, "scores")
        if key[1] not in frame.columns:
            raise ResponseDataError(f"safety rule {rule.id!r} needs the {key[0]} column {key[1]!r}, which the "
                                    f"{what} do not have (leave a cell blank for an unanswered question)")
        columns[key] = _numeric(frame[key[1]])
    with np.errstate(invalid="ignore"):
        met = _OPS[when.op](columns[key], when.value)  # NaN compares False: on its own, a gap never fires
    lo, hi = ranges.item(when.item, columns[key]) if when.item else ranges.scale(when.scale)
    return met | _certain(when.op, lo, hi, when.value)


def _numeric(column: pd.Series) -> np.ndarray:
    """Floats, NaN where unanswered: blanks, typed missing codes and anything that is not a number."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    text = column.astype("string").str.strip()
    text = text.mask(text.isin(MISSING_CODES) | (text == ""))
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _summarise(fired: np.ndarray, rules: tuple[SafetyRule, ...], index: pd.Index) -> pd.DataFrame:
    """The highest level and the tuple of rule ids per row; tuples are built once per distinct pattern."""
    n = fired.shape[0]
    if not rules:
        nothing = np.empty(n, dtype=object)
        nothing.fill(())
        return pd.DataFrame({"level": np.full(n, "", dtype=object), "rules": nothing}, index=index)
    ranks = np.array([LEVEL_ORDER[r.level] for r in rules])
    level = _LEVEL_BY_RANK[(fired * ranks).max(axis=1)]
    patterns, which = np.unique(fired, axis=0, return_inverse=True)
    ids = np.array([r.id for r in rules], dtype=object)
    fired_ids = _objects([tuple(ids[p]) for p in patterns])
    return pd.DataFrame({"level": level, "rules": fired_ids[which.reshape(-1)]}, index=index)


def _objects(values: list) -> np.ndarray:
    """A 1-D object array of tuples (numpy would otherwise unpack them into a 2-D array)."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # once per distinct pattern of fired rules, not per row
        out[i] = v
    return out


def _conditions(when: Condition | AnyOf) -> Iterable[Condition]:
    if isinstance(when, Condition):
        yield when
    else:
        for c in when.any:
            yield from _conditions(c)


# -- workshop rules: stricter, never weaker ---------------------------------------------------

def effective_rules(instrument: Instrument | str, extra_rules: Iterable[SafetyRule | Mapping] = ()) -> tuple[SafetyRule, ...]:
    """The instrument's rules with a workshop's rules merged in; raise SafetyRuleError if any is weaker.

    A workshop rule with a default's id replaces it (it must fire at least wherever the
    default fires, at the same level or higher); any other id is an added rule.
    """
    inst = load_instrument(instrument)
    extra = [r if isinstance(r, SafetyRule) else SafetyRule.model_validate({"source": "workshop rule", **r})
             for r in extra_rules]
    problems = [f"the workshop defines safety rule {rid!r} more than once"
                for rid, times in sorted(Counter(r.id for r in extra).items()) if times > 1]
    problems += _unknown_targets(inst, extra)
    by_id = {r.id: r for r in extra}
    defaults = {r.id for r in inst.safety}
    merged = tuple(by_id.get(d.id, d) for d in inst.safety) + tuple(r for r in extra if r.id not in defaults)
    problems += check_not_weaker(inst.safety, merged)
    if problems:
        raise SafetyRuleError([f"{inst.id}: {p}" for p in problems])
    return merged


def check_not_weaker(default_rules: Iterable[SafetyRule], workshop_rules: Iterable[SafetyRule]) -> list[str]:
    """Problems where ``workshop_rules`` drop a default rule, lower its level, or fire less often.

    A condition is kept when every value that fires the default also fires the workshop's
    (for example ``total >= 5`` keeps ``total >= 6``; ``total >= 7`` does not).
    """
    workshop = {r.id: r for r in workshop_rules}
    problems = []
    for d in default_rules:
        w = workshop.get(d.id)
        if w is None:
            problems.append(f"default safety rule {d.id!r} ({describe_condition(d.when)} -> {d.level}) is missing: "
                            "a workshop may add rules or make them stricter, never remove one")
        elif LEVEL_ORDER[w.level] < LEVEL_ORDER[d.level]:
            problems.append(f"safety rule {d.id!r} lowers the level from {d.level!r} to {w.level!r}: "
                            "a workshop may raise a level, never lower it")
        elif not _implies(d.when, w.when):
            problems.append(f"safety rule {d.id!r}: the workshop's condition ({describe_condition(w.when)}) would not "
                            f"fire everywhere the default ({describe_condition(d.when)}) fires; thresholds may only "
                            "be made stricter")
    return problems


def describe_condition(when: Condition | AnyOf) -> str:
    if isinstance(when, AnyOf):
        return "any of (" + ", ".join(describe_condition(c) for c in when.any) + ")"
    return f"{when.scale or when.item} {when.op} {when.value:g}"


def _implies(a: Condition | AnyOf, b: Condition | AnyOf) -> bool:
    """Whether ``a`` holding guarantees ``b`` holds (conservative for differently shaped ``any`` lists)."""
    if isinstance(a, AnyOf):
        return all(_implies(c, b) for c in a.any)
    if isinstance(b, AnyOf):
        return any(_implies(a, c) for c in b.any)
    if (a.scale, a.item) != (b.scale, b.item):
        return False
    (a_lo, a_lo_in, a_hi, a_hi_in), (b_lo, b_lo_in, b_hi, b_hi_in) = _interval(a), _interval(b)
    lower_ok = b_lo < a_lo or (b_lo == a_lo and (b_lo_in or not a_lo_in))
    upper_ok = b_hi > a_hi or (b_hi == a_hi and (b_hi_in or not a_hi_in))
    return lower_ok and upper_ok


def _interval(c: Condition) -> tuple[float, bool, float, bool]:
    """The values for which ``c`` holds, as (low, low included, high, high included)."""
    inf = math.inf
    return {">=": (c.value, True, inf, False), ">": (c.value, False, inf, False),
            "<=": (-inf, False, c.value, True), "<": (-inf, False, c.value, False),
            "==": (c.value, True, c.value, True)}[c.op]


def _unknown_targets(inst: Instrument, rules: Iterable[SafetyRule]) -> list[str]:
    items, scales = {i.id for i in inst.items}, {s.id for s in inst.scales}
    out = []
    for rule in rules:
        for c in _conditions(rule.when):
            if (c.item is None) == (c.scale is None):
                out.append(f"safety rule {rule.id!r}: a condition names exactly one 'scale' or 'item'")
            elif c.item is not None and c.item not in items:
                out.append(f"safety rule {rule.id!r} names item {c.item!r}, which {inst.id} does not have")
            elif c.scale is not None and c.scale not in scales:
                out.append(f"safety rule {rule.id!r} names scale {c.scale!r}, which {inst.id} does not have "
                           f"(its scales are {', '.join(sorted(scales))})")
    return out
