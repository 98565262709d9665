"""Consistency checks that need the whole instrument: the parts must agree with each other.

Each check returns problems located at the line to edit. They run after the shape check
in ``model.py``, so they can rely on every field having the right type.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from toolkit.content.datafile import LocatedData
from toolkit.errors import Problem
from toolkit.instruments.model import AnyOf, Condition, Instrument, Scale

UNSCORED_TYPES = ("free_text", "multiple_choice")


def check_instrument(inst: Instrument, src: LocatedData) -> list[Problem]:
    problems: list[Problem] = []
    problems += _unique(src, "response_scales", [r.id for r in inst.response_scales])
    problems += _unique(src, "items", [i.id for i in inst.items])
    problems += _unique(src, "scales", [s.id for s in inst.scales])
    problems += _unique(src, "safety", [r.id for r in inst.safety])
    problems += _response_scales(inst, src)
    problems += _items(inst, src)
    for s_i, scale in enumerate(inst.scales):
        problems += _scale(inst, scale, s_i, src)
    problems += _safety(inst, src)
    problems += _validated_wording(inst, src)
    return sorted(problems, key=lambda p: p.line or 0)


def _unique(src: LocatedData, field: str, ids: list[str]) -> list[Problem]:
    counts = Counter(ids)
    out = []
    for idx, ident in enumerate(ids):
        if counts[ident] > 1 and ids.index(ident) != idx:
            out.append(src.problem((field, idx, "id"), f"duplicate id {ident!r} in {field}"))
    return out


def _response_scales(inst: Instrument, src: LocatedData) -> list[Problem]:
    out = []
    for r_i, rs in enumerate(inst.response_scales):
        loc = ("response_scales", r_i)
        if bool(rs.options) == (rs.slider is not None):
            out.append(src.problem(loc, f"response scale {rs.id!r} needs either 'options' or 'slider', not both"))
            continue
        if rs.slider is not None:
            lo, hi, step = rs.slider
            if not (hi > lo and step > 0):
                out.append(src.problem(loc + ("slider",),
                                       f"slider of {rs.id!r} must be [min, max, step] with max > min and step > 0"))
        values = [o.value for o in rs.options]
        for o_i, value in enumerate(values):
            if values.index(value) != o_i:
                out.append(src.problem(loc + ("options", o_i, "value"), f"value {value} appears twice in {rs.id!r}"))
    return out


def _items(inst: Instrument, src: LocatedData) -> list[Problem]:
    out = []
    scale_ids = {r.id: r for r in inst.response_scales}
    for i_i, item in enumerate(inst.items):
        loc = ("items", i_i)
        if item.type == "free_text":
            if item.response_scale is not None:
                out.append(src.problem(loc + ("response_scale",), f"free-text item {item.id!r} takes no response scale"))
            if item.reverse:
                out.append(src.problem(loc + ("reverse",), f"free-text item {item.id!r} cannot be reverse-keyed"))
            continue
        if item.response_scale is None:
            out.append(src.problem(loc, f"item {item.id!r} needs a 'response_scale'"))
            continue
        rs = scale_ids.get(item.response_scale)
        if rs is None:
            out.append(src.problem(loc + ("response_scale",),
                                   f"item {item.id!r} names response scale {item.response_scale!r}, which is not defined "
                                   f"(defined: {', '.join(scale_ids)})"))
            continue
        if rs.id not in _scale_ids(inst):
            continue  # a malformed response scale, reported by _response_scales
        if item.type == "yes_no" and sorted(rs.values) != [0, 1]:
            out.append(src.problem(loc + ("type",), f"yes/no item {item.id!r} needs a response scale with values 0 and 1"))
        if item.type == "slider" and rs.slider is None:
            out.append(src.problem(loc + ("type",), f"slider item {item.id!r} needs a response scale with a 'slider' range"))
    return out


def _scale(inst: Instrument, scale: Scale, s_i: int, src: LocatedData) -> list[Problem]:
    loc = ("scales", s_i)
    items = {i.id: i for i in inst.items}
    out = []
    for j, item_id in enumerate(scale.items):
        item = items.get(item_id)
        if item is None:
            out.append(src.problem(loc + ("items", j), f"scale {scale.id!r} names item {item_id!r}, which does not exist"))
        elif item.type in UNSCORED_TYPES:
            out.append(src.problem(loc + ("items", j), f"scale {scale.id!r} cannot score {item.type} item {item_id!r}"))
        elif scale.items.index(item_id) != j:
            out.append(src.problem(loc + ("items", j), f"scale {scale.id!r} lists item {item_id!r} twice"))
    if out:
        return out
    if scale.min_answered is not None and scale.min_answered > len(scale.items):
        return [src.problem(loc + ("min_answered",),
                            f"min_answered {scale.min_answered} is more than the {len(scale.items)} items of {scale.id!r}")]
    if scale.method == "count":
        for j, item_id in enumerate(scale.items):
            if items[item_id].response_scale in _malformed_scale_ids(inst):
                continue  # reported by _response_scales
            rs = inst.response_scale_of(items[item_id]) if items[item_id].response_scale in _scale_ids(inst) else None
            if rs is None or sorted(rs.values) != [0, 1]:
                out.append(src.problem(loc + ("items", j), f"a count scale counts yes/no answers: item {item_id!r} "
                                                          "needs a response scale with values 0 and 1"))
    if not scale.bands and not scale.no_bands_reason:
        out.append(src.problem(loc, f"scale {scale.id!r} has no bands: give 'bands' or say why in 'no_bands_reason'"))
    if scale.min_answered is not None and not scale.min_answered_reason:
        out.append(src.problem(loc + ("min_answered",), "a min_answered that overrides the default needs a min_answered_reason"))
    if scale.prorate and scale.method != "sum":
        out.append(src.problem(loc + ("prorate",), "only a sum scale can be prorated"))
    if scale.norms is not None and scale.norms.cutoff is not None and scale.higher_is_better is None:
        out.append(src.problem(loc + ("norms", "cutoff"), "a cut-off for clinical significance needs 'higher_is_better'"))
    out += _label_range(inst, scale, loc, src)
    if scale.bands:
        out += _bands(inst, scale, loc, src)
    return out


#: A range written into a scale's label, such as "(0 to 7)" or "(de 0 a 7)".
_LABEL_RANGE = re.compile(r"\((?:de\s+)?(-?\d+(?:[.,]\d+)?)\s+(?:to|a)\s+(-?\d+(?:[.,]\d+)?)\)")


def _label_range(inst: Instrument, scale: Scale, loc: tuple, src: LocatedData) -> list[Problem]:
    """A label that states the score range must state the range the items give (add an item, fix the label)."""
    scores = possible_scores(inst, scale)
    if not scores:
        return []
    out = []
    for language, text in (scale.label or {}).items():
        m = _LABEL_RANGE.search(text)
        if m and (float(m[1].replace(",", ".")), float(m[2].replace(",", "."))) != (scores[0], scores[-1]):
            out.append(src.problem(loc + ("label",), f"the {language} label of scale {scale.id!r} says {m[1]} to {m[2]}, "
                                                      f"but its scores run from {_fmt(scores[0])} to {_fmt(scores[-1])}"))
    return out


def _scale_ids(inst: Instrument) -> set[str]:
    """Ids of the response scales whose values can be listed (a malformed one is reported by
    ``_response_scales``; listing its values would divide by a zero step or take min() of nothing)."""
    return {r.id for r in inst.response_scales if _well_formed(r)}


def _malformed_scale_ids(inst: Instrument) -> set[str]:
    return {r.id for r in inst.response_scales} - _scale_ids(inst)


def _well_formed(rs) -> bool:
    if bool(rs.options) == (rs.slider is not None):
        return False
    if rs.slider is not None:
        lo, hi, step = rs.slider
        return hi > lo and step > 0
    return True


def possible_scores(inst: Instrument, scale: Scale) -> list[float]:
    """Every score the scale can produce, given its items' values and its minimum answered.

    Empty when the scale cannot be scored as declared (a problem reported elsewhere).
    """
    items = {i.id: i for i in inst.items}
    if scale.required > len(scale.items):
        return []
    states: set[tuple[int, float]] = {(0, 0.0)}
    for item_id in scale.items:
        item = items.get(item_id)
        if item is None or item.response_scale not in _scale_ids(inst):
            return []
        values = inst.response_scale_of(item).values
        if item.reverse:
            lo, hi = min(values), max(values)
            values = [lo + hi - v for v in values]
        nxt = set(states)  # the item left unanswered
        for n, total in states:
            for v in values:
                nxt.add((n + 1, round(total + v, 9)))
        states = nxt
    n_items = len(scale.items)
    scores = set()
    for n, total in states:
        if n < scale.required or n == 0:
            continue
        if scale.method == "mean":
            value = total / n
        elif scale.prorate:
            value = total / n * n_items
        else:
            value = total
        scores.add(round(value * scale.factor, 9))
    return sorted(scores)


def _bands(inst: Instrument, scale: Scale, loc: tuple, src: LocatedData) -> list[Problem]:
    out = []
    ordered = sorted(enumerate(scale.bands), key=lambda ib: (ib[1].min, not ib[1].min_inclusive))
    for (_, a), (b_i, b) in zip(ordered, ordered[1:], strict=False):
        if b.min < a.max or (b.min == a.max and a.max_inclusive and b.min_inclusive):
            out.append(src.problem(loc + ("bands", b_i), f"bands {a.id!r} and {b.id!r} of scale {scale.id!r} overlap"))
    for b_i, band in enumerate(scale.bands):
        if band.min > band.max:
            out.append(src.problem(loc + ("bands", b_i), f"band {band.id!r} has min above max"))
    if out:
        return out
    scores = possible_scores(inst, scale)
    if not scores:
        return out
    uncovered = [x for x in scores if not any(b.contains(x) for b in scale.bands)]
    if uncovered:
        shown = ", ".join(_fmt(x) for x in uncovered[:5]) + (" ..." if len(uncovered) > 5 else "")
        out.append(src.problem(loc + ("bands",),
                               f"bands of scale {scale.id!r} leave a gap: no band holds the possible score(s) {shown}"))
    for b_i, band in enumerate(scale.bands):
        if not any(band.contains(x) for x in scores):
            out.append(src.problem(loc + ("bands", b_i), f"band {band.id!r} holds no possible score of {scale.id!r} "
                                                       f"(scores run from {_fmt(scores[0])} to {_fmt(scores[-1])})"))
    return out


def _fmt(x: float) -> str:
    return f"{x:g}"


def _conditions(when: Condition | AnyOf, loc: tuple = ()) -> Iterable[tuple[tuple, Condition]]:
    """Each condition with its location, so a problem points at the condition's own line."""
    if isinstance(when, Condition):
        yield loc, when
    else:
        for k, c in enumerate(when.any):
            yield from _conditions(c, loc + ("any", k))


