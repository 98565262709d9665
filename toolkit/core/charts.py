"""Plotly figures for a participant's own results and for the facilitator's group view.

Pure builders: numbers in, ``plotly.graph_objects.Figure`` out. Every colour that carries
data is from the Okabe-Ito palette (readable with the common colour-vision deficiencies;
greys only for guides and notes), every text comes
from ``content/charts.yaml`` in the wanted language, and every text that came from data
(instrument labels, item wording, table keys) is HTML-escaped, because Plotly renders a
subset of HTML in labels.

Projector use: ``projector_layout`` sets fonts of at least 16 px and a plain white
background. The Plotly logo and the mode bar are switched off at display time, not in
the figure: show a figure with ``fig.show(config=CONFIG)`` (or pass ``config=CONFIG`` to
``plotly.io.to_html``).

Group charts take figures that are already suppressed (``toolkit.core.privacy``: a
``suppress_counts`` frame with ``count``, ``shown``, ``suppressed`` and ``note``, or its
``Distribution``, ``ChangeSummary`` and ``SmallGroup`` results). A hidden cell is drawn as
an empty outlined bar marked "fewer than k" (or "hidden", when privacy hid it to protect
another cell), never with a number; no chart adds totals that would let a hidden cell be
worked out; a group smaller than k shows only its size.

Longer than 400 lines on purpose: one visual language (palette, layout, escaping, notes)
shared by every chart; the dashboard's own figures are in ``group_figures``.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from functools import cache

import pandas as pd
import plotly.graph_objects as go

from toolkit.content.datafile import read_yaml, validate
from toolkit.content.text import CONTENT_DIR, DEFAULT_LANGUAGE, number, pick, separators
from toolkit.instruments import Instrument, load_instrument
from toolkit.instruments.checks import possible_scores
from toolkit.instruments.model import Id, Scale, Strict, Text

#: Okabe & Ito (2008), "Color Universal Design": eight colours distinguishable with the common
#: colour-vision deficiencies.
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
COLORWAY = [PALETTE[c] for c in ("blue", "orange", "bluish_green", "reddish_purple", "sky_blue", "vermillion",
                                 "yellow", "black")]
#: Bands in their order in the instrument file. All light enough for black labels; no red,
#: so that no band reads as an alarm.
BAND_COLOURS = [PALETTE[c] for c in ("sky_blue", "bluish_green", "yellow", "orange", "reddish_purple")]
#: For chart furniture that carries no data (guides, the range of an unbanded scale).
NEUTRAL = "#BBBBBB"
GUIDE = "#777777"  # dashed guide lines
NOTE_GREY = "#333333"  # notes and region texts: softer than black, still high contrast
FONT_SIZE = 18
SMALL_FONT_SIZE = 16  # notes and region texts: still readable from the back of a room
#: Pass to ``fig.show(config=CONFIG)``: no Plotly logo, no mode bar, figure follows its container.
CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}


def projector_layout(fig: go.Figure, title: str = "", *, height: int | None = None,
                     language: str = DEFAULT_LANGUAGE) -> go.Figure:
    """Large type, white background, Okabe-Ito colours, title on the left, the language's decimal mark
    on axes and hover values (0,5 in Spanish); returns ``fig``."""
    fig.update_layout(
        template="simple_white",
        separators=separators(language),
        font=dict(size=FONT_SIZE, color=PALETTE["black"]),
        title=dict(text=title, font=dict(size=24), x=0, xanchor="left"),
        colorway=COLORWAY,
        hoverlabel=dict(font_size=FONT_SIZE),
        legend=dict(font=dict(size=SMALL_FONT_SIZE)),
        margin=dict(l=60, r=40, t=90, b=60),
        paper_bgcolor="white",
        plot_bgcolor="white",
        uniformtext=dict(minsize=SMALL_FONT_SIZE, mode="hide"),  # a label too big for its bar is hidden, not shrunk
    )
    if height:
        fig.update_layout(height=height)
    return fig


# -- one participant ---------------------------------------------------------------------------
# Laid out for a 360 px phone as well as a laptop: titles wrap, legends sit below the plot, texts
# inside the plot are short, and the longer notes are text beneath the chart
# (``personal_chart_notes``), where they wrap with the screen instead of running off it.

PERSONAL_TITLE_SIZE = 20
TITLE_WRAP = 26  # characters per title line: about 300 px at 20 px type
AXIS_WRAP = 30


def score_against_bands(instrument: Instrument | str, scale_id: str, score: float | None,
                        language: str = DEFAULT_LANGUAGE) -> go.Figure:
    """One score as a marker over a bar of the scale's whole range, the bands as labelled segments.

    A band's name shows inside its segment when it fits and is always in the legend below.
    """
    inst = load_instrument(instrument)
    scale = _scale(inst, scale_id)
    low, high = _score_range(inst, scale)
    value = _number(score)
    if value is not None and not low <= value <= high:
        raise ValueError(f"score {value:g} is outside the range of {inst.id} {scale_id} ({low:g} to {high:g})")
    fig = go.Figure()
    edges = _band_edges(scale, low, high)
    for b_i, (band, (start, end)) in enumerate(zip(scale.bands, edges, strict=False)):
        label = _esc(pick(band.label, language))
        hover = _t("band_range", language, label=label, low=_fmt(scale, band.min, language), high=_fmt(scale, band.max, language))
        fig.add_trace(go.Bar(
            x=[end - start], base=[start], y=[0], orientation="h", width=0.8, name=label,
            marker=dict(color=BAND_COLOURS[b_i % len(BAND_COLOURS)], line=dict(color="white", width=2)),
            text=[label], textposition="inside", insidetextanchor="middle",
            textfont=dict(color=PALETTE["black"]), hovertemplate=f"{hover}<extra></extra>"))
    if not scale.bands:
        fig.add_trace(go.Bar(x=[high - low], base=[low], y=[0], orientation="h", width=0.8, showlegend=False,
                             marker=dict(color=NEUTRAL), hoverinfo="skip"))
    if value is not None:
        shown = _t("your_score", language, score=_fmt(scale, value, language))
        where = (value - low) / (high - low)  # the label leans inwards near either end, so it is never cut
        position = "top right" if where < 0.25 else "top left" if where > 0.75 else "top center"
        fig.add_trace(go.Scatter(  # a pointer just above the bar, so it never covers a band's label
            x=[value], y=[0.58], mode="markers+text", name=_t("your_score_name", language), showlegend=False,
            text=[f"<b>{shown}</b>"], textposition=position, textfont=dict(size=FONT_SIZE), cliponaxis=False,
            marker=dict(symbol="triangle-down", size=24, color=PALETTE["black"], line=dict(color="white", width=2)),
            hovertemplate=f"{shown}<extra></extra>"))
    _personal_layout(fig, _esc(pick(scale.label, language)), height=400, language=language)
    fig.update_layout(barmode="overlay", bargap=0, showlegend=bool(scale.bands),
                      legend=dict(orientation="h", yanchor="top", y=-0.3, x=0, traceorder="normal"))
    fig.update_xaxes(range=[low - (high - low) * 0.02, high + (high - low) * 0.02], showgrid=False, ticks="outside")
    fig.update_yaxes(visible=False, range=[-0.5, 1.3], fixedrange=True)
    return fig


def attachment_plane(avoidance: float | None, anxiety: float | None, language: str = DEFAULT_LANGUAGE) -> go.Figure:
    """A position on the ECR-RS avoidance (x, 1-7) by anxiety (y, 1-7) plane, never a type.

    The plane has directions, not regions: the axis titles say which way is more of what,
    and no text sits in a quadrant, because quadrants split at the midpoint read as the four
    attachment types. The lines at 4 are the middle of each 1-7 scale, a visual guide and
    not a norm (the instrument has no cut-offs); the notes beneath the chart say so.
    """
    x, y = _number(avoidance), _number(anxiety)
    for name, v in (("avoidance", x), ("anxiety", y)):
        if v is not None and not 1 <= v <= 7:
            raise ValueError(f"{name} {v:g} is outside the ECR-RS range 1 to 7")
    fig = go.Figure()
    line = dict(color=GUIDE, width=2, dash="dash")
    fig.add_shape(type="line", x0=4, x1=4, y0=1, y1=7, line=line, layer="below")
    fig.add_shape(type="line", x0=1, x1=7, y0=4, y1=4, line=line, layer="below")
    if x is not None and y is not None:
        hover = _t("plane_hover", language, x=number(x, language, decimals=2), y=number(y, language, decimals=2))
        fig.add_trace(go.Scatter(  # named in the legend, so no text near the point can cover it
            x=[x], y=[y], mode="markers", name=_t("plane_point_name", language), showlegend=True,
            marker=dict(symbol="circle", size=22, color=PALETTE["blue"], line=dict(color="white", width=3)),
            hovertemplate=f"{hover}<extra></extra>"))
    else:
        fig.add_annotation(x=4, y=4, showarrow=False, text=_wrap(_t("plane_no_position", language), 22),
                           bgcolor="white", font=dict(size=SMALL_FONT_SIZE))
    _personal_layout(fig, _t("plane_title", language), height=500, language=language)
    axis = dict(range=[0.7, 7.3], dtick=1, showgrid=False, zeroline=False, ticks="outside", fixedrange=True,
                constrain="domain", title_font=dict(size=SMALL_FONT_SIZE))
    fig.update_xaxes(title=_wrap(_t("plane_x", language), AXIS_WRAP), **axis)
    fig.update_yaxes(title=_wrap(_t("plane_y", language), AXIS_WRAP), scaleanchor="x", scaleratio=1, **axis)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", yanchor="top", y=-0.3, x=0.5, xanchor="center"))
    return fig


def personal_chart(instrument: Instrument | str, scores: dict, language: str = DEFAULT_LANGUAGE) -> go.Figure | None:
    """The chart that fits an instrument's results, for the participant's own feedback (or None).

    Two unbanded scales named ``avoidance`` and ``anxiety`` (the ECR-RS) give the attachment
    plane; otherwise the first banded scale is shown against its bands.
    """
    inst = load_instrument(instrument)
    kind, scale = _personal_kind(inst)
    if kind == "plane":
        return attachment_plane(scores.get("avoidance"), scores.get("anxiety"), language)
    if kind == "bands":
        return score_against_bands(inst, scale.id, scores.get(scale.id), language)
    return None


def personal_chart_notes(instrument: Instrument | str, scores: dict, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """The notes that go beneath ``personal_chart``'s figure, as plain text (the caller escapes them)."""
    inst = load_instrument(instrument)
    kind, scale = _personal_kind(inst)
    if kind == "plane":
        return [chart_text(key, language) for key in ("plane_directions", "plane_midline_note", "plane_change_note")]
    if kind == "bands":
        return score_notes(scale, scores.get(scale.id), language)
    return []


