"""``attune check``: one finding per problem, at the file and line (or cell) to edit, and one summary.

Workshops are built in a temporary folder from copies of the real session notebooks, with one
thing changed per test. Notebooks are not run (``run=False``) except where running them is
the behaviour under test.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from badfile import line_of

from toolkit.apps.check import Finding, Report, check_workshop, nbval_findings, run_notebooks, untranslated
from toolkit.apps.cli import main
from toolkit.apps.scaffold import new_instrument
from toolkit.content.datafile import read_yaml
from toolkit.instruments.loader import BUNDLED_DIR

PROJECT = Path(__file__).resolve().parents[2]
NOTEBOOKS = PROJECT / "notebooks"
DEFAULT_SESSIONS = {
    "00_welcome": ["relationship_safety", "session_check"], "01_recognizing": ["eu_signs", "who5", "session_check"],
    "02_attachment": ["ecr_rs", "session_check"], "03_communication": ["i_statement", "csi4", "session_check"],
    "04_trauma_resilience": ["brs", "emotion_checkin", "session_check"],
    "05_seeking_help": ["help_indicators", "phq4", "therapist_checklist", "session_check"],
    "06_first_step": ["conversation_plan", "action_plan", "who5", "csi4", "brs", "session_check"],
}


def make_workshop(folder: Path, sessions: dict[str, list[str]] | None = None, *, language: str = "en",
                  use: str = "non_commercial", locale: str = "en-GB", checked: str = "2026-11-20",
                  k: int = 5, notebooks: str = "notebooks", pairs: bool = True) -> Path:
    """A workshop folder with copies of the named session notebooks (and their text pairs)."""
    sessions = DEFAULT_SESSIONS if sessions is None else sessions
    (folder / notebooks).mkdir(parents=True, exist_ok=True)
    lines = ["title:", "  en: Our workshop", "  es: Nuestro taller", f"language: {language}", f"locale: {locale}",
             f"crisis_resources_checked: {checked}", f"use: {use}", f"k: {k}",
             "store: ~/.attune/test-check.sqlite", "sessions:"]
    for name, instruments in sessions.items():
        for suffix in (".ipynb", ".md") if pairs else (".ipynb",):
            shutil.copyfile(NOTEBOOKS / f"{name}{suffix}", folder / notebooks / f"{name}{suffix}")
        lines += [f"  - notebook: {notebooks}/{name}.ipynb", f"    instruments: [{', '.join(instruments)}]"]
    path = folder / "workshop.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def edit_notebook(path: Path, change) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    change(nb["cells"])
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def only(report: Report, fragment: str) -> Finding:
    hits = [f for f in report.findings if fragment in f.message]
    assert len(hits) == 1, report
    return hits[0]


def run_cli(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


# --- the shipped workshop and the summary -----------------------------------------------------------


def test_shipped_workshop_has_no_errors_and_two_warnings_about_support_contacts(monkeypatch):
    monkeypatch.chdir(PROJECT)
    report = check_workshop("workshop.yaml", run=False)
    assert report.errors == []
    assert [f.where for f in report.warnings] == [f"workshop.yaml:{line_of(PROJECT / 'workshop.yaml', 'locale: ')}",
                                                  f"workshop.yaml:{line_of(PROJECT / 'workshop.yaml', 'checked: ')}"]
    assert report.summary == "0 errors, 2 warnings" and report.exit_code == 0


def test_cli_prints_one_finding_per_line_and_ends_with_the_summary(capsys, monkeypatch):
    monkeypatch.chdir(PROJECT)
    code, lines, _ = run_cli(capsys, "check", "--no-run")
    assert code == 0
    assert lines[-1] == "0 errors, 2 warnings"
    assert all(": warning: " in line for line in lines[:-1]) and len(lines) == 3


@pytest.mark.parametrize("levels, summary", [
    ([], "0 errors, 0 warnings"), (["error"], "1 error, 0 warnings"),
    (["warning", "error", "error", "warning", "warning"], "2 errors, 3 warnings"),
])
def test_summary_counts_errors_and_warnings(levels, summary):
    report = Report([Finding(level, "x", "m") for level in levels])
    assert report.summary == summary
    assert report.exit_code == (1 if "error" in levels else 0)
    assert str(report).splitlines()[-1] == summary


def test_missing_workshop_file_is_one_error_with_what_to_do(tmp_path, capsys):
    code, lines, _ = run_cli(capsys, "check", str(tmp_path / "workshop.yaml"), "--no-run")
    assert code == 1
    assert lines == [f"{tmp_path / 'workshop.yaml'}: error: file not found (create one with `attune new workshop DIR`)",
                     "1 error, 0 warnings"]


def test_a_bad_workshop_file_gives_its_problems_as_errors(tmp_path):
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs", "who6"]})
    report = check_workshop(path, run=False)
    assert [f.where for f in report.findings] == [f"{path}:{line_of(path, 'who6')}"]
    assert report.findings[0].level == "error" and "unknown instrument 'who6'" in report.findings[0].message


# --- facilitator notes stay with the facilitator ------------------------------------------------


def untag_first_note(cells: list[dict]) -> int:
    n = next(i for i, c in enumerate(cells) if "facilitator" in c["metadata"].get("tags", []))
    cells[n]["metadata"]["tags"].remove("facilitator")
    return n + 1


def test_an_untagged_facilitator_note_is_an_error_naming_the_cell(tmp_path, capsys):
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs", "who5"]})
    notebook = tmp_path / "notebooks" / "01_recognizing.ipynb"
    cell = []
    edit_notebook(notebook, lambda cells: cell.append(untag_first_note(cells)))
    report = check_workshop(path, run=False)
    finding = only(report, "facilitator note is not tagged")
    assert finding.level == "error" and finding.where == f"{notebook} (cell {cell[0]})"
    code, lines, _ = run_cli(capsys, "check", str(path), "--no-run")
    assert code == 1 and lines[-1].startswith("1 error, ")


def test_a_note_in_another_language_is_recognised_by_the_notebooks_own_headings(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]}, pairs=False)
    notebook = tmp_path / "notebooks" / "00_welcome.ipynb"

    def to_spanish(cells):
        for c in cells:
            if "facilitator" in c["metadata"].get("tags", []):
                c["source"] = "".join(c["source"]).replace("**Facilitator notes**", "**Notas para quien facilita**")
        untag_first_note(cells)

    edit_notebook(notebook, to_spanish)
    assert only(check_workshop(path, run=False), "facilitator note is not tagged").level == "error"


def test_untagged_speaker_notes_are_a_warning(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]}, pairs=False)

    def add_notes(cells):
        cells.insert(3, {"cell_type": "markdown", "id": "speaker", "source": "Remember to breathe.",
                         "metadata": {"slideshow": {"slide_type": "notes"}}})

    edit_notebook(tmp_path / "notebooks" / "00_welcome.ipynb", add_notes)
    finding = only(check_workshop(path, run=False), "speaker-notes cell")
    assert finding.level == "warning" and finding.where.endswith("00_welcome.ipynb (cell 4)")


# --- licences against the declared use ---------------------------------------------------------


def test_commercial_workshop_with_an_unclear_licence_gets_a_warning(tmp_path):
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs", "who5"]}, use="commercial")
    report = check_workshop(path, run=False)
    finding = only(report, "who5: its licence is unclear about commercial use")
    assert finding.level == "warning" and finding.where == f"{path}:{line_of(path, 'eu_signs, who5')}"
    assert not any("eu_signs" in f.message for f in report.findings)  # commercial_use: allowed
    assert report.exit_code == 0


def test_non_commercial_workshop_gets_no_licence_finding(tmp_path):
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs", "who5"]})
    assert not [f for f in check_workshop(path, run=False).findings if "licence" in f.message]


def test_commercial_workshop_with_a_non_commercial_instrument_is_an_error(tmp_path):
    own = new_instrument("borrowed", tmp_path / "borrowed.yaml")
    own.write_text(own.read_text().replace("commercial_use: unclear", "commercial_use: not_allowed"))
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs", "who5", "borrowed.yaml"]}, use="commercial")
    edit_notebook(tmp_path / "notebooks" / "01_recognizing.ipynb", lambda cells: cells.append(
        {"cell_type": "code", "id": "own", "metadata": {}, "execution_count": None, "outputs": [],
         "source": 'session.questionnaire("../borrowed.yaml", timepoint="session1")'}))
    report = check_workshop(path, run=False)
    finding = only(report, "borrowed: its licence does not allow commercial use")
    assert finding.level == "error" and report.exit_code == 1


# --- support contacts, k, store ------------------------------------------------------------------


def test_unconfirmed_support_contacts_are_a_warning_at_the_confirmation(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]}, checked="false")
    finding = only(check_workshop(path, run=False), "support contacts for en-GB are not confirmed")
    assert finding.level == "warning" and finding.where == f"{path}:{line_of(path, 'crisis_resources_checked')}"


def test_confirmed_support_contacts_for_a_known_locale_give_no_warning(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]})
    assert check_workshop(path, run=False).findings == []


def test_unknown_locale_is_a_warning_naming_the_known_ones(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]}, locale="fr-FR")
    finding = only(check_workshop(path, run=False), "There are no contacts for locale 'fr-FR'")
    assert finding.level == "warning" and finding.where == f"{path}:{line_of(path, 'locale: fr-FR')}"
    assert "en-GB" in finding.message


def test_k_below_five_is_a_warning(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]}, k=3)
    assert only(check_workshop(path, run=False), "k is 3, below the default 5").level == "warning"


def test_a_store_inside_the_workshop_folder_is_a_warning(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]})
    path.write_text(path.read_text().replace("store: ~/.attune/test-check.sqlite", "store: answers.sqlite"))
    assert only(check_workshop(path, run=False), "the store is inside the workshop folder").level == "warning"


@pytest.mark.parametrize(("store", "level", "says"), [
    ("postgresql://alice@db.example.org/attune?workshop=spring", None, None),
    ("postgresql://alice:hunter2-pw@db.example.org/attune?workshop=spring", "warning", "holds a password"),
    ("postgresql://alice@db.example.org/attune", "error", "name the workshop in the store URL"),
    ("mysql://alice@db.example.org/attune", "error", "not a mysql:// address"),
])
def test_a_postgresql_store_url_is_checked_without_connecting(tmp_path, store, level, says):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]})
    path.write_text(path.read_text().replace("store: ~/.attune/test-check.sqlite", f"store: {store}"))
    report = check_workshop(path, run=False)
    if level is None:
        assert report.findings == []
        return
    finding = only(report, says)
    assert finding.level == level and finding.where == f"{path}:{line_of(path, 'store: ')}"
    assert "hunter2-pw" not in finding.message


# --- instruments named by the workshop and used by the notebooks ---------------------------------


def test_an_invalid_instrument_file_is_reported_at_its_own_line(tmp_path):
    own = new_instrument("ours", tmp_path / "ours.yaml")
    text = own.read_text().replace("    method: count\n", "    method: count\n    weighting: equal\n")
    own.write_text(text)
    path = make_workshop(tmp_path, {"00_welcome": ["ours.yaml"]})
    report = check_workshop(path, run=False)
    finding = only(report, "unknown field 'scales.0.weighting'")
    assert finding.level == "error" and finding.where == f"{own}:{line_of(own, 'weighting')}"


def test_two_instruments_with_one_id_are_an_error(tmp_path):
    new_instrument("ours", tmp_path / "a" / "ours.yaml")
    new_instrument("ours", tmp_path / "b" / "ours.yaml")
    path = make_workshop(tmp_path, {"00_welcome": ["a/ours.yaml", "b/ours.yaml"]})
    assert only(check_workshop(path, run=False), "has the id 'ours'").level == "error"


def test_an_adapted_copy_of_a_bundled_instrument_needs_its_own_id(tmp_path):
    from toolkit.instruments.loader import BUNDLED_DIR

    shutil.copyfile(BUNDLED_DIR / "who5.yaml", tmp_path / "who5_adapted.yaml")
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs", "who5_adapted.yaml"]})
    finding = only(check_workshop(path, run=False), "has the id 'who5' of a bundled instrument")
    assert finding.level == "error" and finding.where == f"{path}:{line_of(path, 'who5_adapted.yaml')}"


def test_notebook_using_an_instrument_its_session_does_not_list_is_a_warning(tmp_path):
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs"]})
    finding = only(check_workshop(path, run=False), "uses instrument 'who5', which its session does not list")
    assert finding.level == "warning"


def test_listed_instrument_the_notebook_never_asks_for_is_a_warning(tmp_path):
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs", "who5", "phq4"]})
    finding = only(check_workshop(path, run=False), "'phq4' is listed, but")
    assert finding.where == f"{path}:{line_of(path, 'phq4')}"


def test_widgets_count_as_using_their_instruments(tmp_path):
    path = make_workshop(tmp_path, {k: DEFAULT_SESSIONS[k] for k in ("03_communication", "04_trauma_resilience",
                                                                      "05_seeking_help")})
    assert check_workshop(path, run=False).findings == []


def test_own_instrument_asked_for_by_id_is_an_error_giving_its_path(tmp_path):
    new_instrument("ours", tmp_path / "checklists" / "ours.yaml")
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs", "who5", "checklists/ours.yaml"]}, pairs=False)
    edit_notebook(tmp_path / "notebooks" / "01_recognizing.ipynb", lambda cells: cells.append(
        {"cell_type": "code", "id": "own", "metadata": {}, "execution_count": None, "outputs": [],
         "source": 'session.questionnaire("ours")'}))
    finding = only(check_workshop(path, run=False), "by its id 'ours'")
    assert finding.level == "error" and "'../checklists/ours.yaml'" in finding.message


# --- notebooks: language and text pair -----------------------------------------------------------


def test_notebook_in_another_language_than_the_workshop_is_a_warning(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]}, language="es")
    finding = only(check_workshop(path, run=False), "the parameters cell sets language = 'en'")
    assert finding.level == "warning" and "'es'" in finding.message


def test_notebook_out_of_step_with_its_text_pair_is_an_error(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]})
    pair = tmp_path / "notebooks" / "00_welcome.md"
    pair.write_text(pair.read_text().replace("Ground rules", "Our ground rules"))
    finding = only(check_workshop(path, run=False), "differs from its text pair 00_welcome.md")
    assert finding.level == "error" and "jupytext --sync" in finding.message


# --- translations, per language ------------------------------------------------------------------


def test_untranslated_gives_the_line_of_each_text_without_the_language(tmp_path):
    path = tmp_path / "texts.yaml"
    path.write_text("a: {en: One, es: Uno}\nb:\n  en: Two\nc:\n  - label: {en: Three, es-MX: Tres}\n"
                    "  - label: {en: Four}\nd: not a text\n", encoding="utf-8")
    located = read_yaml(path)
    assert untranslated(located, "es") == [2, 5, 6]  # es-MX does not stand for es
    assert untranslated(located, "es-MX") == [2, 6]  # but es stands for es-MX
    assert untranslated(located, "de") == [1, 2, 5, 6]
    assert untranslated(located, "de", roots=[("b",), ("c", 1)]) == [2, 6]


def test_english_workshop_reports_no_missing_translations(tmp_path):
    path = make_workshop(tmp_path, {"01_recognizing": ["eu_signs", "who5"]})
    assert not [f for f in check_workshop(path, run=False).findings if f.message.startswith("[")]


def test_german_workshop_lists_untranslated_ui_strings_and_content(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": ["relationship_safety", "session_check"]}, language="de", locale="de-DE")
    messages = [f.message for f in check_workshop(path, run=False).warnings if f.message.startswith("[de]")]
    assert any(m.startswith("[de] UI strings participant: ") for m in messages)
    assert any(m.startswith("[de] content exercises/emotions.yaml: ") for m in messages)
    assert any(m.startswith("[de] workshop file: 1 text with no 'de' version") for m in messages)


def spanish_copy(source: Path, target: Path, extra_cell: str | None = None) -> None:
    """A session notebook and its text pair, with the parameters cell set to Spanish."""
    import jupytext

    target.parent.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(source)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace('language = "en"', 'language = "es"')
    if extra_cell:
        nb.cells.append(jupytext.reads(f"```{{code-cell}}\n{extra_cell}\n```", fmt="md:myst").cells[0])
    jupytext.write(nb, target)
    jupytext.write(nb, target.with_suffix(".md"), fmt="md:myst")


def translate(path: Path, skip: str) -> None:
    """Give every English text a Spanish version, except those under a key named ``skip``."""
    def walk(node, skipped=False):
        if isinstance(node, dict):
            if "en" in node and all(isinstance(v, str) for v in node.values()):
                if not skipped:
                    node["es"] = "ES " + node["en"]
                return
            for k, v in node.items():
                walk(v, skipped or k == skip)
        elif isinstance(node, list):
            for v in node:
                walk(v, skipped)

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    walk(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_spanish_four_session_workshop_reports_missing_translations_as_warnings(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "instrument", "pareja", "--out", "checklists/"]) == 0
    translate(tmp_path / "checklists" / "pareja.yaml", skip="bands")
    uses = 'session.questionnaire("../../checklists/pareja.yaml", timepoint="session1")'
    for name in ("00_welcome", "01_recognizing", "05_seeking_help", "06_first_step"):
        spanish_copy(NOTEBOOKS / f"{name}.ipynb", tmp_path / "notebooks" / "es" / f"{name}.ipynb",
                     uses if name == "01_recognizing" else None)
    (tmp_path / "workshop.yaml").write_text("""\
