"""The facilitator's dashboard widget: a thin shell over ``toolkit.core.group``.

``Dashboard(store, k=5, language="en")`` reads the store, asks the core for protected views
and shows them in six tabs: Attendance, Instruments, Before/after (group figures, fit for a
projector), and Couples, Check-ins, Data quality (private: shown only after the facilitator
switches on "Show private views", and never meant for a projector).

Refreshing: the Refresh button, and an auto-refresh toggle that starts a hidden
``ipywidgets.Play`` in the browser. Play ticks on the client; each tick changes its value,
which reaches the kernel and calls :meth:`Dashboard.refresh`. No thread or task is started
in the kernel, so nothing outlives it, and a closed browser tab simply stops the ticks.

Every text that came from data (codes, timepoints, rule ids, instrument and item wording) is
HTML-escaped here; figures come from ``toolkit.core.charts``, which escapes its own labels.

``open_dashboard`` is what the notebook calls: it finds the workshop's store (parameter, else
``$ATTUNE_STORE``, else the default) and, while that store is missing or empty, shows the
synthetic example cohort (``data/``) from an in-memory store, clearly marked, switching to the
real store as soon as someone has joined. It never creates or changes the workshop's store.
"""

from __future__ import annotations

import html
import json
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import ipywidgets as w
import pandas as pd

from toolkit.content.text import DEFAULT_LANGUAGE, pick
from toolkit.core import group as core
from toolkit.core.charts import CONFIG
from toolkit.core.privacy import DEFAULT_K, SmallGroup
from toolkit.errors import AttuneError
from toolkit.instruments import load_instrument
from toolkit.store.sqlite import ResponseStore
from toolkit.widgets.style import style_widget

esc = html.escape

