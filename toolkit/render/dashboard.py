"""The facilitator dashboard's HTML (pure): view objects in, escaped HTML out.

Every text is a UI string of ``content/ui/dashboard.yaml`` (through ``ui()``) or came from
data (codes, timepoints, rule ids, instrument and item wording) and is HTML-escaped here.
Count cells use the charts' own words for "fewer than k" and "hidden" (``chart_text``), chosen
by privacy's ``note`` key, so that a table and a chart never say it differently.
"""

from __future__ import annotations

import html

import pandas as pd

from toolkit.content import css
from toolkit.content.text import DEFAULT_LANGUAGE, pick, ui
from toolkit.core.charts import chart_text
from toolkit.core.couples import AREAS
from toolkit.core.group import STATUSES, Attendance, ChangeView
from toolkit.core.privacy import FEWER_THAN_K, HIDDEN, SmallGroup
from toolkit.core.quality import LONG_STRING_MIN
from toolkit.core.session_check import PREFER_NOT, SESSION_CHECK, SessionCheckView, session_order
from toolkit.errors import AttuneError
from toolkit.instruments import load_instrument
from toolkit.instruments.model import LEVEL_ORDER

esc = html.escape


def paragraph(key: str, language: str = DEFAULT_LANGUAGE, cls: str = "", **values) -> str:
    """One UI string as an escaped paragraph, with an optional class."""
    attribute = f" class='{cls}'" if cls else ""
    return f"<p{attribute}>{esc(ui(key, language, **values))}</p>"


def header_html(language: str = DEFAULT_LANGUAGE) -> str:
    """The title, and the dashboard's stylesheet (``content/css/dashboard.css``)."""
    return f"<h2>{esc(ui('dashboard_title', language))}</h2><style>\n{css('dashboard')}</style>"


def status_html(time: str, example: bool, message: str = "", path: str = "", language: str = DEFAULT_LANGUAGE) -> str:
    """When the store was read, and whether it is the example cohort or not there yet (``message`` key)."""
    parts = []
    if message:
        parts.append(paragraph(f"dashboard_{message}", language, "attune-note", path=path))
    if example:
        parts.append(f"<p class='attune-example'><b>{esc(ui('dashboard_example', language))}</b></p>")
    parts.append(f"<p class='attune-note' role='status'>{esc(ui('dashboard_refreshed', language, time=time))}</p>")
    return "".join(parts)


def error_html(error: str, language: str = DEFAULT_LANGUAGE) -> str:
    return f"<p role='alert'>{esc(ui('dashboard_error', language, error=error))}</p>"


