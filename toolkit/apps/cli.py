"""The ``attune`` command: a thin layer over the Python API.

Every user mistake surfaces as an ``AttuneError`` with a message that names where it is;
``main`` prints it and exits with the error's status (1 for an invalid data file, 2 for
bad input), so a person never sees a traceback.

Longer than 400 lines on purpose: one short function per command and the one parser that
documents them all; each command's work is imported from the module that does it.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from toolkit.errors import AttuneError, DataFileError
from toolkit.settings import bundled_path

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(func):
        COMMANDS[name] = func
        return func
    return register


# --- questionnaires -------------------------------------------------------------------------

@command("list")
def cmd_list(args: argparse.Namespace) -> int:
    from toolkit.instruments import bundled_ids, load_instrument

    rows = []
    for ident in bundled_ids():
        inst = load_instrument(ident)
        rows.append((inst.id, inst.title["en"], str(len(inst.items)), inst.kind, inst.licence.commercial_use))
    header = ("id", "title", "items", "kind", "commercial use")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
    return 0


@command("show")
def cmd_show(args: argparse.Namespace) -> int:
    from toolkit.core.summary import describe_instrument
    from toolkit.instruments import load_instrument

    print(describe_instrument(load_instrument(args.instrument), language=args.lang))
    return 0


@command("validate")
def cmd_validate(args: argparse.Namespace) -> int:
    from toolkit.instruments import load_instrument_file

    failed = 0
    for path in args.paths:
        try:
            inst = load_instrument_file(path)
        except DataFileError as exc:
            failed += 1
            print(exc, file=sys.stderr)
        else:
            print(f"{path}: ok ({inst.id}, {len(inst.items)} items, {len(inst.scales)} scales)")
    return 1 if failed else 0


@command("score")
def cmd_score(args: argparse.Namespace) -> int:
    from toolkit.apps.responses import read_responses_csv
    from toolkit.core.safety import evaluate
    from toolkit.core.scoring import score
    from toolkit.instruments import load_instrument

    inst = load_instrument(args.instrument)
    responses = read_responses_csv(args.responses)
    result = score(inst, responses, source=args.responses, line_offset=2)
    # Answers typed in from paper get the same care: the highest safety level each row fired.
    result["safety"] = evaluate(inst, responses, result)["level"] if inst.safety else ""
    if args.output:
        result.to_csv(args.output, index=False, float_format="%.10g")
    else:
        result.to_csv(sys.stdout, index=False, float_format="%.10g")
    return 0


# --- the workshop ---------------------------------------------------------------------------

DEFAULT_NOTEBOOKS = bundled_path("notebooks")  # the checkout's notebooks/, or the installed package's copy


def _session_notebooks(folder: Path) -> list[Path]:
    """Participant notebooks: the numbered sessions (never the dashboard or trainer material)."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