def _validated_wording(inst: Instrument, src: LocatedData) -> list[Problem]:
    """Only a validated instrument has published wording; the others' texts are all the toolkit's own."""
    if inst.validated_wording and inst.kind != "validated":
        return [src.problem(("validated_wording",), f"only a validated instrument has published wording; this one is "
                                                    f"kind {inst.kind!r}, so remove validated_wording")]
    return []


def _safety(inst: Instrument, src: LocatedData) -> list[Problem]:
    out = []
    items = {i.id: i for i in inst.items}
    scales = {s.id: s for s in inst.scales}
    for r_i, rule in enumerate(inst.safety):
        for loc, cond in _conditions(rule.when, ("safety", r_i, "when")):
            if (cond.scale is None) == (cond.item is None):
                out.append(src.problem(loc, f"safety rule {rule.id!r}: a condition names exactly one 'scale' or 'item'"))
            elif cond.item is not None:
                item = items.get(cond.item)
                if item is None:
                    out.append(src.problem(loc, f"safety rule {rule.id!r} names item {cond.item!r}, which does not exist"))
                elif item.type != "free_text" and item.response_scale in _scale_ids(inst):
                    rs = inst.response_scale_of(item)
                    if rs is not None and not (rs.min <= cond.value <= rs.max):
                        out.append(src.problem(loc, f"safety rule {rule.id!r}: value {cond.value:g} is outside the "
                                                    f"response scale of {cond.item!r} ({rs.min:g} to {rs.max:g})"))
            else:
                scale = scales.get(cond.scale)
                if scale is None:
                    out.append(src.problem(loc, f"safety rule {rule.id!r} names scale {cond.scale!r}, which does not exist"))
                else:
                    scores = possible_scores(inst, scale)
                    if scores and not (scores[0] <= cond.value <= scores[-1]):
                        out.append(src.problem(loc, f"safety rule {rule.id!r}: value {cond.value:g} is outside the range "
                                                    f"of scale {cond.scale!r} ({scores[0]:g} to {scores[-1]:g})"))
    return out