#: Widget texts (language maps, English required; other languages fall back to English).
UI: dict[str, dict[str, str]] = {
    "title": {"en": "Facilitator dashboard", "es": "Panel de la persona facilitadora"},
    "refresh": {"en": "Refresh", "es": "Actualizar"},
    "auto": {"en": "Auto-refresh every {s} s", "es": "Actualizar cada {s} s"},
    "private": {"en": "Show private views", "es": "Mostrar vistas privadas"},
    "refreshed": {"en": "Updated {time}.", "es": "Actualizado a las {time}."},
    "example": {
        "en": "EXAMPLE DATA: a synthetic cohort, nobody real. The workshop's store is empty or missing; "
              "the dashboard switches to it as soon as someone joins.",
        "es": "DATOS DE EJEMPLO: un grupo sintético, nadie real. El almacén del taller está vacío o no existe; "
              "el panel pasa a él en cuanto alguien se una.",
    },
    "no_store": {
        "en": "No response store at {path} yet: it appears when the first participant joins.",
        "es": "Todavía no hay almacén de respuestas en {path}: aparece cuando se une la primera persona.",
    },
    "error": {"en": "Could not read the store: {error}", "es": "No se pudo leer el almacén: {error}"},
    "tab_attendance": {"en": "Attendance", "es": "Asistencia"},
    "tab_instruments": {"en": "Instruments", "es": "Cuestionarios"},
    "tab_change": {"en": "Before/after", "es": "Antes/después"},
    "tab_couples": {"en": "Couples (private)", "es": "Parejas (privado)"},
    "tab_checkins": {"en": "Check-ins (private)", "es": "Seguimientos (privado)"},
    "tab_quality": {"en": "Data quality (private)", "es": "Calidad de datos (privado)"},
    "private_hidden": {
        "en": "Private view: for your eyes only, never for the projector. Switch on \"Show private views\" to see it.",
        "es": "Vista privada: solo para ti, nunca para el proyector. Activa \"Mostrar vistas privadas\" para verla.",
    },
    "private_banner": {
        "en": "Private: for your eyes only. Do not show this on a projector or share it.",
        "es": "Privado: solo para ti. No lo muestres en el proyector ni lo compartas.",
    },
    "joined": {"en": "Joined: {n}", "es": "Se han unido: {n}"},
    "consented": {"en": "Consented to storing their answers: {n}", "es": "Aceptaron guardar sus respuestas: {n}"},
    "consent_note": {
        "en": "The store keeps nobody who refused storage, so everyone counted here consented.",
        "es": "El almacén no guarda a nadie que rechazara el almacenamiento: todas las personas contadas aceptaron.",
    },
    "small_group": {
        "en": "{n} people: fewer than {k}, so nothing else is shown.",
        "es": "{n} personas: menos de {k}, así que no se muestra nada más.",
    },
    "no_forms": {"en": "Nobody has answered a questionnaire yet.", "es": "Nadie ha respondido todavía ningún cuestionario."},
    "form": {"en": "Questionnaire", "es": "Cuestionario"},
    "timepoint": {"en": "When", "es": "Cuándo"},
    "legend": {
        "en": "\"fewer than {k}\": 0 to {m} people. \"hidden\": hidden so that a smaller count cannot be worked out "
              "from the others. Every questionnaire is optional.",
        "es": "\"menos de {k}\": de 0 a {m} personas. \"oculto\": se oculta para que no se pueda deducir una cifra "
              "menor a partir de las demás. Todos los cuestionarios son opcionales.",
    },
    "guarded": {
        "en": "Some average answers are hidden: together with the chart above they could reveal a hidden count.",
        "es": "Algunas respuestas medias se ocultan: junto con el gráfico podrían revelar una cifra oculta.",
    },
    "no_change": {
        "en": "No questionnaire has answers from both before and after yet.",
        "es": "Todavía ningún cuestionario tiene respuestas de antes y de después.",
    },
    "categories_guarded": {
        "en": "Reliable-change counts are not shown: with the average change they could reveal a hidden count.",
        "es": "No se muestran los recuentos de cambio fiable: con el cambio medio podrían revelar una cifra oculta.",
    },
    "couple": {"en": "Couple", "es": "Pareja"},
    "no_norms": {
        "en": "Reliable change is not shown: this questionnaire declares no reference values (an SD and a "
              "reliability with a source).",
        "es": "No se muestra el cambio fiable: este cuestionario no declara valores de referencia (una DE y una "
              "fiabilidad con su fuente).",
    },
    "no_couples": {
        "en": "No linked couples yet (both partners must consent and ask to be linked with each other).",
        "es": "Todavía no hay parejas vinculadas (ambas personas deben aceptar y pedir vincularse entre sí).",
    },
    "couples_intro": {
        "en": "For couples where both partners consented and asked to be linked. Meant to be discussed with the couple "
              "in private, as a starting point, never as a verdict; no one's scores are shown.",
        "es": "Para parejas en las que ambas personas aceptaron y pidieron vincularse. Para comentarlo con la pareja en "
              "privado, como punto de partida y nunca como veredicto; no se muestran puntuaciones.",
    },
    "couple_withheld": {
        "en": "No comparison is shown for this couple. Offer each partner individual time instead; do not raise "
              "this with the couple together.",
        "es": "No se muestra ninguna comparación para esta pareja. Ofrece a cada persona un tiempo individual; "
              "no lo plantees con la pareja junta.",
    },
    "couple_nothing": {"en": "No questionnaire answered by both yet.", "es": "Todavía no hay cuestionarios respondidos por ambos."},
    "strength": {"en": "Strengths (both positive)", "es": "Fortalezas (ambos en positivo)"},
    "growth": {"en": "Growth areas (different views, or both low)", "es": "Áreas de crecimiento (visiones distintas o ambos bajos)"},
    "similar": {"en": "Similar", "es": "Parecido"},
    "not_compared": {"en": "Not compared (not answered by both)", "es": "Sin comparar (no respondido por ambos)"},
    "differ": {"en": "different views", "es": "visiones distintas"},
    "both_low": {"en": "both on the less favourable side", "es": "ambos en el lado menos favorable"},
    "no_checkins": {
        "en": "No check-in requests. Only people whose answers called for support and who consented to a check-in "
              "appear here, by code.",
        "es": "No hay solicitudes de seguimiento. Solo aparecen, por código, quienes necesitaron apoyo y aceptaron "
              "un seguimiento.",
    },
    "checkins_intro": {
        "en": "Offer each person a quiet, private word (never in front of a partner or the group).",
        "es": "Ofrece a cada persona una conversación tranquila y privada (nunca delante de su pareja ni del grupo).",
    },
    "code": {"en": "Code", "es": "Código"},
    "level": {"en": "Level", "es": "Nivel"},
    "forms": {"en": "Questionnaires", "es": "Cuestionarios"},
    "rules": {"en": "Rules", "es": "Reglas"},
    "last": {"en": "Last flagged (UTC)", "es": "Última señal (UTC)"},
    "check_in": {"en": "check-in", "es": "seguimiento"},
    "info": {"en": "asked after information", "es": "pidió tras información"},
    "quality_intro": {
        "en": "Careless-responding hints, advisory only: nobody is excluded automatically, and a straight line of "
              "answers can be honest. At most, keep it in mind or ask gently.",
        "es": "Indicios de respuesta descuidada, solo orientativos: no se excluye a nadie automáticamente y una fila "
              "de respuestas iguales puede ser sincera. Como mucho, tenlo presente o pregunta con tacto.",
    },
    "no_flags": {"en": "No careless-responding flags.", "es": "Sin señales de respuesta descuidada."},
    "participant": {"en": "Code", "es": "Código"},
    "forms_flagged": {"en": "Questionnaires flagged", "es": "Cuestionarios señalados"},
    "method": {"en": "How the flags are computed", "es": "Cómo se calculan las señales"},
}


