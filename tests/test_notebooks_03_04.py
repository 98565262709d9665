"""Sessions 3 and 4: built as CONVENTIONS.md says, in sync with their text form, and they run.

The run test executes each notebook top to bottom in a fresh kernel, in English and in
Spanish, against a throwaway store (as ``pytest --nbval-lax`` does with ``ATTUNE_STORE``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = [NOTEBOOKS / "03_communication.ipynb", NOTEBOOKS / "04_trauma_resilience.ipynb"]
EXERCISES = {
    "03_communication.ipynb": ["IStatementBuilder(", "SpeakerListenerCard(",
                               'session.questionnaire("csi4", timepoint="pre")'],
    "04_trauma_resilience.ipynb": ["EmotionExplorer(", "GroundingExercise(",
                                   'session.questionnaire("brs", timepoint="pre")'],
}
ids = [p.name for p in PATHS]


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_first_cell_is_a_markdown_title(path):
    first = cells(path)[0]
    assert first["cell_type"] == "markdown" and source(first).startswith("# Session ")


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_second_cell_is_the_tagged_parameters_cell(path):
    params = cells(path)[1]
    assert params["cell_type"] == "code" and tags(params) == ["parameters"]
    assert source(params).splitlines() == ['language = "en"', "store_path = None", "participant = None",
                                           "locale = None"]
    assert params["metadata"]["slideshow"]["slide_type"] == "skip"


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_third_cell_starts_the_session_and_shows_the_join_form(path):
    lines = source(cells(path)[2]).strip().splitlines()
    assert lines[0] == "from toolkit.widgets.session import Session"
    assert ("session = Session(language=language, store_path=store_path, participant=participant, locale=locale)"
            in lines)
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
    for cell in cells(path):
        if "Facilitator notes" in source(cell):
            assert "facilitator" in tags(cell)


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_facilitator_notes_cover_timing_and_safety(path):
    notes = " ".join(source(c) for c in cells(path) if "facilitator" in tags(c)).lower()
    for topic in ("timing", "watch for", "safety", "distressed", "partner", "never"):
        assert topic in notes, topic


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_notebook_calls_its_exercises_and_questionnaire(path):
    code = "\n".join(source(c) for c in cells(path) if c["cell_type"] == "code")
    for call in EXERCISES[path.name]:
        assert call in code
    for line in code.splitlines():
        assert not line.startswith(("def ", "class ", "for ", "if ", "while ")), f"logic in a notebook: {line}"


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_exercise_widgets_get_the_sessions_store_join_form_and_language(path):
    code = "\n".join(source(c) for c in cells(path) if c["cell_type"] == "code")
    for call in re.findall(r"^(?:IStatementBuilder|SpeakerListenerCard|EmotionExplorer|GroundingExercise)\(.*\)$",
                           code, flags=re.MULTILINE):
        assert "session.store, session.join_form" in call and "language=language" in call


def test_session_4_never_asks_for_trauma_details():
    prose = " ".join(source(c) for c in cells(PATHS[1]) if c["cell_type"] == "markdown").lower()
    assert "nobody will be asked about their own" in prose
    assert "describe what happened" not in prose and "tell us about" not in prose


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_every_cited_source_is_listed(path):
    all_cells = cells(path)
    sources = next(source(c) for c in all_cells if source(c).startswith("### Sources"))
    entries = sources.split("\n- ")[1:]
    prose = "\n".join(source(c) for c in all_cells if c["cell_type"] == "markdown" and c is not all_cells[-1])
    citations = re.findall(r"([A-Z][\w'’-]+)(?: et al\.)?,?\s+\(?(\d{4})[ab]?[);]", prose)
    assert len(set(citations)) >= 10
    for name, year in citations:
        assert any(name in entry and year in entry for entry in entries), f"{name} ({year}) is not in the sources"


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
    assert not errors
