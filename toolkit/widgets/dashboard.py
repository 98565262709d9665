"""The facilitator's dashboard widget: a thin shell over ``toolkit.core.group``.

``Dashboard(store, k=5, language="en")`` reads the store, asks the core for protected views
and shows them in seven tabs: Attendance, Instruments, Before/after, How sessions went (group
figures and counts, fit for a projector), and Couples, Check-ins, Data quality (private: shown
only after the facilitator switches on "Show private views", and never meant for a projector). Each tab is built by one
helper from its title key and a view function returning (HTML, figures); the HTML comes from
``toolkit.render.dashboard`` (escaped), the figures from ``toolkit.core.group_figures``.

Refreshing: the Refresh button, and an auto-refresh toggle that starts a hidden
``ipywidgets.Play`` in the browser. Play ticks on the client; each tick changes its value,
which reaches the kernel and calls :meth:`Dashboard.refresh`. No thread or task is started
in the kernel, so nothing outlives it, and a closed browser tab simply stops the ticks.

``open_dashboard`` is what the notebook calls: it finds the workshop's store (parameter, else
``$ATTUNE_STORE``, else the default) and, while that store is missing or empty, shows the
synthetic example cohort (``data/``) from an in-memory store, clearly marked, switching to the
real store as soon as someone has joined. It never creates or changes the workshop's store.

A little over 400 lines: the tabs share one widget's state (store, pickers, private switch).
"""

from __future__ import annotations

import html
import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import ipywidgets as w

from toolkit.content.text import DEFAULT_LANGUAGE, ui
from toolkit.core import group as core
from toolkit.core.charts import CONFIG
from toolkit.core.couples import COUPLE_INSTRUMENTS, SCREEN
from toolkit.core.group_figures import change_figures, instrument_figures
from toolkit.core.privacy import DEFAULT_K, check_k
from toolkit.errors import AttuneError, StoreError
from toolkit.instruments import load_instrument
from toolkit.render.dashboard import (
    attendance_html,
    change_notes_html,
    checkins_html,
    couples_html,
    couples_intro_html,
    error_html,
    header_html,
    instrument_title,
    paragraph,
    quality_html,
    session_check_html,
    status_html,
)
from toolkit.store.responses import ResponseStore
from toolkit.widgets.style import style_widget

# --- reading the store (shell) ----------------------------------------------------------------


def read_frames(store: ResponseStore, couple_instruments: Iterable[str] = COUPLE_INSTRUMENTS) -> dict:
    """Everything ``toolkit.core.group.build_views`` needs, read from ``store`` in one go."""
    participants = store.participants()
    answers = store.answers()
    submissions = store.submissions()
    pairs = list(dict.fromkeys([*zip(answers["instrument"], answers["timepoint"], strict=True),
                                *zip(submissions["instrument"], submissions["timepoint"], strict=True)]))
    pairs = [p for p in pairs if _known_instrument(p[0])]
    checkins = store.checkins()
    # The code pair a "pairing not advised" row names: the mutual link, whatever the comparison consent.
    checkins["partner"] = [store.couple_of(c) for c in checkins["code"]]
    frames = {
        "participants": participants,
        "progress": {p: store.progress(*p) for p in pairs},
        # The relationship-safety screen is never a figure: only how many have answered it.
        "wide": {p: store.wide(*p) for p in pairs if p[0] != SCREEN},
        "checkins": checkins,
    }
    # Couple features see a couple only when linked, both agreed to the comparison and pairing is advised.
    partner_of = {code: store.paired_with(code) for code in participants["code"]}
    frames["partner_of"] = partner_of
    linked = {c for c, p in partner_of.items() if p}
    frames["answers_of"] = {c: answers[answers["participant"] == c] for c in linked}
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
    """The example cohort's folder: ``data_dir``, else ``data/`` here, one folder up, or the project's own."""
    from toolkit.settings import bundled_path

    candidates = [Path(data_dir)] if data_dir is not None else [
        Path.cwd() / "data", Path.cwd().parent / "data", bundled_path("data")]
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

    def _open_live(self) -> ResponseStore | None:
        if isinstance(self.path, Path):
            return ResponseStore(self.path) if self.path.exists() else None
        try:  # a postgresql:// workshop: opened once someone (its server) has started it
            return ResponseStore(self.path, create=False)
        except StoreError:
            return None

    def __call__(self) -> tuple[ResponseStore, bool, str]:
        if self._live is None:
            self._live = self._open_live()
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


