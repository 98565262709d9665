"""Show a participant their own results: scores in plain words, a chart, and private support."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import ipywidgets as w

from ..i18n import pick, ui

if TYPE_CHECKING:
    from .form import QuestionnaireForm


def render_results(form: QuestionnaireForm, result: dict) -> list[w.Widget]:
    lang = form.language
    inst = form.instrument
    parts: list[w.Widget] = []
    lines = [f"<h3>{html.escape(ui('results_heading', lang))}</h3>",
             f"<p><i>{html.escape(ui('not_diagnosis', lang))}</i></p>"]
    for fb in result["feedback"]:
        head = ui("score_line", lang, label=fb.label, score=fb.shown if fb.score is not None else "–")
        body = []
        if fb.band_label:
            body.append(f"<b>{html.escape(fb.band_label)}</b>")
        if fb.text:
            body.append(html.escape(fb.text))
        if fb.score is None:
            body.append(html.escape(fb.shown))
        lines.append(f"<div class='attune-feedback'><p><b>{html.escape(head)}</b></p><p>{' '.join(body)}</p></div>")
    parts.append(w.HTML("".join(lines)))

    if result.get("safety"):
        parts.append(_safety_panel(form, result))

    figure = result.get("figure")
    if figure is not None:
        out = w.Output(layout=w.Layout(width="100%"))
        with out:
            from IPython.display import display

            display(figure)
        parts.append(out)

    attribution = (f"<details><summary>{html.escape(ui('attribution_heading', lang))}</summary>"
                   f"<p class='attune-note'>{html.escape(pick(inst.licence.attribution, lang))}</p>"
                   f"<p class='attune-note'>{html.escape(pick(inst.licence.terms, lang))}</p></details>")
    parts.append(w.HTML(attribution))
    return parts


def _safety_panel(form: QuestionnaireForm, result: dict) -> w.Widget:
    """Shown to this participant alone: a calm message, support resources, and a check-in offer."""
    lang = form.language
    message = result["safety"]["message"]
    crisis = result["safety"]["crisis"]
    rows = [f"<h3>{html.escape(message['heading'])}</h3>", f"<p>{html.escape(message['body'])}</p>",
            f"<h4>{html.escape(ui('resources_heading', lang))}</h4><ul>"]
    for res in crisis.resources:
        rows.append(f"<li>{_resource_html(res, lang)}</li>")
    rows.append("</ul>")
    parts: list[w.Widget] = [w.HTML("".join(rows))]
    if result.get("checkin_recorded"):
        parts.append(w.HTML(f"<p>{html.escape(ui('checkin_consented', lang))}</p>"))
    elif form.saving:
        status = w.HTML()
        button = w.Button(description=ui("checkin_request_button", lang))

        def ask(_):
            if form.request_checkin():
                status.value = f"<p role='status'>{html.escape(ui('checkin_requested', lang))}</p>"
                button.layout.display = "none"

        button.on_click(ask)
        parts += [button, status]
    box = w.VBox(parts)
    box.add_class("attune-private")
    return box


def _resource_html(res, lang: str) -> str:
    """One crisis resource as escaped HTML; the data file's fields may be language maps or text."""
    def text(value):
        return pick(value, lang) if isinstance(value, dict) else (value or "")

    bits = [f"<b>{html.escape(text(getattr(res, 'name', '')))}</b>"]
    for field in ("phone", "text", "website", "hours", "notes", "description"):
        value = text(getattr(res, field, None))
        if value:
            bits.append(html.escape(value))
    return " · ".join(bits)