def score_notes(scale: Scale, score: float | None, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """The notes beneath a score-against-bands chart: why there is no score, and what the bands are."""
    notes = [chart_text("snapshot_note" if scale.bands else "no_bands", language)]
    return ([chart_text("no_score", language)] if _number(score) is None else []) + notes


# -- the group, for the facilitator ------------------------------------------------------------

def band_distribution_chart(table, instrument: Instrument | str, scale_id: str, k: int | None = None,
                            language: str = DEFAULT_LANGUAGE) -> go.Figure:
    """Participants per band from already-suppressed counts.

    ``table`` is ``toolkit.core.privacy.suppress_counts``'s frame (index: band ids, or a ``band``
    column; columns ``count``, ``shown``, ``suppressed`` and optionally ``note``), or
    ``privacy.band_distribution``'s result (a ``Distribution``, or a ``SmallGroup``).
    A cell noted ``hidden`` (hidden to protect another cell, so at least k) is marked
    "hidden"; any other suppressed cell "fewer than k".
    """
    small = _small_group(table, k, language)
    if small is not None:
        return small
    k = int(k if k is not None else table.k)
    table = getattr(table, "table", table)
    inst = load_instrument(instrument)
    scale = _scale(inst, scale_id)
    table = table.set_index("band") if "band" in table.columns else table
    bands = {b.id: (b_i, b) for b_i, b in enumerate(scale.bands)}
    order = [b.id for b in scale.bands if b.id in table.index] + [i for i in table.index if i not in bands]
    shown, colours, hidden = [], [], {"fewer_than": [], "hidden_cell": []}
    for key in order:
        row = table.loc[key]
        label = _label_of(key, bands, language)
        if bool(row.get("suppressed", False)) or pd.isna(row["count"]):
            hidden["hidden_cell" if row.get("note") == "hidden" else "fewer_than"].append(label)
            continue
        shown_text = row.get("shown")
        text = _esc(shown_text) if isinstance(shown_text, str) and shown_text else str(int(row["count"]))
        shown.append((label, int(row["count"]), text))
        colours.append(BAND_COLOURS[bands[key][0] % len(BAND_COLOURS)] if key in bands else NEUTRAL)
    fig = go.Figure()
    if shown:
        labels, counts, texts = zip(*shown, strict=False)
        fig.add_trace(go.Bar(
            x=list(labels), y=list(counts), text=list(texts), textposition="outside", marker_color=colours,
            hovertext=[_t("count_hover", language, label=lb, count=t) for lb, _, t in shown],
            hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    for kind, labels in hidden.items():
        if labels:  # an empty outlined box of height k: it marks "not shown", it is not a count
            fig.add_trace(go.Bar(
                x=labels, y=[k] * len(labels), text=[_t(kind, language, k=k)] * len(labels),
                textposition="inside", insidetextanchor="middle", textfont=dict(color=PALETTE["black"]),
                marker=dict(color="rgba(0,0,0,0)", line=dict(color=PALETTE["black"], width=2),
                            pattern=dict(shape="/", fgcolor=NEUTRAL, bgcolor="white", solidity=0.1)),
                hovertext=[_t(kind + "_hover", language, k=k)] * len(labels),
                hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    projector_layout(fig, _t("band_title", language, scale=_esc(pick(scale.label, language))), height=520,
                     language=language)
    fig.update_xaxes(title=_t("band_axis", language), categoryorder="array",
                     categoryarray=[_label_of(key, bands, language) for key in order])
    fig.update_yaxes(title=_t("count_axis", language), rangemode="tozero", tickformat="d")
    fig.update_layout(margin=dict(b=150))
    _add_notes(fig, [_t("group_note", language, k=k)], y=-0.32)
    return fig


def item_means_chart(means_df, instrument: Instrument | str, language: str = DEFAULT_LANGUAGE) -> go.Figure:
    """Mean raw answer per item (index: item ids, or an ``item`` column; column ``mean``).

    Takes ``toolkit.core.privacy.item_means``'s result (or its ``SmallGroup``). Optional columns:
    ``suppressed`` (hide that item's mean) and ``label`` (text to show instead of the item's
    wording; escaped like everything else).
    """
    small = _small_group(means_df, None, language)
    if small is not None:
        return small
    inst = load_instrument(instrument)
    df = means_df.set_index("item") if "item" in means_df.columns else means_df
    items = [i for i in inst.items if i.id in df.index]
    ranges = [inst.response_scale_of(i) for i in items if inst.response_scale_of(i) is not None]
    low = min((r.min for r in ranges), default=0)
    high = max((r.max for r in ranges), default=1)
    labels, means, texts = [], [], []
    for item in items:
        row = df.loc[item.id]
        custom = row.get("label") if "label" in df.columns else None
        text = custom if isinstance(custom, str) and custom else pick(item.text, language)
        labels.append(_wrap(_esc(text), 48))
        hidden = bool(row.get("suppressed", False)) or pd.isna(row["mean"])
        means.append(None if hidden else float(row["mean"]))
        texts.append(_t("item_hidden", language) if hidden else number(float(row["mean"]), language, decimals=1))
    fig = go.Figure(go.Bar(
        x=[low if m is None else m for m in means], y=labels, orientation="h", text=texts,
        textposition="outside", marker_color=PALETTE["blue"], showlegend=False,
        hovertext=[f"{lb}: {t}" for lb, t in zip(labels, texts, strict=False)], hovertemplate="%{hovertext}<extra></extra>"))
    projector_layout(fig, _t("item_title", language), height=160 + 80 * max(len(items), 1), language=language)
    fig.update_xaxes(title=_t("item_axis", language, low=number(low, language), high=number(high, language)),
                     range=[low, high + (high - low) * 0.25])
    fig.update_yaxes(autorange="reversed", ticks="")
    return fig


def change_chart(change_summary, instrument: Instrument | str | None = None, scale_id: str | None = None,
                 k: int = 5, language: str = DEFAULT_LANGUAGE) -> go.Figure:
    """The group's mean change with its confidence interval.

    ``change_summary`` is ``toolkit.core.change.mean_change``'s dict (n, mean, ci_low, ci_high),
    or ``toolkit.core.privacy.change_summary``'s ``ChangeSummary`` / ``SmallGroup``. Fewer than
    ``k`` pairs show only their number.
    """
    small = _small_group(change_summary, k, language)
    if small is not None:
        return small
    summary = change_summary if isinstance(change_summary, dict) else vars(change_summary)
    n = int(summary.get("n", 0))
    if n < k:
        return small_group_figure(n, k, language)
    scale = _scale(load_instrument(instrument), scale_id) if instrument is not None and scale_id else None
    scale_label = _esc(pick(scale.label, language)) if scale else _t("change_default_label", language)
    mean, lo, hi = (_number(summary.get(key)) for key in ("mean", "ci_low", "ci_high"))
    fig = go.Figure()
    notes = [_t("change_note", language)]
    if scale is not None and scale.higher_is_better is not None:
        notes.append(_t("higher_is_better" if scale.higher_is_better else "lower_is_better", language))
    if mean is None:
        fig.add_annotation(x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                           text=_wrap(_t("change_hidden" if summary.get("mean_suppressed") else "no_change", language), 60),
                           font=dict(size=FONT_SIZE))
    else:
        lo = mean if lo is None else lo
        hi = mean if hi is None else hi
        text = _t("change_label", language, mean=number(mean, language, decimals=2, sign=True),
                  low=number(lo, language, decimals=2, sign=True), high=number(hi, language, decimals=2, sign=True))
        fig.add_trace(go.Scatter(
            x=[scale_label], y=[mean], mode="markers+text", text=[text], textposition="middle right",
            marker=dict(size=22, color=PALETTE["blue"]), showlegend=False,
            error_y=dict(type="data", symmetric=False, array=[hi - mean], arrayminus=[mean - lo],
                         thickness=3, width=16, color=PALETTE["blue"]),
            hovertemplate=f"{text}<extra></extra>"))
        fig.add_hline(y=0, line=dict(color=GUIDE, width=2, dash="dash"))
        bottom, top = min(lo, 0.0), max(hi, 0.0)
        pad = (top - bottom) * 0.15 or 1.0
        fig.update_yaxes(range=[bottom - pad, top + pad])
    projector_layout(fig, _t("change_title", language, scale=scale_label), height=520, language=language)
    fig.update_yaxes(title=_t("change_axis", language), zeroline=False)
    fig.update_layout(margin=dict(b=140))
    _add_notes(fig, notes, y=-0.18)
    return fig


def small_group_figure(n: int, k: int, language: str = DEFAULT_LANGUAGE) -> go.Figure:
    """Only the number of participants, when it is below ``k``: no other figure is shown."""
    fig = go.Figure()
    fig.add_annotation(x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       text=_t("small_group", language, n=int(n), k=int(k)), font=dict(size=22))
    projector_layout(fig, "", height=300, language=language)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


# -- helpers -----------------------------------------------------------------------------------

def _small_group(result, k: int | None, language: str) -> go.Figure | None:
    """The small-group figure when ``result`` is ``toolkit.core.privacy``'s SmallGroup (only n may be shown)."""
    if isinstance(result, (pd.DataFrame, dict)) or getattr(result, "suppressed", False) is not True:
        return None
    return small_group_figure(result.n, result.k if k is None else max(k, result.k), language)


class _ChartTexts(Strict):
    texts: dict[Id, Text]


@cache
def _texts() -> dict:
    return validate(read_yaml(CONTENT_DIR / "charts.yaml"), _ChartTexts).texts


def chart_text(key: str, language: str = DEFAULT_LANGUAGE, *, escape: bool = False, **values) -> str:
    """A text of ``content/charts.yaml`` in ``language``: the one lookup of chart texts, through ``pick``.

    With ``escape`` the text itself is escaped for Plotly before ``values`` (escaped by the
    caller) are filled in; without, it is plain text, e.g. for a table cell escaped later.
    """
    text = pick(_texts()[key], language, what=f"charts.{key}")
    text = _esc(text) if escape else text
    return text.format(**values) if values else text


def _t(key: str, language: str, **values) -> str:
    """``chart_text`` for a Plotly label (escaped)."""
    return chart_text(key, language, escape=True, **values)


def _esc(text) -> str:
    """Escape for Plotly's HTML-like labels. Quotes are left alone: Plotly does not decode &quot;."""
    return html.escape(str(text), quote=False)


def _wrap(escaped: str, width: int) -> str:
    return "<br>".join(textwrap.wrap(escaped, width, break_on_hyphens=False)) or escaped


def _add_notes(fig: go.Figure, notes: list[str], y: float) -> None:
    fig.add_annotation(x=0, y=y, xref="paper", yref="paper", xanchor="left", yanchor="top", showarrow=False,
                       align="left", text="<br>".join(_wrap(n, 90) for n in notes),
                       font=dict(size=SMALL_FONT_SIZE, color=NOTE_GREY))


def _personal_layout(fig: go.Figure, title: str, *, height: int, language: str) -> None:
    """The projector look with a wrapped title and the narrow margins a phone needs."""
    projector_layout(fig, _wrap(title, TITLE_WRAP), height=height, language=language)
    fig.update_layout(title=dict(font=dict(size=PERSONAL_TITLE_SIZE), yref="paper", y=1, yanchor="bottom",
                                 automargin=True, pad=dict(b=16)),  # a wrapped title pushes the plot down
                      margin=dict(l=16, r=16, t=16, b=24))


def _personal_kind(inst: Instrument) -> tuple[str | None, Scale | None]:
    """("plane", None) for the ECR-RS's two unbanded dimensions, ("bands", scale) for the first banded scale."""
    scales = {s.id: s for s in inst.scales}
    if {"avoidance", "anxiety"} <= set(scales) and not (scales["avoidance"].bands or scales["anxiety"].bands):
        return "plane", None
    banded = next((s for s in inst.scales if s.bands), None)
    return ("bands", banded) if banded is not None else (None, None)


def _scale(inst: Instrument, scale_id: str) -> Scale:
    for scale in inst.scales:
        if scale.id == scale_id:
            return scale
    raise KeyError(f"{inst.id} has no scale {scale_id!r} (its scales are {', '.join(s.id for s in inst.scales)})")


def _score_range(inst: Instrument, scale: Scale) -> tuple[float, float]:
    scores = possible_scores(inst, scale)
    if not scores:
        raise ValueError(f"the range of {inst.id} {scale.id} cannot be worked out from its items")
    return scores[0], scores[-1]


def _band_edges(scale: Scale, low: float, high: float) -> list[tuple[float, float]]:
    """Segments that touch: a gap between bands (2 | 3 on a whole-number scale) is split in the middle."""
    bands = scale.bands
    cuts = [(a.max + b.min) / 2 for a, b in zip(bands, bands[1:], strict=False)]
    starts = [low] + cuts
    ends = cuts + [high]
    return list(zip(starts, ends, strict=False))


#: The key of a score range, as ``group.score_ranges`` writes it: "1.00–1.83", "0–5".
RANGE_KEY = re.compile(r"(\d+(?:\.\d+)?)–(\d+(?:\.\d+)?)")


def _label_of(key, bands: dict, language: str) -> str:
    if key in bands:
        return _esc(pick(bands[key][1].label, language))
    if key in ("", None):
        return _t("not_scored", language)
    found = RANGE_KEY.fullmatch(str(key))
    if found:  # a score range of an unbanded scale (group.score_ranges): its numbers in the language
        return "–".join(number(float(x), language, decimals=len(x.partition(".")[2]) or None) for x in found.groups())
    return _esc(key)


def _number(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def _fmt(scale: Scale, x: float, language: str) -> str:
    return number(x, language, decimals=2 if scale.method == "mean" else None)
