"""Show a participant their own results: scores in plain words, a chart, and private support.

Takes a frozen ``PersonalReport`` and what the page knows (language, code, whether a
check-in can be asked for), never the form itself, so the form imports this and not the
other way round.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import ipywidgets as w

from toolkit.content.text import pick, ui
from toolkit.core.feedback import PersonalReport, SafetyNotice
from toolkit.instruments import Instrument
from toolkit.render.feedback import feedback_html


def render_results(report: PersonalReport, instrument: Instrument, *, language: str, code: str | None,
                   checkin_recorded: bool = False, on_checkin: Callable[[], bool] | None = None) -> list[w.Widget]:
    """The results panel's widgets. ``on_checkin()`` records a check-in the participant asks for
    (None when their answers are not saved); ``checkin_recorded`` says one was recorded already."""
    lang = language
    parts: list[w.Widget] = []
    lines = [f"<h3>{html.escape(ui('results_heading', lang))}</h3>",
             f"<p><i>{html.escape(ui('not_diagnosis', lang))}</i></p>"]
    lines += [feedback_html(fb, lang, "attune-feedback") for fb in report.feedback]
    parts.append(w.HTML("".join(lines)))

    if report.safety is not None:
        parts.append(_safety_panel(report.safety, lang, code, checkin_recorded, on_checkin))

    if report.figure is not None:
        parts.append(figure_output(report.figure))

    licence = instrument.licence
    attribution = (f"<details><summary>{html.escape(ui('attribution_heading', lang))}</summary>"
                   f"<p class='attune-note'>{html.escape(pick(licence.attribution, lang))}</p>"
                   f"<p class='attune-note'>{html.escape(pick(licence.terms, lang))}</p></details>")
    parts.append(w.HTML(attribution))
    return parts


def _safety_panel(notice: SafetyNotice, lang: str, code: str | None, checkin_recorded: bool,
                  on_checkin: Callable[[], bool] | None) -> w.Widget:
    """Shown to this participant alone: a calm message, support contacts, and a check-in offer."""
    message = notice.message
    esc = html.escape
    rows = [f"<h3>{esc(message['heading'])}</h3>", f"<p>{esc(message['privacy'])}</p>",
            f"<p>{esc(message['body'])}</p>"]
    rows += [f"<p><b>{esc(note)}</b></p>" for note in message.get("notes", [])]
    rows.append(f"<h4>{esc(message['resources_heading'] or ui('resources_heading', lang))}</h4>")
    for heading, members in notice.crisis.by_kind():
        rows.append(f"<p><b>{esc(heading)}</b></p><ul>")
        rows += [f"<li>{_resource_html(r)}</li>" for r in members]
        rows.append("</ul>")
    rows.append(f"<p>{esc(message['urgent'])}</p>")
    rows.append(f"<p>{esc(message['offer'])}</p>")
    parts: list[w.Widget] = [w.HTML("".join(rows))]
    if checkin_recorded:
        parts.append(w.HTML(f"<p role='status'>{esc(ui('checkin_consented', lang, code=code))}</p>"))
    elif on_checkin is not None:
        status = w.HTML()
        button = w.Button(description=ui("checkin_request_button", lang))

        def ask(_):
            if on_checkin():
                status.value = f"<p role='status'>{esc(ui('checkin_requested', lang, code=code))}</p>"
                button.layout.display = "none"

        button.on_click(ask)
        parts += [button, status]
    box = w.VBox(parts)
    box.add_class("attune-private")
    return box


def _resource_html(res) -> str:
    """One support contact as escaped HTML (texts are already in the participant's language)."""
    esc = html.escape
    bits = [f"<b>{esc(res.name)}</b>"]
    if res.phone:
        dialable = re.fullmatch(r"\+?[\d ]+", res.phone)
        bits.append(f"<a href='tel:{res.phone.replace(' ', '')}'>{esc(res.phone)}</a>" if dialable else esc(res.phone))
    if res.text_line:
        bits.append(esc(res.text_line))
    if res.email:
        bits.append(esc(res.email))
    if res.website:
        bits.append(esc(res.website))
    if res.hours:
        bits.append(esc(res.hours))
    if res.notes:
        bits.append(esc(res.notes))
    return " · ".join(bits)


def figure_output(figure) -> w.Output:
    """An Output widget holding the figure as plotly's own mime bundle.

    Rendered by the plotly extension in JupyterLab and Voila alike; building the bundle here
    (rather than through IPython's display machinery) works with or without a kernel and
    does not pull in plotly's notebook renderers.
    """
    import json

    from toolkit.core.charts import CONFIG

    spec = json.loads(figure.to_json())
    bundle = {"application/vnd.plotly.v1+json": {"data": spec.get("data", []), "layout": spec.get("layout", {}),
                                                 "config": CONFIG},
              "text/plain": "A chart of your results"}
    out = w.Output(layout=w.Layout(width="100%"))
    out.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
    return out