title: {en: Closer together, es: Más cerca}
language: es
locale: es-ES
crisis_resources_checked: 2026-11-20
use: non_commercial
sessions:
  - notebook: notebooks/es/00_welcome.ipynb
    instruments: [relationship_safety, session_check]
  - notebook: notebooks/es/01_recognizing.ipynb
    instruments: [eu_signs, who5, checklists/pareja.yaml, session_check]
  - notebook: notebooks/es/05_seeking_help.ipynb
    instruments: [help_indicators, phq4, therapist_checklist, session_check]
  - notebook: notebooks/es/06_first_step.ipynb
    instruments: [conversation_plan, action_plan, who5, csi4, brs, session_check]
""", encoding="utf-8")

    report = check_workshop("workshop.yaml", run=False)
    assert report.errors == [], report
    assert report.warnings and all(f.message.startswith("[es] ") for f in report.warnings), report
    pareja = only(report, "instrument 'pareja'")
    bands = [n for n, line in enumerate((tmp_path / "checklists" / "pareja.yaml").read_text().splitlines(), 1)
             if line.lstrip().startswith(("label:", "feedback:")) and n > line_of(tmp_path / "checklists/pareja.yaml",
                                                                                    "bands:")]
    assert pareja.where == f"checklists/pareja.yaml:{bands[0]}"
    assert pareja.message.startswith("[es] instrument 'pareja': 4 texts with no 'es' version, shown in English")
    assert pareja.message.endswith(f"(lines {', '.join(map(str, bands))})")
    # the bundled validated questionnaires: their own texts are in Spanish, their published wording is a note
    assert not [f for f in report.warnings if "instrument 'who5'" in f.message]
    who5 = only(report, "instrument 'who5': validated wording shown in English")
    assert who5.level == "info" and "items.text" in who5.message and "bands" not in who5.message
    notes = len(report.notes)
    assert notes == 4  # who5, phq4, csi4, brs
    code, lines, _ = run_cli(capsys, "check", "--no-run")
    assert code == 0 and lines[-1] == "0 errors, 1 warning, 4 notes"  # pareja's untranslated bands

    edit_notebook(tmp_path / "notebooks" / "es" / "05_seeking_help.ipynb", untag_first_note)
    code, lines, _ = run_cli(capsys, "check", "--no-run")
    assert code == 1 and lines[-1] == "1 error, 1 warning, 4 notes"


def test_validated_wording_without_the_language_is_a_note_and_the_rest_a_warning(tmp_path):
    """Only the paths an instrument names under validated_wording are excused; one own text still warns."""
    data = yaml.safe_load((BUNDLED_DIR / "brs.yaml").read_text(encoding="utf-8"))
    data["id"] = "resilience_copy"
    del data["scales"][0]["bands"][0]["feedback"]["es"]
    copy = tmp_path / "brs_copy.yaml"
    copy.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    path = make_workshop(tmp_path, {"04_trauma_resilience": ["brs_copy.yaml"]}, language="es", locale="es-ES")
    findings = [f for f in check_workshop(path, run=False).findings if "'resilience_copy'" in f.message]
    assert [f.level for f in findings] == ["info", "warning"], findings
    note, warning = findings
    assert "(13 texts: instructions, items.text, response_scales.options.label, title)" in note.message
    assert "1 text with no 'es' version" in warning.message
    assert warning.where.endswith(f"brs_copy.yaml:{read_yaml(copy).line_of(('scales', 0, 'bands', 0, 'feedback'))}")


# --- running the notebooks ----------------------------------------------------------------------


def test_no_run_skips_the_runner_and_run_hands_it_every_session_notebook(tmp_path):
    path = make_workshop(tmp_path, {"00_welcome": DEFAULT_SESSIONS["00_welcome"],
                                    "02_attachment": DEFAULT_SESSIONS["02_attachment"]})
    calls = []
    fake = lambda ws, notebooks: calls.append(notebooks) or [Finding("error", "x", "failed")]  # noqa: E731
    assert check_workshop(path, run=False, runner=fake).errors == [] and calls == []
    assert check_workshop(path, runner=fake).summary == "1 error, 0 warnings"
    assert calls == [[tmp_path / "notebooks" / "00_welcome.ipynb", tmp_path / "notebooks" / "02_attachment.ipynb"]]


NBVAL_OUTPUT = """\
.F                                                                       [100%]
=================================== FAILURES ===================================
___________________________ work/notebooks/es/01_x.ipynb::Cell 1 ___________________________
\x1b[91mNotebook cell execution failed\x1b[0m
Cell 1: Cell execution caused an exception

Traceback:
\x1b[31mValueError\x1b[39m                                Traceback (most recent call last)
\x1b[31mValueError\x1b[39m: boom here

=========================== short test summary info ============================
FAILED work/notebooks/es/01_x.ipynb::Cell 1 - Notebook cell execution failed
1 failed, 1 passed in 5.57s
"""


def test_nbval_failures_become_errors_at_the_notebook_cell(tmp_path):
    notebook = tmp_path / "work" / "notebooks" / "es" / "01_x.ipynb"
    other = tmp_path / "work" / "notebooks" / "01_x.ipynb"
    notebook.parent.mkdir(parents=True)
    cells = [{"cell_type": "markdown", "source": "# t", "metadata": {}}] + [
        {"cell_type": "code", "source": f"x = {i}", "metadata": {}, "outputs": [], "execution_count": None}
        for i in range(2)]
    notebook.write_text(json.dumps({"cells": cells}))
    findings = nbval_findings(NBVAL_OUTPUT, 1, [other, notebook])
    assert findings == [Finding("error", f"{notebook} (cell 3)", "stops with an error when run: ValueError: boom here")]
    assert nbval_findings("", 0, [notebook]) == []
    # A trainer edits the paired text form: the error names its line first
    notebook.with_suffix(".md").write_text("# t\n\n```{code-cell}\nx = 0\n```\n\n```{code-cell}\nx = 1\n```\n")
    findings = nbval_findings(NBVAL_OUTPUT, 1, [other, notebook])
    assert findings[0].where == f"{notebook.with_suffix('.md')}:7, {notebook} (cell 3)"


def test_nbval_that_cannot_run_is_one_error_saying_how_to_skip(tmp_path):
    findings = nbval_findings("ERROR: unrecognized arguments: --nbval-lax\n", 4, [tmp_path / "a.ipynb"])
    assert len(findings) == 1 and "--no-run" in findings[0].message and "exit 4" in findings[0].message


@pytest.mark.slow
def test_running_reports_the_failing_cell_and_passes_the_workshop_settings(tmp_path):
    import nbformat

    def notebook(name: str, *sources: str) -> Path:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t")]
                                      + [nbformat.v4.new_code_cell(s) for s in sources])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = tmp_path / "notebooks" / name
        path.parent.mkdir(exist_ok=True)
        nbformat.write(nb, path)
        return path

    good = notebook("00_good.ipynb", "import os\nassert os.environ['ATTUNE_LOCALE'] == 'en-GB'\n"
                                     "assert os.environ['ATTUNE_STORE'] != os.path.expanduser('~/.attune/test-check.sqlite')")
    bad = notebook("01_bad.ipynb", "x = 1", "raise ValueError('this session stops here')")
    path = make_workshop(tmp_path, {})
    path.write_text(path.read_text() + f"  - notebook: {good.relative_to(tmp_path)}\n"
                                       f"  - notebook: {bad.relative_to(tmp_path)}\n")
    from toolkit.settings import load_workshop

    ws = load_workshop(path)
    findings = run_notebooks(ws, ws.notebooks)
    assert findings == [Finding("error", f"{bad} (cell 3)",
                                "stops with an error when run: ValueError: this session stops here")]
    assert sys.executable  # the runner uses this interpreter's nbval
