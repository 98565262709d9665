"""The dashboard's projector figures, drawn from the protected views of ``toolkit.core.group`` (pure).

The charts themselves are ``toolkit.core.charts``'s (texts from ``content/charts.yaml``); the
dashboard's own titles and labels come from ``content/ui/dashboard.yaml`` through ``ui()``.
Every text is escaped for Plotly's HTML-like labels.
"""

from __future__ import annotations

import plotly.graph_objects as go

from toolkit.content.text import DEFAULT_LANGUAGE, pick, ui
from toolkit.core import charts
from toolkit.core.group import ChangeView, InstrumentView
from toolkit.core.privacy import SmallGroup
from toolkit.instruments import Instrument, load_instrument


def fewer_than_k_figure(k: int, language: str = DEFAULT_LANGUAGE, key: str = "dashboard_fewer_than_k_group",
                        title: str = "") -> go.Figure:
    """No figure, only "fewer than k": a subgroup's exact size is not shown either."""
    fig = go.Figure()
    fig.add_annotation(x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       text=charts._wrap(charts._esc(ui(key, language, k=int(k))), 60), font=dict(size=22))
    charts.projector_layout(fig, title, height=300, language=language)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _scale_label(inst: Instrument, scale_id: str, language: str) -> str:
    return charts._esc(pick(inst.scale(scale_id).label, language))


def _retitle(fig: go.Figure, inst: Instrument, scale_id: str, language: str, title_key: str, axis_key: str) -> go.Figure:
    """A count chart relabelled for what it counts (score ranges, reliable-change categories)."""
    title_text = ui(title_key, language, scale=pick(inst.scale(scale_id).label, language))
    fig.update_layout(title_text=charts._wrap(charts._esc(title_text), 60))
    fig.update_xaxes(title_text=charts._esc(ui(axis_key, language)))
    return fig


def instrument_figures(view: InstrumentView, language: str = DEFAULT_LANGUAGE) -> list[go.Figure]:
    """The projector figures of one form: each scale's distribution, then the item means."""
    inst = view.definition or load_instrument(view.instrument)
    title = charts._esc(pick(inst.title, language))
    if view.small:
        return [fewer_than_k_figure(view.k, language, title=title)]
    figures = []
    for sv in view.scales:
        if isinstance(sv.distribution, SmallGroup):
            figures.append(fewer_than_k_figure(view.k, language, title=_scale_label(inst, sv.scale_id, language)))
            continue
        fig = charts.band_distribution_chart(sv.distribution, inst, sv.scale_id, view.k, language)
        if sv.kind == "ranges":
            _retitle(fig, inst, sv.scale_id, language, "dashboard_range_title", "dashboard_range_axis")
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
        label = _scale_label(inst, view.scale_id, language)
        return [fewer_than_k_figure(summary.k, language, "dashboard_fewer_than_k_pairs", label)]
    figures = [charts.change_chart(summary, inst, view.scale_id, summary.k, language)]
    if summary.categories is not None:
        table = summary.categories.table.copy()
        table.index = [ui(f"dashboard_change_{c}", language) for c in table.index]
        fig = charts.band_distribution_chart(table, inst, view.scale_id, summary.k, language)
        figures.append(_retitle(fig, inst, view.scale_id, language, "dashboard_category_title", "dashboard_category_axis"))
    return figures
