"""Show a participant their own results: scores in plain words, a chart, and private support.

Takes a frozen ``PersonalReport`` and what the page knows (language, code, whether a
check-in can be asked for), never the form itself, so the form imports this and not the
other way round.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from toolkit.content.text import pick, ui
from toolkit.core.feedback import PersonalReport, SafetyNotice
from toolkit.instruments import Instrument
from toolkit.render.contacts import contact_cards
from toolkit.render.feedback import feedback_html
from toolkit.widgets.join import REACH, page_join


def render_results(report: PersonalReport, instrument: Instrument, *, language: str, code: str | None,
                   checkin_recorded: bool = False, on_checkin: Callable[[], bool] | None = None) -> list[w.Widget]:
    """The results panel's widgets. ``on_checkin()`` records a check-in the participant asks for
    (None when their answers are not saved); ``checkin_recorded`` says one was recorded already.

    When a safety rule fired, the private support block comes right after the heading, before
    the scores: it is what matters most, and on a phone the scores and chart would otherwise
    push it below the fold.
    """
    lang = language
    head = (f"<h3>{html.escape(ui('results_heading', lang))}</h3>"
            f"<p><i>{html.escape(ui('not_diagnosis', lang))}</i></p>")
    scores = "".join(feedback_html(fb, lang, "attune-feedback") for fb in report.feedback)
    if report.safety is None:
        parts: list[w.Widget] = [w.HTML(head + scores)]
    else:
        parts = [w.HTML(head), _safety_panel(report.safety, lang, code, checkin_recorded, on_checkin), w.HTML(scores)]

    if report.figure is not None:
        from toolkit.core.charts import personal_chart_notes  # plotly is loaded only when there is a chart

        parts.append(figure_output(report.figure))
        notes = personal_chart_notes(instrument, dict(report.scores), lang)
        parts.append(w.HTML("".join(f"<p class='attune-note'>{html.escape(n)}</p>" for n in notes)))

    licence = instrument.licence
    attribution = (f"<details><summary>{html.escape(ui('attribution_heading', lang))}</summary>"
                   f"<p class='attune-note'>{html.escape(pick(licence.attribution, lang))}</p>"
                   f"<p class='attune-note'>{html.escape(pick(licence.terms, lang))}</p></details>")
    parts.append(w.HTML(attribution))
    return parts


def _safety_panel(notice: SafetyNotice, lang: str, code: str | None, checkin_recorded: bool,
                  on_checkin: Callable[[], bool] | None) -> w.Widget:
    """Shown to this participant alone: a calm message, support contacts, and a check-in offer.

    The texts speak of the contacts and the emergency number "below", so they come before
    the contact cards; the offer of a check-in follows them, next to its button.
    """
    message = notice.message
    esc = html.escape
    rows = [f"<h3>{esc(message['heading'])}</h3>", f"<p>{esc(message['privacy'])}</p>",
            f"<p>{esc(message['body'])}</p>"]
    rows += [f"<p><b>{esc(note)}</b></p>" for note in message.get("notes", [])]
    rows.append(f"<p>{esc(message['urgent'])}</p>")
    rows.append(f"<h4>{esc(message['resources_heading'] or ui('resources_heading', lang))}</h4>")
    rows.append(contact_cards(notice.crisis, lang, heading_level=5))
    rows.append(f"<p>{esc(message['offer'])}</p>")
    parts: list[w.Widget] = [w.HTML("".join(rows))]
    reach = _reach_choice(lang, code)
    if checkin_recorded:
        parts.append(w.HTML(f"<p role='status'>{esc(ui('checkin_consented', lang, code=code))}</p>"))
        if reach is not None:
            parts.append(reach)
    elif on_checkin is not None:
        status = w.HTML()
        button = w.Button(description=ui("checkin_request_button", lang))
        if reach is not None:
            reach.layout.display = "none"

        def ask(_):
            if on_checkin():
                status.value = f"<p role='status'>{esc(ui('checkin_requested', lang, code=code))}</p>"
                button.layout.display = "none"
                if reach is not None:
                    reach.layout.display = "flex"

        button.on_click(ask)
        parts += [button, status] + ([reach] if reach is not None else [])
    box = w.VBox(parts)
    box.add_class("attune-private")
    return box


def _reach_choice(lang: str, code: str | None) -> w.Widget | None:
    """How the facilitator may reach this participant for the check-in, saved through their own join form.

    None when the page has no join form that saved under ``code`` (nothing could be kept).
    """
    join = page_join(code)
    if join is None:
        return None
    choice = w.RadioButtons(options=[(ui(f"reach_{r}", lang), r) for r in REACH], value=join.reach.value,
                            layout=w.Layout(width="auto"))
    status = w.HTML()

    def chosen(change) -> None:
        if join.choose_reach(change["new"]):
            status.value = f"<p role='status'>{html.escape(ui('reach_saved', lang))}</p>"

    choice.observe(chosen, names="value")
    box = w.VBox([w.HTML(f"<p>{html.escape(ui('reach_label', lang))}</p>"), choice, status])
    box.add_class("attune-reach")
    return box


def figure_output(figure) -> w.Output:
    """An Output widget holding the figure as plotly's own mime bundle, as tall as the figure.

    Rendered by the plotly extension in JupyterLab and Voila alike; building the bundle here
    (rather than through IPython's display machinery) works with or without a kernel and
    does not pull in plotly's notebook renderers.

    The height is set on the widget because plotly's ``responsive`` mode (``CONFIG``, so the
    chart follows a phone's rotation) makes the plot as tall as its container once the
    renderer calls ``Plots.resize``, which drops the figure's own height. An output area is
    as tall as its content, so 100 % of it was 0 px and the chart vanished a moment after it
    was drawn. With the figure's height here (and participant.css passing it down to the
    renderer) the container has a definite height for the plot to fill.
    """
    import json

    from toolkit.core.charts import CONFIG

    spec = json.loads(figure.to_json())
    bundle = {"application/vnd.plotly.v1+json": {"data": spec.get("data", []), "layout": spec.get("layout", {}),
                                                 "config": CONFIG},
              "text/plain": "A chart of your results"}
    height = figure.layout.height or 450
    out = w.Output(layout=w.Layout(width="100%", height=f"{height}px"))
    out.add_class("attune-chart")
    out.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
    return out