@command("serve")
def cmd_serve(args: argparse.Namespace) -> int:
    from toolkit.apps.netinfo import lan_address
    from toolkit.apps.server import ServerError, ServerPlan, qr_text, serve
    from toolkit.settings import resolve_language, resolve_locale, resolve_room, resolve_session, resolve_store_path

    ws = _workshop(args)
    if args.notebooks:
        notebooks = _session_notebooks(Path(args.notebooks))
    else:
        notebooks = ws.notebooks if ws else _session_notebooks(DEFAULT_NOTEBOOKS)
    store = resolve_store_path(args.store, ws)
    choice = None if args.host else lan_address()  # from the interfaces, never the host name
    plan = ServerPlan(notebooks=notebooks, store=store, host=args.host or choice.address, port=args.port,
                      locale=resolve_locale(args.locale, ws), language=resolve_language(args.lang, ws),
                      pool_size=args.pool_size, room=resolve_room(args.room, ws))
    try:
        plan.session = resolve_session(args.session, notebooks, ws)
    except ValueError as exc:
        raise ServerError(str(exc)) from None
    if ws:
        os.environ["ATTUNE_WORKSHOP"] = str(ws.path.resolve())  # kernels read k and texts from it
    # $ATTUNE_TOKEN: how a hub's spawner passes it (a command line is visible to every user of the machine).
    token = args.token or os.environ.get("ATTUNE_TOKEN")
    if token:
        plan.token = token
    if args.base_url:
        plan.base_url = "/" + args.base_url.strip("/") + "/" if args.base_url.strip("/") else "/"
    dashboard = None

    def ready(plan, root):
        nonlocal dashboard
        print(f"Participants join at:\n  {plan.url}\n")
        if choice is not None and choice.loopback_only:
            print("WARNING: this computer is on no network but itself, so no phone can open this link.\n"
                  "  Join the room's Wi-Fi (or start your phone's hotspot and join it), then start again;\n"
                  "  or give the address phones should use with --host ADDRESS.\n", file=sys.stderr)
        elif choice is not None and choice.others:
            shown = ", ".join(f"{address} ({name})" for name, address in choice.others)
            print(f"This computer also has {shown}: if phones cannot open the link, start again with "
                  "--host and one of those.\n")
        print(qr_text(plan.url))
        print(f"Projector page with this QR code: {root / 'join.html'}")
        from toolkit.store.location import shown

        print(f"Answers are stored in {shown(plan.store)}")
        if args.with_dashboard:
            from toolkit.apps.dashboard_server import start_dashboard

            dashboard = start_dashboard(plan.store, _dashboard_folder(args.notebooks, ws),
                                        open_browser=not args.no_browser)
            print(f"Facilitator dashboard (this computer only):\n  {dashboard.url}")
        print("Press Ctrl-C to stop; answers already saved stay in the store.")

    try:
        return serve(plan, on_ready=ready)
    finally:
        if dashboard is not None:
            dashboard.stop()


def _dashboard_folder(notebooks: str | None, ws) -> Path:
    """Where facilitator_dashboard.ipynb is: --notebooks, else beside the workshop's sessions, else the bundled one."""
    from toolkit.apps.dashboard_server import DASHBOARD

    if notebooks:
        return Path(notebooks)
    if ws and ws.notebooks and (ws.notebooks[0].parent / DASHBOARD).is_file():
        return ws.notebooks[0].parent
    return DEFAULT_NOTEBOOKS


def _workshop(args: argparse.Namespace):
    """The workshop file named by --workshop, else ./workshop.yaml when there is one, else None."""
    from toolkit.settings import load_workshop

    if args.workshop:
        return load_workshop(args.workshop)
    return load_workshop(Path("workshop.yaml")) if Path("workshop.yaml").is_file() else None


@command("dashboard")
def cmd_dashboard(args: argparse.Namespace) -> int:
    from toolkit.apps.dashboard_server import start_dashboard
    from toolkit.settings import resolve_store_path

    ws = _workshop(args)
    store = resolve_store_path(args.store, ws)
    if ws:
        os.environ["ATTUNE_WORKSHOP"] = str(ws.path.resolve())
    handle = start_dashboard(store, _dashboard_folder(args.notebooks, ws), open_browser=not args.no_browser)
    print(f"Facilitator dashboard (this computer only):\n  {handle.url}\nPress Ctrl-C to stop.")
    return handle.wait()


@command("present")
def cmd_present(args: argparse.Namespace) -> int:
    import webbrowser

    from toolkit.apps.present import find_session, start_presentation
    from toolkit.settings import resolve_store_path

    ws = _workshop(args)
    folder = Path(args.notebooks) if args.notebooks else DEFAULT_NOTEBOOKS / ("es" if args.lang == "es" else "")
    notebook = find_session(args.session, folder)
    print(f"Running {notebook.name} (the parameters cell first)...", file=sys.stderr)
    presentation = start_presentation(notebook, store=resolve_store_path(args.store, ws), port=args.port)
    print(f"Slides (this computer only):\n  {presentation.url}")
    print(f"The same session as a notebook (facilitator notes included):\n  {presentation.lab_url}")
    print("Keys: Space / Shift-Space next / previous, T speaker notes, F full screen. Ctrl-C to stop.", flush=True)
    if not args.no_browser:
        webbrowser.open(presentation.url)
    return presentation.wait()