class _PlotlyFigure:
    """A figure shown with ``charts.CONFIG`` (no logo, no mode bar) through the Plotly mime type."""

    def __init__(self, fig):
        self.fig = fig

    def _repr_mimebundle_(self, include=None, exclude=None):
        import plotly.io as pio

        data = json.loads(pio.to_json(self.fig, validate=False))
        title = (self.fig.layout.title.text or "") if self.fig.layout.title else ""
        # Not responsive: in an output area whose height comes from its content, plotly's responsive
        # autosize sets the plot to 100 % of nothing and the chart collapses to 0 px after drawing.
        config = {**CONFIG, "responsive": False}
        return {"application/vnd.plotly.v1+json": {**data, "config": config}, "text/plain": html.unescape(title)}


def _show_figures(out: w.Output, figures: Iterable) -> None:
    out.outputs = ()
    for fig in figures:
        out.append_display_data(_PlotlyFigure(fig))


# --- the widget -------------------------------------------------------------------------------

#: What a tab's view function returns: escaped HTML for its note, and its figures.
View = Callable[[], tuple[str, list]]


@dataclass(frozen=True)
class Tab:
    """One dashboard tab: its controls, then a note and figures that ``view`` fills on every render."""

    title: str  # a UI string key
    view: View
    private: bool
    note: w.HTML
    out: w.Output
    box: w.VBox


def make_tab(title: str, view: View, *controls: w.Widget, private: bool = False) -> Tab:
    """A tab from its title key and view function (the one shape every tab has)."""
    note, out = w.HTML(), w.Output(layout=w.Layout(width="100%"))
    return Tab(title, view, private, note, out, w.VBox([*controls, note, out]))


