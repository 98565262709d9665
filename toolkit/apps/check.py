"""``attune check``: everything a trainer should know about a workshop before running it.

``check_workshop`` reads a workshop file and returns findings (error or warning, where, what to
do) and a one-line summary. The checks are plain functions over the loaded files; the one
piece of I/O beyond reading them, running the notebooks, is a thin call to
``python -m pytest --nbval-lax`` with a throw-away store (``run_notebooks``), and can be
swapped out or skipped (``--no-run``).

Longer than 400 lines on purpose: one check per thing a trainer edits (workshop file,
instruments, notebooks, translations, contacts, licences), each short, read top to bottom
as the report is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from toolkit.apps.server import FACILITATOR_TAG, participant_notebook
from toolkit.content.datafile import LocatedData, read_yaml
from toolkit.content.text import CONTENT_DIR, UI_DIR, ui_files
from toolkit.errors import DataFileError, Problem
from toolkit.instruments import Instrument, bundled_ids, load_instrument
from toolkit.instruments.loader import BUNDLED_DIR
from toolkit.instruments.model import wording_path
from toolkit.settings import DEFAULT_K, ENV_STORE, LANGUAGE_PATTERN, Workshop, bundled_path, load_workshop

Level = Literal["error", "warning", "info"]
FACILITATOR_MARK = "Facilitator notes"  # how every facilitator note starts (notebooks/CONVENTIONS.md)
CRISIS_FILE = CONTENT_DIR / "crisis_resources.yaml"

#: Calls through which a notebook asks participants to fill in an instrument: a pattern whose
#: group 1 is the instrument as written, or a widget that always uses the same instrument.
INSTRUMENT_CALLS: tuple[tuple[str, str | None], ...] = (
    (r"\.questionnaire\(\s*[\"']([^\"']+)[\"']", None),
    (r"\bguided_plan\(\s*[^,()]+,\s*[\"']([^\"']+)[\"']", None),
    (r"\bPlanForm\(\s*[\"']([^\"']+)[\"']", None),
    (r"\bIStatementBuilder\(", "i_statement"),
    (r"\bEmotionExplorer\(", "emotion_checkin"),
    (r"\b(?:therapist_checklist|TherapistChecklist)\(", "therapist_checklist"),
)


@dataclass(frozen=True)
class Finding:
    level: Level
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def notes(self) -> list[Finding]:
        """What a trainer should know but need not fix (validated wording kept as published)."""
        return [f for f in self.findings if f.level == "info"]

    @property
    def summary(self) -> str:
        notes = f", {_count(len(self.notes), 'note')}" if self.notes else ""
        return f"{_count(len(self.errors), 'error')}, {_count(len(self.warnings), 'warning')}{notes}"

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def __str__(self) -> str:
        return "\n".join([*map(str, self.findings), self.summary])


Runner = Callable[[Workshop, list[Path]], list[Finding]]


def check_workshop(path: str | Path | None = None, *, run: bool = True, runner: Runner | None = None,
                   progress: Callable[[str], None] | None = None) -> Report:
    """Every finding about the workshop at ``path`` (a workshop file or its folder)."""
    try:
        ws = load_workshop(path)
    except DataFileError as exc:
        hint = " (create one with `attune new workshop DIR`)" if any(p.message == "file not found"
                                                                     for p in exc.problems) else ""
        return Report([_from_problem(p, hint) for p in exc.problems])
    findings: list[Finding] = []
    instruments, problems = load_instruments(ws)
    findings += problems
    findings += licence_findings(ws, instruments)
    findings += crisis_findings(ws)
    findings += setting_findings(ws)
    findings += translation_findings(ws, instruments)
    for index, notebook in enumerate(ws.notebooks):
        findings += notebook_findings(ws, index, notebook, instruments)
    if run:
        if progress:
            progress(f"running {len(ws.notebooks)} notebooks (use --no-run to skip this) ...")
        findings += (runner or run_notebooks)(ws, ws.notebooks)
    return Report(by_place(findings))


def by_place(findings: list[Finding]) -> list[Finding]:
    """Grouped by file (in the order first met) and by line or cell within a file, so they read top-down."""
    def split(where: str) -> tuple[str, int]:
        m = re.match(r"^(.*?)(?::(\d+)| \(cell (\d+)\))$", where)
        return (m.group(1), int(m.group(2) or m.group(3))) if m else (where, 0)

    order: dict[str, int] = {}
    for f in findings:
        order.setdefault(split(f.where)[0], len(order))
    return sorted(findings, key=lambda f: (order[split(f.where)[0]], split(f.where)[1]))


# -- instruments --------------------------------------------------------------------------------

def load_instruments(ws: Workshop) -> tuple[dict[str | Path, Instrument], list[Finding]]:
    """Each instrument the workshop names, loaded once; problems in their files, and clashing ids."""
    loaded: dict[str | Path, Instrument] = {}
    findings, first_with_id = [], {}
    for ref in ws.instruments:
        if ref.source in loaded:
            continue
        try:
            inst = load_instrument(ref.source)
        except DataFileError as exc:
            findings += [_from_problem(p) for p in exc.problems]
            continue
        loaded[ref.source] = inst
        if isinstance(ref.source, Path) and inst.id in bundled_ids():
            findings.append(Finding("error", _at(ws, ref.loc), f"{ref.name!r} has the id {inst.id!r} of a bundled "
                                    "instrument: answers are stored by id, so give your file an id of its own"))
        elif inst.id in first_with_id:
            findings.append(Finding("error", _at(ws, ref.loc), f"{ref.name!r} has the id {inst.id!r}, like "
                                    f"{_show(first_with_id[inst.id])}: answers are stored by id, so give it its own id"))
        first_with_id.setdefault(inst.id, ref.source)
    return loaded, findings


def licence_findings(ws: Workshop, instruments: dict[str | Path, Instrument]) -> list[Finding]:
    if ws.spec.use != "commercial":
        return []
    out, seen = [], set()
    for ref in ws.instruments:
        inst = instruments.get(ref.source)
        if inst is None or ref.source in seen:
            continue
        seen.add(ref.source)
        show = f"`attune show {ref.name}`"
        if inst.licence.commercial_use == "not_allowed":
            out.append(Finding("error", _at(ws, ref.loc), f"{inst.id}: its licence does not allow commercial use "
                               f"({show}), and this workshop declares `use: commercial`: leave it out, or use it "
                               "only with the copyright holder's written permission"))
        elif inst.licence.commercial_use == "unclear":
            out.append(Finding("warning", _at(ws, ref.loc), f"{inst.id}: its licence is unclear about commercial use "
                               f"({show}): ask the copyright holder before a paid workshop"))
    return out


# -- settings: support contacts, k, store -------------------------------------------------------

def crisis_findings(ws: Workshop) -> list[Finding]:
    from toolkit.core.support import INTERNATIONAL, crisis_resources

    info = crisis_resources(ws.spec.locale, "en")
    unverified = sum(not r.verified for r in info.resources)
    out = []
    if len(info.warnings) > unverified:  # the first warning says which contacts are used instead
        out.append(Finding("warning", _at(ws, ("locale",)), info.warnings[0]))
    elif info.locale == INTERNATIONAL:
        out.append(Finding("warning", _at(ws, ("locale",)), "participants see international contacts only: name "
                           "the workshop's country (for example en-GB or es-ES) so that they see local services"))
    if not ws.spec.crisis_resources_confirmed:
        out.append(Finding("warning", _at(ws, ("crisis_resources_checked",)),
                           f"the {len(info.resources)} support contacts for {info.locale} are not confirmed "
                           f"({unverified} still marked verified: false in {_show(CRISIS_FILE)}): check each on the "
                           "service's own website, then write the date of your check here"))
    return out


def setting_findings(ws: Workshop) -> list[Finding]:
    out = []
    if ws.spec.k < DEFAULT_K:
        out.append(Finding("warning", _at(ws, ("k",)), f"k is {ws.spec.k}, below the default {DEFAULT_K}: in a "
                           "small group a shown figure comes close to one person's answers"))
    if isinstance(ws.store_path, str):  # an organisation's PostgreSQL
        return out + _url_store_findings(ws, ws.store_path)
    store = ws.store_path.expanduser().resolve()
    if store.is_relative_to(ws.folder.resolve()):
        out.append(Finding("warning", _at(ws, ("store",)), "the store is inside the workshop folder, so answers about "
                           "mental health would travel with the folder when it is copied or shared: keep it "
                           "elsewhere, such as ~/.attune/"))
    return out


def _url_store_findings(ws: Workshop, url: str) -> list[Finding]:
    from urllib.parse import urlsplit

    from toolkit.errors import StoreError
    from toolkit.store.location import as_location, split_postgres_url

    try:
        as_location(url)
        split_postgres_url(url)
    except StoreError as exc:
        return [Finding("error", _at(ws, ("store",)), str(exc))]
    if urlsplit(url).password:
        return [Finding("warning", _at(ws, ("store",)), "the store URL holds a password, which travels with this "
                        "file: remove it and let each facilitator keep theirs in PGPASSWORD or ~/.pgpass")]
    return []


# -- translations -------------------------------------------------------------------------------

def translation_findings(ws: Workshop, instruments: dict[str | Path, Instrument]) -> list[Finding]:
    """Per file, the participant texts that have no translation into the workshop's language.

    A validated instrument's published wording (its ``validated_wording``) is not a missing
    translation: it may only be translated from an official version, so it gets one note, not a warning.
    """
    language = ws.spec.language
    if language == "en":
        return []
    from toolkit.core.support import crisis_resources

    sources: list[tuple[str, LocatedData, Iterable[tuple], Instrument | None]] = [("workshop file", ws.source, [()], None)]
    for source, inst in instruments.items():
        path = BUNDLED_DIR / f"{source}.yaml" if isinstance(source, str) else source
        sources.append((f"instrument {inst.id!r}", read_yaml(path), [()], inst))
    for path in ui_files():
        sources.append((f"UI strings {path.stem}", read_yaml(path), [()], None))
    for path in sorted(CONTENT_DIR.rglob("*.yaml")):
        if path.parent != UI_DIR and path.name != CRISIS_FILE.name:
            sources.append((f"content {path.relative_to(CONTENT_DIR).as_posix()}", read_yaml(path), [()], None))
    used = crisis_resources(ws.spec.locale, language).locale
    sources.append((f"crisis resources for {used}", read_yaml(CRISIS_FILE),
                    [("notice",), ("kinds",), ("locales", used)], None))
    out = []
    for what, located, roots, inst in sources:
        missing = untranslated_locs(located, language, roots)
        published = [loc for loc in missing if inst is not None and inst.is_validated_wording(loc)]
        lines = sorted(located.line_of(loc) or 0 for loc in missing if loc not in published)
        if lines:
            out.append(Finding("warning", f"{_show(located.path)}:{lines[0]}",
                               f"[{language}] {what}: {_count(len(lines), 'text')} with no {language!r} version, shown in "
                               f"English (line{'s' if len(lines) > 1 else ''} {_lines(lines)})"))
        if published:
            first = min(located.line_of(loc) or 0 for loc in published)
            kinds = ", ".join(sorted({wording_path(loc) for loc in published}))
            out.append(Finding("info", f"{_show(located.path)}:{first}",
                               f"[{language}] {what}: validated wording shown in English, as published "
                               f"({_count(len(published), 'text')}: {kinds}): the file has no official {language!r} "
                               "version; add one only from a published translation you can read, with its source "
                               "under verification"))
    return out


def untranslated(located: LocatedData, language: str, roots: Iterable[tuple] = ((),)) -> list[int]:
    """The line of every language map under ``roots`` that lacks ``language`` (or its base language)."""
    return sorted(located.line_of(loc) or 0 for loc in untranslated_locs(located, language, roots))


def untranslated_locs(located: LocatedData, language: str, roots: Iterable[tuple] = ((),)) -> list[tuple]:
    """Where each language map under ``roots`` lacks ``language`` (or its base language) is."""
    base = language.split("-")[0]
    locs = []
    for root in roots:
        node = located.data
        for key in root:
            if isinstance(node, dict):
                node = node.get(key)
            else:
                node = node[key] if isinstance(node, list) and isinstance(key, int) and key < len(node) else None
        for loc, texts in _language_maps(node, root):
            if language not in texts and base not in texts:
                locs.append(loc)
    return locs


def _language_maps(node: Any, loc: tuple) -> Iterable[tuple[tuple, dict]]:
    if isinstance(node, dict):
        if node and "en" in node and all(isinstance(k, str) and re.match(LANGUAGE_PATTERN, k)
                                         and isinstance(v, str) for k, v in node.items()):
            yield loc, node
            return
        for key, value in node.items():
            yield from _language_maps(value, loc + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _language_maps(value, loc + (i,))


# -- notebooks ----------------------------------------------------------------------------------

def notebook_findings(ws: Workshop, index: int, path: Path, instruments: dict[str | Path, Instrument]) -> list[Finding]:
    """Facilitator notes kept from participants, the language set, the instruments used, the text pair."""
    shown = _show(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Finding("error", shown, f"cannot be read as a notebook ({exc})")]
    out = _facilitator_findings(shown, nb)
    out += _language_findings(ws, shown, cells)
    out += _instrument_use_findings(ws, index, path, cells, instruments)
    out += _pair_findings(path)
    return out


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _facilitator_findings(shown: str, nb: dict) -> list[Finding]:
    cells = nb["cells"]
    # A note's heading in this notebook's own language ("**Notas para quien facilita**"), learnt
    # from its tagged notes: the first line of each, when it is bold or a heading.
    firsts = {_source(c).strip().splitlines()[0] for c in cells if FACILITATOR_TAG in _tags(c) and _source(c).strip()}
    marks = {FACILITATOR_MARK} | {h for h in firsts if re.fullmatch(r"\*\*[^*]{4,}\*\*|#+ \S.{3,}", h)}
    out = []
    for n, cell in enumerate(cells, 1):
        if FACILITATOR_TAG in _tags(cell):
            continue
        where = f"{shown} (cell {n})"
        if any(mark in _source(cell) for mark in marks):
            out.append(Finding("error", where, f"a facilitator note is not tagged {FACILITATOR_TAG!r}, so participants "
                               f"would see it: add the tag (in the .md pair: +++ {{\"tags\": [\"{FACILITATOR_TAG}\"]}})"))
        elif cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes":
            out.append(Finding("warning", where, f"a speaker-notes cell without the {FACILITATOR_TAG!r} tag is shown "
                               "to participants: tag it if it is meant for you only"))
    copy = participant_notebook(nb)["cells"]
    if not out and any(FACILITATOR_TAG in _tags(c) or any(m in _source(c) for m in marks) for c in copy):
        out.append(Finding("error", shown, "the participant copy of this notebook still holds facilitator notes"))
    return out


def _language_findings(ws: Workshop, shown: str, cells: list[dict]) -> list[Finding]:
    params = next((c for c in cells if "parameters" in _tags(c)), None)
    if params is None:
        return [Finding("warning", shown, "no cell is tagged 'parameters', so the workshop's settings cannot be "
                        f"passed in (see {bundled_path('notebooks/CONVENTIONS.md')})")]
    m = re.search(r"^language\s*=\s*[\"']([^\"']*)[\"']", _source(params), re.MULTILINE)
    if m and m.group(1) != ws.spec.language:
        return [Finding("warning", shown, f"the parameters cell sets language = {m.group(1)!r}, but the workshop's "
                        f"language is {ws.spec.language!r}: set it there (and in the .md pair), or list notebooks "
                        f"written in {ws.spec.language!r}")]
    return []


def _instrument_use_findings(ws: Workshop, index: int, path: Path, cells: list[dict],
                             instruments: dict[str | Path, Instrument]) -> list[Finding]:
    code = "\n".join(_source(c) for c in cells if c.get("cell_type") == "code")
    used: list[str] = []
    for pattern, fixed in INSTRUMENT_CALLS:
        used += [fixed or m.group(1) for m in re.finditer(pattern, code)]
    refs = [r for r in ws.instruments if r.session == index]
    # What load_instrument finds from the notebook's folder -> how the workshop file names it.
    listed = {r.source if isinstance(r.source, str) else r.source.resolve(): r.name for r in refs}
    own_ids = {instruments[r.source].id: r for r in refs if isinstance(r.source, Path) and r.source in instruments}
    found, out = set(), []
    for name in dict.fromkeys(used):
        key = (path.parent / name).resolve() if ("/" in name or name.endswith((".yaml", ".yml"))) else name
        if key in listed:
            found.add(listed[key])
        elif name in own_ids:
            found.add(own_ids[name].name)
            relative = os.path.relpath(own_ids[name].source, path.parent)
            out.append(Finding("error", _show(path), f"asks for your own instrument by its id {name!r}, which only "
                               f"finds bundled ones: write its path from the notebook's folder, {relative!r}"))
        else:
            out.append(Finding("warning", _at(ws, ("sessions", index, "instruments")),
                               f"{_show(path)} uses instrument {name!r}, which its session does not list"))
    for r in refs:
        if r.name not in found:
            out.append(Finding("warning", _at(ws, r.loc), f"{r.name!r} is listed, but {_show(path)} never asks for it"))
    return out


def _pair_findings(path: Path) -> list[Finding]:
    pair = path.with_suffix(".md")
    if not pair.exists():
        return []
    try:
        import jupytext
    except ImportError:
        return [Finding("warning", _show(pair), "jupytext is not installed, so the text pair was not compared")]
    try:
        same = [c.source for c in jupytext.read(pair).cells] == [c.source for c in jupytext.read(path).cells]
    except Exception as exc:  # jupytext raises many types on a malformed file
        return [Finding("error", _show(pair), f"cannot be read as the notebook's text pair ({exc})")]
    if same:
        return []
    return [Finding("error", _show(path), f"differs from its text pair {pair.name}: run `jupytext --sync "
                    f"{_show(path)}` after editing either one (it keeps the one changed last)")]


# -- running the notebooks (the one shell call) -------------------------------------------------

def run_notebooks(ws: Workshop, notebooks: list[Path]) -> list[Finding]:
    """Run each notebook top to bottom through nbval, answers going to a throw-away store."""
    paths = [p.resolve() for p in notebooks if p.exists()]
    if not paths:
        return []
    with tempfile.TemporaryDirectory(prefix="attune-check-") as tmp:
        env = {**os.environ, **ws.environment(**{ENV_STORE: str(Path(tmp) / "store.sqlite")})}
        root = Path(os.path.commonpath([p.parent for p in paths]))
        cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
               "-q", "-rfE", "--color=no", f"--rootdir={root}", *map(str, paths)]
        done = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
    return nbval_findings(done.stdout + done.stderr, done.returncode, paths)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FAILURE = re.compile(r"^_+ (.+?)::Cell (\d+) _+$", re.MULTILINE)  # one _ a side when the name is long
_SUMMARY = re.compile(r"^=+ short test summary info =+$", re.MULTILINE)


def nbval_findings(output: str, returncode: int, paths: list[Path]) -> list[Finding]:
    """One error per notebook cell that failed, with the last line of its traceback."""
    if returncode == 0:
        return []
    text = _ANSI.sub("", output)
    end = _SUMMARY.search(text)
    body = text[:end.start()] if end else text
    parts = _FAILURE.split(body)
    out = []
    for node, cell, detail in zip(parts[1::3], parts[2::3], parts[3::3], strict=False):
        path = next((p for p in paths if p.as_posix() == node or p.as_posix().endswith("/" + node)), Path(node))
        last = next((ln.strip() for ln in reversed(detail.splitlines()) if ln.strip()), "failed")
        out.append(Finding("error", _cell_place(path, int(cell)), f"stops with an error when run: {last[:300]}"))
    if not out:
        tail = " | ".join(ln for ln in text.strip().splitlines()[-5:])
        out.append(Finding("error", "notebooks", f"could not be run through nbval (exit {returncode}): {tail}. "
                           "Is nbval installed (pip install nbval)? Use --no-run to skip this step"))
    return out


def _cell_place(path: Path, code_index: int) -> str:
    """Where a trainer edits a failing cell: the paired .md's line when there is one, else the notebook's cell."""
    where = f"{_show(path)} (cell {_cell_number(path, code_index)})"
    pair = path.with_suffix(".md")
    try:
        lines = pair.read_text(encoding="utf-8").splitlines()
    except OSError:
        return where
    starts = [n for n, line in enumerate(lines, 1) if line.startswith("```{code-cell}")]
    return f"{_show(pair)}:{starts[code_index]}, {where}" if code_index < len(starts) else where


def _cell_number(path: Path, code_index: int) -> int:
    """nbval counts code cells from 0; people count every cell from 1."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return code_index + 1
    code = [n for n, c in enumerate(cells, 1) if c.get("cell_type") == "code"]
    return code[code_index] if code_index < len(code) else code_index + 1


# -- helpers ------------------------------------------------------------------------------------

def _at(ws: Workshop, loc: tuple) -> str:
    line = ws.source.line_of(loc)
    return f"{_show(ws.source.path)}:{line}" if line else _show(ws.source.path)


def _from_problem(p: Problem, hint: str = "") -> Finding:
    return Finding("error", f"{_show(p.path)}:{p.line}" if p.line else _show(p.path), p.message + hint)


def _show(path: str | Path) -> str:
    """A path relative to the current folder when it is inside it, else as it is."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _lines(lines: list[int], shown: int = 12) -> str:
    text = ", ".join(map(str, lines[:shown]))
    return text + (f" and {len(lines) - shown} more" if len(lines) > shown else "")