@command("export")
def cmd_export(args: argparse.Namespace) -> int:
    from toolkit.store.export import export_store
    from toolkit.store.formats import export_answers

    # Participants were told the records copy uses random numbers and leaves out their own words
    # (docs/privacy.md): say plainly when an export goes further.
    if args.keep_codes:
        print("Note: --keep-codes writes participants' codes, which they were not told an export keeps; "
              "keep this file as private as the store.", file=sys.stderr)
    if args.include_text:
        print("Note: --include-text writes what participants typed in their own words, which they were "
              "told an export leaves out; keep this file as private as the store.", file=sys.stderr)
    if args.format == "csv":
        written = export_store(args.store, args.out, keep_codes=args.keep_codes, include_text=args.include_text)
    else:
        written = export_answers(args.store, args.out, args.format, keep_codes=args.keep_codes,
                                 include_text=args.include_text)
    for path in written:
        print(path)
    return 0


@command("instrument")
def cmd_instrument(args: argparse.Namespace) -> int:
    from toolkit.apps.interchange import run_instrument

    return run_instrument(args)


@command("erase")
def cmd_erase(args: argparse.Namespace) -> int:
    from toolkit.store.responses import open_existing

    with open_existing(args.store) as store:
        removed = store.erase(args.code)
        emptied, kind = store.log_emptied, store.kind
    print(f"erased {removed} rows about {args.code}")
    if not emptied and kind == "postgresql":
        print("Note: the rows are gone from every query. PostgreSQL's autovacuum clears them from the tables' pages "
              "within minutes; the owner of the Attune tables clears every trace at once with `attune db purge URL` "
              "(schedule it after erasures).", file=sys.stderr)
        return 0
    if not emptied:
        print(f"Note: another program (the dashboard or a session page) was reading the store, so the erased "
              f"rows may still be in {args.store}-wal until it closes (the last program to close the store empties "
              "it): stop the workshop server and the dashboard to be sure.", file=sys.stderr)
        return 1
    return 0


@command("db")
def cmd_db(args: argparse.Namespace) -> int:
    from toolkit.store import postgres
    from toolkit.store.location import shown

    if args.action == "setup":
        found = postgres.setup(args.url)
        print(f"{shown(args.url)}: Attune tables at version {postgres.SCHEMA_VERSION} (found "
              f"{found or 'none'}); facilitators' roles join {postgres.GROUP_ROLE} (attune db facilitator)")
    elif args.action == "facilitator":
        if not args.name:
            raise AttuneError("attune db facilitator URL NAME: give the new role's name")
        password = _read_password(args.name)
        postgres.add_facilitator(args.url, args.name, password)
        print(f"{args.name} may now run workshops: postgresql://{args.name}:PASSWORD@HOST/DB?workshop=ID")
    else:
        postgres.purge(args.url)
        print(f"{shown(args.url)}: erased rows cleared from every table and index page")
    return 0


def _read_password(name: str) -> str:
    """A new role's password: typed twice at a terminal, else the first line of standard input."""
    import getpass

    if sys.stdin.isatty():
        first, second = getpass.getpass(f"password for {name}: "), getpass.getpass("again: ")
        if first != second:
            raise AttuneError("the two passwords differ; nothing was created")
    else:
        first = sys.stdin.readline().rstrip("\n")
    if len(first) < 12:
        raise AttuneError("a facilitator's password has at least 12 characters; nothing was created")
    return first


@command("example-data")
def cmd_example_data(args: argparse.Namespace) -> int:
    from toolkit.store.example_data import write_cohort

    for path in write_cohort(Path(args.out), seed=args.seed):
        print(path)
    return 0


# --- adapting a workshop -------------------------------------------------------------------

@command("check")
def cmd_check(args: argparse.Namespace) -> int:
    from toolkit.apps.check import check_workshop

    report = check_workshop(args.workshop, run=not args.no_run, progress=lambda msg: print(msg, file=sys.stderr))
    print(report)
    return report.exit_code


