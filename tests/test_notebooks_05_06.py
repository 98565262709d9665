"""Sessions 5 and 6: built as CONVENTIONS.md says, in sync with their text form, safe, and they run.

The run test executes each notebook top to bottom in a fresh kernel, in English and in
Spanish, against a throwaway store (as ``pytest --nbval-lax`` does with ``ATTUNE_STORE``).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = [NOTEBOOKS / "05_seeking_help.ipynb", NOTEBOOKS / "06_first_step.ipynb"]
ids = [p.name for p in PATHS]
CALLS = {
    "05_seeking_help.ipynb": ['session.questionnaire("help_indicators", timepoint="session5")',
                              'session.questionnaire("phq4", timepoint="session5")',
                              "approaches(language=language)",
                              'therapist_checklist(session, timepoint="session5")',
                              "support_contacts(session)"],
    "06_first_step.ipynb": ['first_step_guide("opening", language=language)',
                            'guided_plan(session, "conversation_plan", timepoint="session6")',
                            'first_step_guide("research", language=language)',
                            'first_step_guide("expectations", language=language)',
                            'guided_plan(session, "action_plan", timepoint="session6")',
                            "takehome(session, forms=[conversation, action])"],
}


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_first_cell_is_a_markdown_title(path):
    first = cells(path)[0]
    number = int(path.name[:2])
    assert first["cell_type"] == "markdown" and source(first).startswith(f"# Session {number} ")


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_second_cell_is_the_tagged_parameters_cell(path):
    params = cells(path)[1]
    assert params["cell_type"] == "code" and tags(params) == ["parameters"]
    assert source(params).splitlines() == ['language = "en"', "store_path = None", "participant = None", "locale = None"]
    assert params["metadata"]["slideshow"]["slide_type"] == "skip"
    assert sum("parameters" in tags(c) for c in cells(path)) == 1


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_third_cell_starts_the_session_and_shows_the_join_form(path):
    lines = source(cells(path)[2]).strip().splitlines()
    assert lines[0] == "from toolkit.widgets.session import Session"
    assert "session = Session(language=language, store_path=store_path, participant=participant, locale=locale)" in lines
    assert lines[-1] == "session.join()"


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_every_cell_has_slide_metadata(path):
    for cell in cells(path):
        assert cell["metadata"].get("slideshow", {}).get("slide_type"), source(cell)[:60]


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_facilitator_notes_are_tagged_and_start_with_their_heading(path):
    notes = [c for c in cells(path) if "facilitator" in tags(c)]
    assert len(notes) >= 5
    for cell in notes:
        assert cell["cell_type"] == "markdown" and source(cell).startswith("**Facilitator notes**")
        assert cell["metadata"]["slideshow"]["slide_type"] == "notes"
    for cell in cells(path):
        if "Facilitator notes" in source(cell) or "facilitator notes" in source(cell).lower():
            assert "facilitator" in tags(cell), source(cell)[:60]


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_facilitator_notes_cover_timing_prompts_watch_fors_and_safety(path):
    notes = " ".join(source(c) for c in cells(path) if "facilitator" in tags(c)).lower()
    for topic in ("timing", "prompt", "watch for", "safety", "distressed", "partner", "never", "privately"):
        assert topic in notes, topic


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_fear_of_a_partner_points_to_individual_specialised_help_not_couple_work(path):
    notes = " ".join(source(c) for c in cells(path) if "facilitator" in tags(c)).lower()
    notes = re.sub(r"\s+", " ", notes)
    assert "afraid of their partner" in notes or "fear of a partner" in notes
    assert "individual, specialised help" in notes
    assert "couple work is not the right format" in notes or "never** suggest couple work" in notes


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_participant_prose_has_no_facilitator_remarks(path):
    for cell in cells(path):
        if cell["cell_type"] == "markdown" and "facilitator" not in tags(cell):
            assert "Facilitator notes" not in source(cell)
            assert "Prompt:" not in source(cell) and "Watch for" not in source(cell)


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_notebook_calls_its_exercises_and_holds_no_logic(path):
    code_cells = [source(c) for c in cells(path) if c["cell_type"] == "code"]
    code = "\n".join(code_cells)
    for call in CALLS[path.name]:
        assert call in code, call
    allowed = (ast.Import, ast.ImportFrom, ast.Assign, ast.Expr)
    for text in code_cells:
        for node in ast.parse(text).body:
            assert isinstance(node, allowed), f"logic in a notebook: {ast.unparse(node)[:60]}"
            value = getattr(node, "value", None)
            if value is not None:
                assert isinstance(value, (ast.Call, ast.Name, ast.Constant)), ast.unparse(node)


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_every_cited_source_is_listed(path):
    all_cells = cells(path)
    listed = next(source(c) for c in all_cells if "### Sources" in source(c))
    prose = "\n".join(source(c) for c in all_cells if c["cell_type"] == "markdown" and "### Sources" not in source(c))
    citations = re.findall(r"([A-Z][\w'’-]+)(?: et al\.| & [A-Z][\w'’-]+)?,\s+(\d{4})", prose)
    assert citations
    for name, year in citations:
        assert re.search(rf"{re.escape(name)}[^\n]*\n?[^\n]*\({year}\)", listed), f"{name} ({year}) is not listed"


def test_session_5_has_the_reflection_the_private_check_and_the_checklist():
    prose = " ".join(source(c) for c in cells(PATHS[0]) if c["cell_type"] == "markdown" and "facilitator" not in tags(c))
    for phrase in ("not a diagnosis", "only you see", "skip", "afraid of your partner"):
        assert phrase in prose, phrase


def test_session_6_tells_participants_the_file_is_private_and_theirs_to_choose():
    prose = " ".join(source(c) for c in cells(PATHS[1]) if c["cell_type"] == "markdown" and "facilitator" not in tags(c))
    for phrase in ("You choose what goes into it", "save it where only you can open it", "without an internet",
                   "sign of strength and commitment", "progress takes time"):
        assert phrase in prose, phrase


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_committed_without_outputs_or_widget_state_and_small(path):
    assert path.stat().st_size < 200 * 1024
    text = path.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" not in text
    assert "widgets" not in json.loads(text)["metadata"]
    for cell in cells(path):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_text_pair_is_in_sync(path):
    import jupytext

    pair = path.with_suffix(".md")
    assert pair.exists()
    from_md, from_nb = jupytext.read(pair), jupytext.read(path)
    assert from_nb.metadata["jupytext"]["formats"] == "ipynb,md:myst"
    assert [(c.cell_type, c.source, c.metadata) for c in from_md.cells] == \
        [(c.cell_type, c.source, c.metadata) for c in from_nb.cells]


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_notebook_runs_without_error(path, language, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    params = nb.cells[1]
    params.source = params.source.replace('language = "en"', f'language = "{language}"').replace(
        "store_path = None", f"store_path = {str(tmp_path / 's.sqlite')!r}")
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0] if errors else ""
    from toolkit.store.sqlite import ResponseStore

    # Nobody joined while the notebook ran, so nothing about anyone was written.

    with ResponseStore(tmp_path / "s.sqlite") as store:
        assert store.answers().empty and store.participants().empty
