"""A readable plain-text summary of an instrument, for ``attune show`` and trainers."""

from __future__ import annotations

import textwrap

from toolkit.content.text import pick
from toolkit.instruments.model import AnyOf, Band, Condition, Instrument, Scale


def describe_instrument(inst: Instrument, language: str = "en") -> str:
    t = lambda texts: pick(texts, language)  # noqa: E731
    lines = [f"{t(inst.title)} ({inst.id}, version {inst.version}, {inst.kind})", ""]
    lines += _wrap("Instructions: " + t(inst.instructions))
    if inst.adapted_wording_note:
        lines += _wrap("Note: " + t(inst.adapted_wording_note))
    lines.append("")
    lines.append("Items (R = reverse-keyed when scoring):")
    for item in inst.items:
        rs = inst.response_scale_of(item)
        values = f"{rs.min:g}-{rs.max:g}" if rs else "text"
        flag = "R" if item.reverse else " "
        lines += _wrap(f"{flag} {item.id:<10} [{values}] {t(item.text)}", indent="               ")
    for rs in inst.response_scales:
        labelled = [f"{o.value:g} = {t(o.label)}" for o in rs.options if o.label]
        if labelled:
            lines.append("")
            lines += _wrap(f"Response scale {rs.id}: " + "; ".join(labelled))
    lines.append("")
    lines.append("Scales:")
    for scale in inst.scales:
        lines += _scale(scale, t)
    if inst.safety:
        lines.append("")
        lines.append("Safety rules (shown to the participant alone):")
        for rule in inst.safety:
            lines.append(f"  {rule.id}: {_condition(rule.when)} -> {rule.level}")
    lines.append("")
    lines += _wrap("Licence: " + t(inst.licence.terms) + f" (commercial use: {inst.licence.commercial_use})")
    lines += _wrap("Attribution: " + t(inst.licence.attribution))
    unverified = [v.fact for v in inst.verification if v.status == "unverified"]
    if unverified:
        lines += _wrap("Not yet verified: " + "; ".join(unverified))
    return "\n".join(lines)


def _scale(scale: Scale, t) -> list[str]:
    how = {"sum": "sum", "mean": "mean", "count": "count of endorsed"}[scale.method]
    if scale.factor != 1:
        how += f" x {scale.factor:g}"
    out = [f"  {scale.id}: {how} of {', '.join(scale.items)}; needs {scale.required} of {len(scale.items)} answered"]
    for band in scale.bands:
        out.append(f"    {band.id:<13} {_range(band)}  {t(band.label)}")
    if not scale.bands and scale.no_bands_reason:
        out.append(f"    no bands: {scale.no_bands_reason}")
    return out


def _range(band: Band) -> str:
    left = "[" if band.min_inclusive else "("
    right = "]" if band.max_inclusive else ")"
    return f"{left}{band.min:g}, {band.max:g}{right}"


def _condition(when: Condition | AnyOf) -> str:
    if isinstance(when, AnyOf):
        return " or ".join(_condition(c) for c in when.any)
    return f"{when.scale or when.item} {when.op} {when.value:g}"


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, width=96, subsequent_indent=indent) or [""]