def ui(key: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """A widget text in ``language`` (not escaped)."""
    value = pick(UI[key], language, what=f"dashboard_ui.{key}")
    return value.format(**values) if values else value


# --- reading the store (shell) ----------------------------------------------------------------


def read_frames(store: ResponseStore, couple_instruments: Iterable[str] = core.COUPLE_INSTRUMENTS) -> dict:
    """Everything ``toolkit.core.group.build_views`` needs, read from ``store`` in one go."""
    participants = store.participants()
    answers = store.answers()
    submissions = store.submissions()
    pairs = list(dict.fromkeys(
        list(zip(answers["instrument"], answers["timepoint"], strict=False)) + list(zip(submissions["instrument"], submissions["timepoint"], strict=False))))
    pairs = [p for p in pairs if _known_instrument(p[0])]
    frames = {
        "participants": participants,
        "progress": {p: store.progress(*p) for p in pairs},
        "wide": {p: store.wide(*p) for p in pairs},
        "checkins": store.checkins(),
    }
    partner_of = {code: store.couple_of(code) for code in participants["code"]}
    frames["partner_of"] = partner_of
    linked = {c for c, p in partner_of.items() if p}
    frames["answers_of"] = {c: answers[answers["participant"] == c] for c in linked}
    checkins = frames["checkins"]
    # What changed since the last read: a new answer, submission, consent, couple link or flag.
    frames["signature"] = (
        len(answers), str(answers["answered_at"].max()) if len(answers) else "",
        len(submissions), str(submissions["submitted_at"].max()) if len(submissions) else "",
        tuple(map(tuple, participants.astype(str).to_numpy())), tuple(sorted(partner_of.items(), key=str)),
        len(checkins), str(checkins["flagged_at"].max()) if len(checkins) else "")
    return frames


def _known_instrument(instrument_id: str) -> bool:
    try:
        load_instrument(instrument_id)
    except (AttuneError, FileNotFoundError, KeyError, ValueError):
        return False
    return True


# --- where the data come from -----------------------------------------------------------------


def find_example_data(data_dir: str | Path | None = None) -> Path | None:
    """The example cohort's folder: ``data_dir``, else ``data/`` here, one folder up, or beside the toolkit."""
    candidates = [Path(data_dir)] if data_dir is not None else [
        Path.cwd() / "data", Path.cwd().parent / "data", Path(__file__).resolve().parents[2] / "data"]
    for folder in candidates:
        if (folder / "participants.csv").is_file() and (folder / "answers.csv").is_file():
            return folder
    return None


def example_store(data_dir: str | Path | None = None) -> ResponseStore:
    """An in-memory store holding the example cohort (written afresh if no ``data/`` folder is found)."""
    from toolkit.store.example_data import load_into_store, write_cohort

    store = ResponseStore(":memory:")
    folder = find_example_data(data_dir)
    if folder is not None:
        load_into_store(store, folder)
        return store
    with tempfile.TemporaryDirectory(prefix="attune-example-") as tmp:
        write_cohort(tmp)
        load_into_store(store, tmp)
    return store


class StoreSource:
    """The workshop's store, or, while it is missing or empty, the example cohort (if allowed).

    Calling it returns ``(store, is_example, message)``. The workshop's store is opened only
    once it exists: the dashboard never creates it.
    """

    def __init__(self, store_path: str | Path | None = None, use_example_data: bool = True,
                 data_dir: str | Path | None = None):
        from toolkit.settings import current_workshop, resolve_store_path

        self.path = resolve_store_path(store_path, current_workshop())
        self.use_example_data = use_example_data
        self.data_dir = data_dir
        self._live: ResponseStore | None = None
        self._example: ResponseStore | None = None
        self._empty: ResponseStore | None = None

    def __call__(self) -> tuple[ResponseStore, bool, str]:
        if self._live is None and self.path.exists():
            self._live = ResponseStore(self.path)
        if self._live is not None and (not self.use_example_data or not self._live.participants().empty):
            return self._live, False, ""
        if self.use_example_data:
            if self._example is None:
                self._example = example_store(self.data_dir)
            return self._example, True, ""
        if self._empty is None:
            self._empty = ResponseStore(":memory:")
        return self._empty, False, "no_store"

    def close(self) -> None:
        for store in (self._live, self._example, self._empty):
            if store is not None:
                store.close()


# --- HTML (pure: escaped text from view data) -------------------------------------------------


def _shown(text: str, k: int, language: str) -> str:
    """privacy's English cell texts in the dashboard's language."""
    from toolkit.core.charts import _t

    if text == f"fewer than {k}":
        return html.unescape(_t("fewer_than", language, k=k))
    if text == "hidden":
        return html.unescape(_t("hidden_cell", language))
    return text


def _title(instrument_id: str, language: str) -> str:
    try:
        return pick(load_instrument(instrument_id).title, language)
    except (AttuneError, FileNotFoundError, KeyError, ValueError):
        return instrument_id


def attendance_html(att: core.Attendance, language: str = DEFAULT_LANGUAGE) -> str:
    k = att.k
    parts = [f"<p><b>{esc(ui('joined', language, n=att.joined))}</b></p>"]
    if att.consented is not None:
        parts.append(f"<p>{esc(ui('consented', language, n=att.consented))}</p>")
    elif att.consent_split is not None:
        shown = _shown(str(att.consent_split.loc["consented", "shown"]), k, language)
        parts.append(f"<p>{esc(ui('consented', language, n=shown))}</p>")
    if att.consent_split is None:
        parts.append(f"<p class='attune-note'>{esc(ui('consent_note', language))}</p>")
    if att.small:
        parts.append(f"<p>{esc(ui('small_group', language, n=att.joined, k=k))}</p>")
        return "".join(parts)
    table = att.shown_table()
    if table.empty:
        parts.append(f"<p>{esc(ui('no_forms', language))}</p>")
        return "".join(parts)
    head = "".join(f"<th scope='col'>{esc(core.text(s, language))}</th>" for s in core.STATUSES)
    rows = []
    for (instrument, timepoint), row in table.iterrows():
        cells = "".join(f"<td>{esc(_shown(str(row[s]), k, language))}</td>" for s in core.STATUSES)
        rows.append(f"<tr><th scope='row'>{esc(_title(instrument, language))}</th><td>{esc(str(timepoint))}</td>{cells}</tr>")
    parts.append(f"<table class='attune-table'><thead><tr><th scope='col'>{esc(ui('form', language))}</th>"
                 f"<th scope='col'>{esc(ui('timepoint', language))}</th>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>")
    parts.append(f"<p class='attune-note'>{esc(ui('legend', language, k=k, m=k - 1))}</p>")
    return "".join(parts)


def couples_intro_html(any_couples: bool, language: str = DEFAULT_LANGUAGE) -> str:
    parts = [f"<p class='attune-private'>{esc(ui('private_banner', language))}</p>",
             f"<p>{esc(ui('couples_intro', language))}</p>"]
    if not any_couples:
        parts.append(f"<p>{esc(ui('no_couples', language))}</p>")
    return "".join(parts)


def couples_html(couples: list, language: str = DEFAULT_LANGUAGE) -> str:
    """The couples given (``DashboardViews.couples`` entries): item wording only, no one's scores."""
    parts = []
    for a, b, tables in couples:
        parts.append(f"<h3>{esc(a)} &amp; {esc(b)}</h3>")
        if tables is None:
            parts.append(f"<p>{esc(ui('couple_withheld', language))}</p>")
            continue
        if not tables:
            parts.append(f"<p>{esc(ui('couple_nothing', language))}</p>")
        for instrument_id, (timepoint, table) in tables.items():
            inst = load_instrument(instrument_id)
            parts.append(f"<h4>{esc(pick(inst.title, language))} ({esc(str(timepoint))})</h4>")
            for area in core.AREAS:
                mine = table[table["area"] == area]
                if mine.empty:
                    continue
                items = []
                for _, row in mine.iterrows():
                    wording = pick(inst.item(row["item"]).text, language)
                    why = f" <i>({esc(ui(row['reason'], language))})</i>" if area == "growth" else ""
                    items.append(f"<li>{esc(wording)}{why}</li>")
                label = f"<b>{esc(ui(area, language))}</b>"
                if area in ("similar", "not_compared"):  # folded: the talking points come first
                    parts.append(f"<details><summary>{label} ({len(items)})</summary><ul>{''.join(items)}</ul></details>")
                else:
                    parts.append(f"{label}<ul>{''.join(items)}</ul>")
    return "".join(parts)


def checkins_html(checkins: pd.DataFrame, language: str = DEFAULT_LANGUAGE) -> str:
    parts = [f"<p class='attune-private'>{esc(ui('private_banner', language))}</p>"]
    if checkins is None or checkins.empty:
        parts.append(f"<p>{esc(ui('no_checkins', language))}</p>")
        return "".join(parts)
    parts.append(f"<p>{esc(ui('checkins_intro', language))}</p>")
    head = "".join(f"<th scope='col'>{esc(ui(h, language))}</th>" for h in ("code", "level", "forms", "rules", "last"))
    rows = []
    for _, r in checkins.iterrows():
        level = ui(r["level"], language) if r["level"] in UI else str(r["level"])
        last = str(r["last_flagged"]).replace("T", " ")[:16]
        rows.append(f"<tr><td>{esc(str(r['code']))}</td><td>{esc(level)}</td><td>{esc(', '.join(r['forms']))}</td>"
                    f"<td>{esc(', '.join(map(str, r['rules'])))}</td><td>{esc(last)}</td></tr>")
    parts.append(f"<table class='attune-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return "".join(parts)


def quality_html(summary: pd.DataFrame, language: str = DEFAULT_LANGUAGE) -> str:
    parts = [f"<p class='attune-private'>{esc(ui('private_banner', language))}</p>",
             f"<p>{esc(ui('quality_intro', language))}</p>"]
    if summary is None or summary.empty:
        parts.append(f"<p>{esc(ui('no_flags', language))}</p>")
    else:
        head = "".join(f"<th scope='col'>{esc(ui(h, language))}</th>"
                       for h in ("participant", "timepoint", "forms_flagged", "forms"))
        rows = [f"<tr><td>{esc(str(r['participant']))}</td><td>{esc(str(r['timepoint']))}</td>"
                f"<td>{int(r['forms_flagged'])}</td><td>{esc('; '.join(r['forms']))}</td></tr>"
                for _, r in summary.iterrows()]
        parts.append(f"<table class='attune-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    parts.append(f"<details><summary>{esc(ui('method', language))}</summary>"
                 f"<p class='attune-note'>{esc(core.CARELESS_METHOD)}</p></details>")
    return "".join(parts)


TABLE_CSS = """<style>
.attune-dashboard { max-width: 1100px; }
.attune-dashboard .attune-table { border-collapse: collapse; margin: 8px 0; font-size: 16px; }
.attune-dashboard .attune-table th, .attune-dashboard .attune-table td {
  border: 1px solid #c8c8c8; padding: 4px 10px; text-align: left; }
.attune-dashboard .attune-example { background: #fff3cd; border-left: 4px solid #8a5a00; padding: 6px 12px; }
</style>"""


class _PlotlyFigure:
    """A figure shown with ``charts.CONFIG`` (no logo, no mode bar) through the Plotly mime type."""

    def __init__(self, fig):
        self.fig = fig

    def _repr_mimebundle_(self, include=None, exclude=None):
        import plotly.io as pio

        data = json.loads(pio.to_json(self.fig, validate=False))
        title = (self.fig.layout.title.text or "") if self.fig.layout.title else ""
        return {"application/vnd.plotly.v1+json": {**data, "config": CONFIG}, "text/plain": html.unescape(title)}


def _show_figures(out: w.Output, figures: Iterable) -> None:
    out.outputs = ()
    for fig in figures:
        out.append_display_data(_PlotlyFigure(fig))


# --- the widget -------------------------------------------------------------------------------


class Dashboard(w.VBox):
    """The facilitator dashboard: ``Dashboard(store, k=5, language="en")``.

    ``store`` is a ``ResponseStore``, or a callable returning ``(store, is_example, message)``
    (as :class:`StoreSource` does) so that every refresh can look again.
    """

    PRIVATE_TABS = (3, 4, 5)

    def __init__(self, store: ResponseStore | Callable, k: int = DEFAULT_K, language: str = DEFAULT_LANGUAGE, *,
                 refresh_seconds: int = 30, couple_instruments: Iterable[str] = core.COUPLE_INSTRUMENTS):
        self.k = core._check_k(k)
        self.language = language
        self._source = store if callable(store) and not isinstance(store, ResponseStore) else (lambda: (store, False, ""))
        self.couple_instruments = tuple(couple_instruments)
        self.views: core.DashboardViews | None = None
        self.example = False
        self._signature = None
        self._quiet = False
        lang = language

        self.status = w.HTML()
        self.refresh_button = w.Button(description=ui("refresh", lang), icon="refresh", button_style="primary")
        self.auto = w.ToggleButton(value=False, description=ui("auto", lang, s=refresh_seconds), icon="clock-o")
        self.private = w.ToggleButton(value=False, description=ui("private", lang), icon="lock")
        # Ticks in the browser; its value change reaches the kernel and refreshes (no kernel thread).
        self.ticker = w.Play(value=0, min=0, max=10**9, step=1, interval=int(refresh_seconds * 1000),
                             repeat=True, show_repeat=False, layout=w.Layout(display="none"))
        self.refresh_button.on_click(lambda _: self.refresh())
        self.auto.observe(self._on_auto, names="value")
        self.private.observe(lambda _: self._render_private(), names="value")
        self.ticker.observe(self._on_tick, names="value")

        self.attendance_box = w.HTML()
        self.instrument_pick = w.Dropdown(description=ui("form", lang))
        self.timepoint_pick = w.ToggleButtons(description=ui("timepoint", lang))
        self.instrument_note = w.HTML()
        self.instrument_out = w.Output(layout=w.Layout(width="100%"))
        self.instrument_pick.observe(lambda _: self._sync_timepoints(), names="value")
        self.timepoint_pick.observe(lambda _: self._render_instrument(), names="value")
        self.change_pick = w.Dropdown(description=ui("form", lang))
        self.change_note = w.HTML()
        self.change_out = w.Output(layout=w.Layout(width="100%"))
        self.change_pick.observe(lambda _: self._render_change(), names="value")
        self.couples_intro = w.HTML()
        self.couple_pick = w.Dropdown(description=ui("couple", lang), layout=w.Layout(display="none"))
        self.couple_pick.observe(lambda _: self._render_couple(), names="value")
        self.couples_box = w.HTML()
        self.checkins_box = w.HTML()
        self.quality_box = w.HTML()

        self.tabs = w.Tab(children=[
            w.VBox([self.attendance_box]),
            w.VBox([w.HBox([self.instrument_pick, self.timepoint_pick]), self.instrument_note, self.instrument_out]),
            w.VBox([self.change_pick, self.change_note, self.change_out]),
            w.VBox([self.couples_intro, self.couple_pick, self.couples_box]), w.VBox([self.checkins_box]),
            w.VBox([self.quality_box]),
        ])
        self.tabs.titles = tuple(ui(t, lang) for t in ("tab_attendance", "tab_instruments", "tab_change",
                                                       "tab_couples", "tab_checkins", "tab_quality"))
        header = w.HTML(f"<h2>{esc(ui('title', lang))}</h2>{TABLE_CSS}")
        super().__init__([style_widget(), header, w.HBox([self.refresh_button, self.auto, self.private]),
                          self.status, self.ticker, self.tabs])
        self.add_class("attune")
        self.add_class("attune-dashboard")
        self.refresh()

    # -- refreshing ------------------------------------------------------------------------

    def _on_auto(self, change) -> None:
        self.ticker.playing = bool(change["new"])

    def _on_tick(self, _change) -> None:
        if self.auto.value:
            self.refresh()

    def refresh(self, force: bool = False) -> core.DashboardViews | None:
        """Read the store again and redraw every tab (what the button and the timer call).

        Nothing is redrawn when nothing changed in the store since the last refresh (unless ``force``).
        """
        lang = self.language
        try:
            store, example, message = self._source()
            frames = read_frames(store, self.couple_instruments)
            signature = (id(store), frames["signature"])
            unchanged = signature == self._signature and self.views is not None and not force
            if not unchanged:
                self.views = core.build_views(frames, self.k, couple_instruments=self.couple_instruments)
                self._signature = signature
        except AttuneError as exc:
            self.status.value = f"<p role='alert'>{esc(ui('error', lang, error=str(exc)))}</p>"
            return None
        self.example = example
        notes = [f"<p class='attune-note' role='status'>{esc(ui('refreshed', lang, time=datetime.now().strftime('%H:%M:%S')))}</p>"]
        if example:
            notes.insert(0, f"<p class='attune-example'><b>{esc(ui('example', lang))}</b></p>")
        if message:
            path = getattr(self._source, "path", "")
            notes.insert(0, f"<p class='attune-note'>{esc(ui(message, lang, path=str(path)))}</p>")
        self.status.value = "".join(notes)
        if unchanged:
            return self.views
        self.attendance_box.value = attendance_html(self.views.attendance, lang)
        self._quiet = True
        try:
            self._fill_pickers()
        finally:
            self._quiet = False
        self._render_instrument()
        self._render_change()
        self._render_private()
        return self.views

    # -- group tabs ------------------------------------------------------------------------

    def _fill_pickers(self) -> None:
        views = self.views
        forms = list(dict.fromkeys(i for i, _ in views.instruments))
        options = [(_title(i, self.language), i) for i in forms]
        keep = self.instrument_pick.value
        self.instrument_pick.options = options
        if forms:
            self.instrument_pick.value = keep if keep in forms else forms[0]
        self._sync_timepoints()
        changed = list(views.changes)
        keep = self.change_pick.value
        self.change_pick.options = [(_title(i, self.language), i) for i in changed]
        if changed:
            self.change_pick.value = keep if keep in changed else changed[0]

    def _sync_timepoints(self) -> None:
        if self.views is None:
            return
        timepoints = [tp for (i, tp) in self.views.instruments if i == self.instrument_pick.value]
        keep = self.timepoint_pick.value
        quiet, self._quiet = self._quiet, True
        try:
            self.timepoint_pick.options = timepoints
            if timepoints:
                self.timepoint_pick.value = keep if keep in timepoints else timepoints[0]
        finally:
            self._quiet = quiet
        self._render_instrument()

    def _render_instrument(self) -> None:
        if self.views is None or self._quiet:
            return
        lang = self.language
        if self.views.attendance.small:
            self.instrument_note.value = f"<p>{esc(ui('small_group', lang, n=self.views.attendance.joined, k=self.k))}</p>"
            _show_figures(self.instrument_out, [])
            return
        view = self.views.instruments.get((self.instrument_pick.value, self.timepoint_pick.value))
        if view is None:
            self.instrument_note.value = f"<p>{esc(ui('no_forms', lang))}</p>"
            _show_figures(self.instrument_out, [])
            return
        self.instrument_note.value = f"<p class='attune-note'>{esc(ui('guarded', lang))}</p>" if view.guarded else ""
        _show_figures(self.instrument_out, core.instrument_figures(view, lang))

    def _render_change(self) -> None:
        if self.views is None or self._quiet:
            return
        lang = self.language
        views = self.views.changes.get(self.change_pick.value)
        if not views:
            self.change_note.value = f"<p>{esc(ui('no_change', lang))}</p>"
            _show_figures(self.change_out, [])
            return
        notes = []
        for view in views:
            summary = view.summary
            if view.categories_guarded:
                notes.append(ui("categories_guarded", lang))
            elif not isinstance(summary, SmallGroup) and summary.categories is None:
                scale = load_instrument(view.definition or view.instrument).scale(view.scale_id)
                notes.append(ui("no_norms", lang) if scale.norms is None else summary.reliable_change_note)
            elif not isinstance(summary, SmallGroup):
                notes.append(summary.reliable_change_note)
        notes = list(dict.fromkeys(notes))
        self.change_note.value = "".join(f"<p class='attune-note'>{esc(n)}</p>" for n in notes)
        _show_figures(self.change_out, [fig for view in views for fig in core.change_figures(view, lang)])

    # -- private tabs ----------------------------------------------------------------------

    def _render_private(self) -> None:
        if self._quiet:
            return
        lang = self.language
        if not self.private.value or self.views is None:
            hidden = f"<p>{esc(ui('private_hidden', lang))}</p>"
            self.couples_box.value = self.checkins_box.value = self.quality_box.value = hidden
            self.couples_intro.value = ""
            self.couple_pick.layout.display = "none"
            self.couple_pick.options = []  # no code stays in the widget's state while closed
            return
        couples = self.views.couples
        self.couples_intro.value = couples_intro_html(bool(couples), lang)
        labels = [(f"{a} & {b}", i) for i, (a, b, _) in enumerate(couples)]
        keep = self.couple_pick.label
        self._quiet = True
        try:
            self.couple_pick.options = labels
            if labels:
                self.couple_pick.value = next((i for label, i in labels if label == keep), 0)
        finally:
            self._quiet = False
        self.couple_pick.layout.display = "" if couples else "none"
        self._render_couple()
        self.checkins_box.value = checkins_html(self.views.checkins, lang)
        self.quality_box.value = quality_html(self.views.careless, lang)

    def _render_couple(self) -> None:
        if self._quiet or self.views is None or not self.private.value:
            return
        index = self.couple_pick.value
        couples = self.views.couples
        self.couples_box.value = couples_html([couples[index]], self.language) \
            if couples and index is not None and index < len(couples) else ""


def open_dashboard(store_path: str | Path | None = None, k: int = DEFAULT_K, language: str = DEFAULT_LANGUAGE,
                   use_example_data: bool = True, data_dir: str | Path | None = None,
                   refresh_seconds: int = 30) -> Dashboard:
    """The dashboard for the notebook: the workshop's store, or the example cohort while it is empty."""
    source = StoreSource(store_path, use_example_data, data_dir)
    return Dashboard(source, k=k, language=language, refresh_seconds=refresh_seconds)