class Dashboard(w.VBox):
    """The facilitator dashboard: ``Dashboard(store, k=5, language="en")``.

    ``store`` is a ``ResponseStore``, or a callable returning ``(store, is_example, message)``
    (as :class:`StoreSource` does) so that every refresh can look again.
    """

    def __init__(self, store: ResponseStore | Callable, k: int = DEFAULT_K, language: str = DEFAULT_LANGUAGE, *,
                 refresh_seconds: int = 30, couple_instruments: Iterable[str] = COUPLE_INSTRUMENTS):
        self.k = check_k(k)
        self.language = language
        self._source = store if callable(store) and not isinstance(store, ResponseStore) else (lambda: (store, False, ""))
        self.couple_instruments = tuple(couple_instruments)
        self.views: core.DashboardViews | None = None
        self.example = False
        self._signature = None
        self._quiet = False
        lang = language

        self.status = w.HTML()
        self.refresh_button = w.Button(description=ui("dashboard_refresh", lang), icon="refresh", button_style="primary")
        self.auto = w.ToggleButton(value=False, description=ui("dashboard_auto", lang, s=refresh_seconds), icon="clock-o")
        self.private = w.ToggleButton(value=False, description=ui("dashboard_private", lang), icon="lock")
        # Ticks in the browser; its value change reaches the kernel and refreshes (no kernel thread).
        self.ticker = w.Play(value=0, min=0, max=10**9, step=1, interval=int(refresh_seconds * 1000),
                             repeat=True, show_repeat=False, layout=w.Layout(display="none"))
        self.instrument_pick = w.Dropdown(description=ui("dashboard_form", lang))
        self.timepoint_pick = w.ToggleButtons(description=ui("dashboard_timepoint", lang))
        self.change_pick = w.Dropdown(description=ui("dashboard_form", lang))
        self.couples_intro = w.HTML()
        self.couple_pick = w.Dropdown(description=ui("dashboard_couple", lang), layout=w.Layout(display="none"))

        attendance = make_tab("dashboard_tab_attendance", lambda: (attendance_html(self.views.attendance, lang), []))
        instruments = make_tab("dashboard_tab_instruments", self._instrument_view,
                               w.HBox([self.instrument_pick, self.timepoint_pick]))
        change = make_tab("dashboard_tab_change", self._change_view, self.change_pick)
        session_check = make_tab("dashboard_tab_session_check", lambda: (session_check_html(self.views, lang), []))
        couples = make_tab("dashboard_tab_couples", self._couple_view, self.couples_intro, self.couple_pick, private=True)
        checkins = make_tab("dashboard_tab_checkins", lambda: (checkins_html(self.views.checkins, lang), []), private=True)
        quality = make_tab("dashboard_tab_quality", lambda: (quality_html(self.views.careless, lang), []), private=True)
        self.pages = (attendance, instruments, change, session_check, couples, checkins, quality)
        self.attendance_box = attendance.note
        self.session_check_box = session_check.note
        self.instrument_note, self.instrument_out = instruments.note, instruments.out
        self.change_note, self.change_out = change.note, change.out
        self.couples_box, self.checkins_box, self.quality_box = couples.note, checkins.note, quality.note

        self.refresh_button.on_click(lambda _: self.refresh())
        self.auto.observe(self._on_auto, names="value")
        self.private.observe(lambda _: self._render_private(), names="value")
        self.ticker.observe(self._on_tick, names="value")
        self.instrument_pick.observe(lambda _: self._sync_timepoints(), names="value")
        self.timepoint_pick.observe(lambda _: self._render(instruments), names="value")
        self.change_pick.observe(lambda _: self._render(change), names="value")
        self.couple_pick.observe(lambda _: self._render(couples), names="value")

        self.tabs = w.Tab(children=[tab.box for tab in self.pages])
        self.tabs.titles = tuple(ui(tab.title, lang) for tab in self.pages)
        super().__init__([style_widget(), w.HTML(header_html(lang)), w.HBox([self.refresh_button, self.auto, self.private]),
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
            self.status.value = error_html(str(exc), lang)
            return None
        self.example = example
        path = str(getattr(self._source, "path", ""))
        self.status.value = status_html(datetime.now().strftime("%H:%M:%S"), example, message, path, lang)
        if unchanged:
            return self.views
        self._quiet = True
        try:
            self._fill_pickers()
        finally:
            self._quiet = False
        self._render_private()
        self._render(*(tab for tab in self.pages if not tab.private))
        return self.views

    def _render(self, *tabs: Tab) -> None:
        """Fill each tab from its view; a private tab says only how to open it while closed."""
        if self.views is None or self._quiet:
            return
        for tab in tabs:
            if tab.private and not self.private.value:
                note, figures = paragraph("dashboard_private_hidden", self.language), []
            else:
                note, figures = tab.view()
            tab.note.value = note
            _show_figures(tab.out, figures)

    # -- group tabs ------------------------------------------------------------------------

    def _fill_pickers(self) -> None:
        views = self.views
        forms = list(dict.fromkeys(i for i, _ in views.instruments))
        options = [(instrument_title(i, self.language), i) for i in forms]
        keep = self.instrument_pick.value
        self.instrument_pick.options = options
        if forms:
            self.instrument_pick.value = keep if keep in forms else forms[0]
        self._sync_timepoints()
        changed = list(views.changes)
        keep = self.change_pick.value
        self.change_pick.options = [(instrument_title(i, self.language), i) for i in changed]
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
        self._render(self.pages[1])

    def _instrument_view(self) -> tuple[str, list]:
        lang, views = self.language, self.views
        if views.attendance.small:
            return paragraph("dashboard_small_group", lang, n=views.attendance.joined, k=self.k), []
        view = views.instruments.get((self.instrument_pick.value, self.timepoint_pick.value))
        if view is None:
            return paragraph("dashboard_no_forms", lang), []
        note = paragraph("dashboard_guarded", lang, "attune-note") if view.guarded else ""
        return note, instrument_figures(view, lang)

    def _change_view(self) -> tuple[str, list]:
        views = self.views.changes.get(self.change_pick.value)
        if not views:
            return paragraph("dashboard_no_change", self.language), []
        return change_notes_html(views, self.language), [fig for v in views for fig in change_figures(v, self.language)]

    # -- private tabs ----------------------------------------------------------------------

    def _render_private(self) -> None:
        """Open or close the private tabs; while closed no code stays in any widget's state."""
        if self._quiet:
            return
        opened = self.private.value and self.views is not None
        couples = self.views.couples if opened else []
        self.couples_intro.value = couples_intro_html(bool(couples), self.language) if opened else ""
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
        self._render(*(tab for tab in self.pages if tab.private))

    def _couple_view(self) -> tuple[str, list]:
        index, couples = self.couple_pick.value, self.views.couples
        shown = couples and index is not None and index < len(couples)
        return (couples_html([couples[index]], self.language) if shown else ""), []


def open_dashboard(store_path: str | Path | None = None, k: int = DEFAULT_K, language: str = DEFAULT_LANGUAGE,
                   use_example_data: bool = True, data_dir: str | Path | None = None,
                   refresh_seconds: int = 30) -> Dashboard:
    """The dashboard for the notebook: the workshop's store, or the example cohort while it is empty."""
    source = StoreSource(store_path, use_example_data, data_dir)
    return Dashboard(source, k=k, language=language, refresh_seconds=refresh_seconds)