@command("new")
def cmd_new(args: argparse.Namespace) -> int:
    from toolkit.apps.scaffold import new_instrument, new_workshop

    if args.what == "workshop":
        for path in new_workshop(args.folder):
            print(path)
        print(f"Next: edit {Path(args.folder) / 'workshop.yaml'}, then run "
              f"attune check {Path(args.folder) / 'workshop.yaml'}", file=sys.stderr)
    else:
        path = new_instrument(args.id, args.out, force=args.force)
        print(path)
        print(f"Next: write your statements in {path}, then run attune validate {path}", file=sys.stderr)
    return 0


@command("guide")
def cmd_guide(args: argparse.Namespace) -> int:
    from toolkit.apps.guide import write_guide

    print(write_guide(args.out, language=args.lang))
    return 0


@command("handouts")
def cmd_handouts(args: argparse.Namespace) -> int:
    from toolkit.apps.handouts import write_handouts

    for path in write_handouts(args.workshop, args.out):
        print(path)
    return 0


# --- parser ---------------------------------------------------------------------------------

def _room_size(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of participants such as 40, not {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attune",
        description="Attune: questionnaires, scoring and privacy for relationship psychoeducation workshops.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent("""\
            examples:
              attune list
              attune show ecr_rs
              attune validate my_checklist.yaml
              attune score who5 answers.csv -o scores.csv"""),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser("list", help="list the bundled questionnaires and checklists")

    p = sub.add_parser("show", help="show an instrument's items and scoring rules")
    p.add_argument("instrument", help="a bundled id (see 'attune list') or a YAML path")
    p.add_argument("--lang", default="en", help="language of the texts (default: en)")

    p = sub.add_parser("validate", help="check instrument files; one 'path:line: message' per problem")
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = sub.add_parser("score", help="score a CSV of answers (one row per respondent, one column per item)")
    p.add_argument("instrument", help="a bundled id or a YAML path")
    p.add_argument("responses", help="CSV file: optional 'participant' column, one column per item")
    p.add_argument("-o", "--output", help="write the scores here instead of to standard output")

    p = sub.add_parser("serve", help="start the participant web app (Voilà) for phones and laptops in the room")
    p.add_argument("--host", help="address to listen on (default: this machine's LAN address; 127.0.0.1 keeps it local)")
    p.add_argument("--port", type=int, default=8866, help="port (default: 8866)")
    p.add_argument("--store", help="the response store (default: $ATTUNE_STORE or ~/.attune/workshop.sqlite)")
    p.add_argument("--token", help="workshop token participants need (default: $ATTUNE_TOKEN, else a new random one)")
    p.add_argument("--base-url", metavar="PREFIX", help="serve the pages under this URL prefix, for a proxy in front "
                   "(JupyterHub: /user/NAME/SERVER/; default: /)")
    p.add_argument("--room", type=_room_size, help="how many participants may join (default: workshop.yaml's room, else 40); "
                                             "past it the join form asks people to tell the facilitator")
    p.add_argument("--workshop", help="workshop file (default: ./workshop.yaml when present); "
                                      "the options below override what it says")
    p.add_argument("--locale", help="locale for crisis resources, e.g. en-GB, es-ES (default: the workshop's)")
    p.add_argument("--lang", help="language of the participant pages (default: the workshop's, else en)")
    p.add_argument("--notebooks", help="folder of session notebooks (default: the workshop's sessions)")
    p.add_argument("--session", help="today's session, its number such as 01 or its notebook's name (default: "
                                     "workshop.yaml's session): its pages are kept warm for the whole --room")
    p.add_argument("--pool-size", type=int, default=2, help="preheated kernels per notebook (default: 2; with "
                                                            "--session, for the other sessions)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--with-dashboard", action="store_true", help="also start the facilitator dashboard")

    p = sub.add_parser("dashboard", help="open the facilitator dashboard in JupyterLab (this computer only)")
    p.add_argument("--workshop", help="workshop file (default: ./workshop.yaml when present)")
    p.add_argument("--store", help="the response store (default: the workshop's, $ATTUNE_STORE or ~/.attune/workshop.sqlite)")
    p.add_argument("--notebooks", help="folder holding facilitator_dashboard.ipynb (default: beside the workshop's "
                   "sessions, else the one that comes with Attune)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")

    p = sub.add_parser("present", help="present a session as live slides (jupyterlab-rise) on this computer, "
                                       "its code run first")
    p.add_argument("session", help="a session number or name (01, 01_recognizing) or a notebook path")
    p.add_argument("--lang", default="en", help="en (default) or es: which folder a session number is looked up in")
    p.add_argument("--notebooks", help="folder of session notebooks (default: the ones that come with Attune)")
    p.add_argument("--workshop", help="workshop file (default: ./workshop.yaml when present)")
    p.add_argument("--store", help="the response store (default: the workshop's, $ATTUNE_STORE or ~/.attune/workshop.sqlite)")
    p.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")

    p = sub.add_parser("export", help="export consented answers, scores and a codebook as CSV")
    p.add_argument("--store", required=True, help="the response store")
    p.add_argument("--out", required=True, help="folder to write answers.csv, scores.csv, codebook.csv")
    p.add_argument("--keep-codes", action="store_true", help="keep participant codes (default: random export ids)")
    p.add_argument("--include-text", action="store_true", help="include free-text answers (default: left out)")
    p.add_argument("--format", default="csv", choices=("csv", "spss", "stata", "fhir"),
                   help="csv (default); spss or stata: one labelled .sav or .dta per questionnaire; "
                        "fhir: Questionnaires and one QuestionnaireResponse bundle per participant and timepoint")

    from toolkit.apps.interchange import add_instrument_parser

    add_instrument_parser(sub)

    p = sub.add_parser("erase", help="erase every row about one participant code")
    p.add_argument("--store", required=True, help="the response store")
    p.add_argument("code", help="the participant's code, e.g. amber-fox-42")

    p = sub.add_parser("db", help="an organisation's PostgreSQL: set up the tables, add a facilitator, purge erased rows")
    p.add_argument("action", choices=("setup", "facilitator", "purge"),
                   help="setup: create or update the tables (as the database owner); facilitator: add a login "
                        "role that may run workshops (password from the terminal or standard input); purge: clear "
                        "erased rows from every page (as the owner)")
    p.add_argument("url", help="postgresql://ROLE@HOST:PORT/DB of the database owner (no ?workshop= needed)")
    p.add_argument("name", nargs="?", help="facilitator: the new role's name")

    p = sub.add_parser("example-data", help="write the synthetic example cohort (same seed, same files)")
    p.add_argument("--out", default="data", help="folder to write to (default: data)")
    p.add_argument("--seed", type=int, default=20261126, help="random seed (default: 20261126)")

    # adapting a workshop
    p = sub.add_parser("check", help="check a workshop: its file, instruments, translations and notebooks")
    p.add_argument("workshop", nargs="?", default="workshop.yaml",
                   help="the workshop file, or its folder (default: workshop.yaml)")
    p.add_argument("--no-run", action="store_true", help="do not run the notebooks (faster)")

    p = sub.add_parser("new", help="write a starter workshop or instrument to edit")
    new = p.add_subparsers(dest="what", metavar="WHAT")
    new.required = True
    w = new.add_parser("workshop", help="a workshop folder: workshop.yaml, the session notebooks, a README")
    w.add_argument("folder", metavar="DIR", help="a new or empty folder")
    i = new.add_parser("instrument", help="a commented reflection checklist that passes 'attune validate'")
    i.add_argument("id", metavar="ID", help="its id: lower-case letters, digits and _, e.g. couple_checklist")
    i.add_argument("--out", help="file or folder to write to (default: ID.yaml in the current folder)")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = sub.add_parser("guide", help="write the facilitator guide as one printable HTML page (loads nothing from the internet)")
    p.add_argument("--out", required=True, metavar="FILE", help="the HTML file to write, e.g. guide.html")
    p.add_argument("--lang", default="en", help="language of the guide (default: en)")

    p = sub.add_parser("handouts", help="write a print-ready page per session (key points, fill-in sheets, "
                                        "paper questionnaires, support contacts; loads nothing from the internet)")
    p.add_argument("workshop", nargs="?", default=None,
                   help="the workshop file, or its folder (default: ./workshop.yaml, else the one that comes with Attune)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the pages to, e.g. handouts")

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AttuneError as exc:
        print(f"attune {args.command}: {exc}" if not isinstance(exc, DataFileError) else str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