def instrument_title(instrument_id: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The instrument's title, or its id when it cannot be loaded (plain text: escape before HTML)."""
    try:
        return pick(load_instrument(instrument_id).title, language)
    except (AttuneError, FileNotFoundError, KeyError, ValueError):
        return instrument_id


def count_text(count, note: str, k: int, language: str = DEFAULT_LANGUAGE) -> str:
    """A protected count as shown: the number, or the charts' words for why it is not shown."""
    if note == FEWER_THAN_K:
        return chart_text("fewer_than", language, k=k)
    if note == HIDDEN:
        return chart_text("hidden_cell", language)
    return str(int(count))


def attendance_html(att: Attendance, language: str = DEFAULT_LANGUAGE) -> str:
    """Joined, consented, and each form's progress as a protected table with its legend."""
    k = att.k
    parts = [f"<p><b>{esc(ui('dashboard_joined', language, n=att.joined))}</b></p>"]
    if att.consented is not None:
        parts.append(paragraph("dashboard_consented", language, n=att.consented))
    elif att.consent_split is not None:
        row = att.consent_split.loc["consented"]
        parts.append(paragraph("dashboard_consented", language, n=count_text(row["count"], row["note"], k, language)))
    if att.consent_split is None:
        parts.append(paragraph("dashboard_consent_note", language, "attune-note"))
    if att.small:
        parts.append(paragraph("dashboard_small_group", language, n=att.joined, k=k))
        return "".join(parts)
    if att.forms.empty:
        parts.append(paragraph("dashboard_no_forms", language))
        return "".join(parts)
    head = "".join(f"<th scope='col'>{esc(ui(f'dashboard_status_{s}', language))}</th>" for s in STATUSES)
    rows = []
    for (instrument, timepoint), form in att.forms.groupby(["instrument", "timepoint"], sort=False):
        by_status = form.set_index("status")
        cells = "".join(f"<td>{esc(count_text(by_status.loc[s, 'count'], by_status.loc[s, 'note'], k, language))}</td>"
                        for s in STATUSES)
        rows.append(f"<tr><th scope='row'>{esc(instrument_title(instrument, language))}</th>"
                    f"<td>{esc(str(timepoint))}</td>{cells}</tr>")
    parts.append(f"<table class='attune-table'><thead><tr><th scope='col'>{esc(ui('dashboard_form', language))}</th>"
                 f"<th scope='col'>{esc(ui('dashboard_timepoint', language))}</th>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>")
    parts.append(paragraph("dashboard_legend", language, "attune-note", k=k, m=k - 1))
    return "".join(parts)


def change_notes_html(views: list[ChangeView], language: str = DEFAULT_LANGUAGE) -> str:
    """Why reliable change is or is not shown, once per reason, for one form's change views."""
    notes = []
    for view in views:
        summary = view.summary
        if view.categories_guarded:
            notes.append(ui("dashboard_categories_guarded", language))
        elif not isinstance(summary, SmallGroup) and summary.categories is None:
            scale = load_instrument(view.definition or view.instrument).scale(view.scale_id)
            notes.append(ui("dashboard_no_norms", language) if scale.norms is None else summary.reliable_change_note)
        elif not isinstance(summary, SmallGroup):
            notes.append(summary.reliable_change_note)
    return "".join(f"<p class='attune-note'>{esc(n)}</p>" for n in dict.fromkeys(notes))


def private_banner(language: str = DEFAULT_LANGUAGE) -> str:
    return paragraph("dashboard_private_banner", language, "attune-private")


def couples_intro_html(any_couples: bool, language: str = DEFAULT_LANGUAGE) -> str:
    parts = [private_banner(language), paragraph("dashboard_couples_intro", language)]
    if not any_couples:
        parts.append(paragraph("dashboard_no_couples", language))
    return "".join(parts)


def couples_html(couples: list, language: str = DEFAULT_LANGUAGE) -> str:
    """The couples given (``DashboardViews.couples`` entries): item wording only, no one's scores."""
    parts = []
    for a, b, tables in couples:
        parts.append(f"<h3>{esc(a)} &amp; {esc(b)}</h3>")
        if not tables:
            parts.append(paragraph("dashboard_couple_nothing", language))
        for instrument_id, (timepoint, table) in tables.items():
            inst = load_instrument(instrument_id)
            parts.append(f"<h4>{esc(pick(inst.title, language))} ({esc(str(timepoint))})</h4>")
            for area in AREAS:
                mine = table[table["area"] == area]
                if mine.empty:
                    continue
                items = []
                for _, row in mine.iterrows():
                    wording = pick(inst.item(row["item"]).text, language)
                    reason = ui(f"dashboard_reason_{row['reason']}", language) if area == "growth" else ""
                    why = f" <i>({esc(reason)})</i>" if reason else ""
                    items.append(f"<li>{esc(wording)}{why}</li>")
                label = f"<b>{esc(ui(f'dashboard_area_{area}', language))}</b>"
                if area in ("similar", "not_compared"):  # folded: the talking points come first
                    parts.append(f"<details><summary>{label} ({len(items)})</summary><ul>{''.join(items)}</ul></details>")
                else:
                    parts.append(f"{label}<ul>{''.join(items)}</ul>")
    return "".join(parts)


def _table(header_keys: tuple[str, ...], rows: list[str], language: str) -> str:
    head = "".join(f"<th scope='col'>{esc(ui(key, language))}</th>" for key in header_keys)
    return f"<table class='attune-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def checkins_html(checkins: pd.DataFrame, language: str = DEFAULT_LANGUAGE) -> str:
    parts = [private_banner(language)]
    if checkins is None or checkins.empty:
        parts.append(paragraph("dashboard_no_checkins", language))
        return "".join(parts)
    parts.append(paragraph("dashboard_checkins_intro", language))
    rows = []
    for _, r in checkins.iterrows():
        known = r["level"] in LEVEL_ORDER
        level = ui(f"dashboard_level_{r['level']}", language) if known else str(r["level"])
        # A plain reason, as participants were told: a private flag next to the code, never their answers
        # (a rule id such as afraid_of_partner would say what someone answered).
        reason = ui(f"dashboard_why_{r['level']}", language) if known else ""
        if r.get("pairing_not_advised"):  # the screen: only this, for the code pair, never why
            pair = f"{r['code']} & {r['partner']}" if r.get("partner") else str(r["code"])
            reason = f"{reason}. {ui('dashboard_pairing_not_advised', language, pair=pair)}"
        last = str(r["last_flagged"]).replace("T", " ")[:16]
        # The session check is never named next to a code: that would say the person did not feel safe.
        forms = [f for f in r["forms"] if not str(f).startswith(f"{SESSION_CHECK} (")]
        reach = ui(f"dashboard_reach_{r.get('reach') or 'unset'}", language)
        rows.append(f"<tr><td>{esc(str(r['code']))}</td><td>{esc(level)}</td><td>{esc(reason)}</td>"
                    f"<td>{esc(', '.join(forms))}</td><td>{esc(reach)}</td><td>{esc(last)}</td></tr>")
    columns = ("dashboard_col_code", "dashboard_col_level", "dashboard_col_reason", "dashboard_col_forms",
               "dashboard_col_reach", "dashboard_col_last")
    parts.append(_table(columns, rows, language))
    return "".join(parts)


def _flagged_forms(forms: list, language: str) -> str:
    """``careless_summary``'s (instrument, index keys) as "who5: long string; brs: IRV 0"."""
    return "; ".join(f"{inst}: {', '.join(ui(f'dashboard_index_{key}', language) for key in keys)}"
                     for inst, keys in forms)


def quality_html(summary: pd.DataFrame, language: str = DEFAULT_LANGUAGE) -> str:
    parts = [private_banner(language), paragraph("dashboard_quality_intro", language)]
    if summary is None or summary.empty:
        parts.append(paragraph("dashboard_no_flags", language))
    else:
        rows = [f"<tr><td>{esc(str(r['participant']))}</td><td>{esc(str(r['timepoint']))}</td>"
                f"<td>{int(r['forms_flagged'])}</td><td>{esc(_flagged_forms(r['forms'], language))}</td></tr>"
                for _, r in summary.iterrows()]
        columns = ("dashboard_col_code", "dashboard_timepoint", "dashboard_col_forms_flagged", "dashboard_col_forms")
        parts.append(_table(columns, rows, language))
    parts.append(f"<details><summary>{esc(ui('dashboard_method', language))}</summary>"
                 f"{paragraph('dashboard_careless_method', language, 'attune-note', n=LONG_STRING_MIN)}</details>")
    return "".join(parts)


def session_label(timepoint: str, language: str = DEFAULT_LANGUAGE) -> str:
    """``session3`` as "Session 3" (plain text); a timepoint without a session number as it is."""
    kind, number, _ = session_order(timepoint)
    return ui("dashboard_session_n", language, n=number) if kind == 0 and str(timepoint).startswith("session") \
        else str(timepoint)


def session_check_html(views, language: str = DEFAULT_LANGUAGE) -> str:
    """The end-of-session check: per question, a table of sessions by answers, group counts only.

    ``views`` is ``DashboardViews``: a group smaller than k shows only that; each count is
    privacy's protected count (``count_text``), and no code appears anywhere.
    """
    att = views.attendance
    parts = [paragraph("dashboard_session_check_intro", language, k=att.k)]
    if att.small:
        parts.append(paragraph("dashboard_small_group", language, n=att.joined, k=att.k))
        return "".join(parts)
    checks: tuple[SessionCheckView, ...] = views.session_checks
    if not checks:
        parts.append(paragraph("dashboard_no_session_check", language))
        return "".join(parts)
    inst = load_instrument(SESSION_CHECK)
    for n, item in enumerate(inst.items):
        keys = checks[0].questions[n].answers
        labels = {f"{o.value:g}": pick(o.label, language) for o in inst.response_scale_of(item).options}
        labels[PREFER_NOT] = ui("prefer_not_to_say", language)
        head = "".join(f"<th scope='col'>{esc(labels[key])}</th>" for key in keys)
        rows = []
        for check in checks:
            question = check.questions[n]
            label = f"<th scope='row'>{esc(session_label(check.timepoint, language))}</th>"
            if isinstance(question.counts, SmallGroup):
                text = ui("dashboard_session_check_fewer", language, k=att.k)
                rows.append(f"<tr>{label}<td colspan='{len(keys)}'>{esc(text)}</td></tr>")
                continue
            table = question.counts.table
            cells = "".join(f"<td>{esc(count_text(table.loc[key, 'count'], table.loc[key, 'note'], att.k, language))}</td>"
                            for key in keys)
            rows.append(f"<tr>{label}{cells}</tr>")
        parts.append(f"<h3>{esc(pick(item.text, language))}</h3>")
        parts.append(f"<table class='attune-table'><thead><tr><th scope='col'>{esc(ui('dashboard_session', language))}"
                     f"</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    parts.append(paragraph("dashboard_legend", language, "attune-note", k=att.k, m=att.k - 1))
    return "".join(parts)
