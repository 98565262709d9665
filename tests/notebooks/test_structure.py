"""Every notebook, in every language, is built as notebooks/CONVENTIONS.md says.

One parametrised check per rule over all notebooks (sessions in each language, the demo,
the facilitator dashboard), so a new notebook or language is covered without a new file.
"""

from __future__ import annotations

import ast
import json

import jupytext
import pytest
from nbtools import (
    ALL,
    MAX_BYTES,
    NOTE_HEADING,
    NOTEBOOKS,
    PHONE_LIKE,
    SESSIONS,
    SLIDE_TYPES,
    ident,
    is_note,
    language_of,
    load,
    source,
    tags,
)

every_notebook = pytest.mark.parametrize("path", ALL, ids=ident)
every_session = pytest.mark.parametrize("path", SESSIONS, ids=ident)


def test_seven_sessions_in_each_language():
    for folder in (NOTEBOOKS, NOTEBOOKS / "es"):
        assert sorted(p.name[:2] for p in folder.glob("[0-9][0-9]_*.ipynb")) == [f"0{n}" for n in range(7)], folder


@every_notebook
def test_committed_small_without_widget_state_or_unchecked_outputs(path):
    assert path.stat().st_size < MAX_BYTES
    text = path.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" not in text
    assert "widgets" not in json.loads(text).get("metadata", {}), "saved widget state: strip it before committing"
    for n, cell in enumerate(load(path)["cells"], 1):
        if cell["cell_type"] == "code" and cell.get("outputs"):
            assert "NBVAL_CHECK_OUTPUT" in source(cell), f"cell {n} keeps output without # NBVAL_CHECK_OUTPUT"


@every_notebook
def test_text_pair_is_in_sync(path):
    pair = path.with_suffix(".md")
    assert pair.exists(), f"{ident(path)} has no paired {pair.name}"
    from_md, from_nb = jupytext.read(pair), jupytext.read(path)
    assert from_nb.metadata["jupytext"]["formats"] == "ipynb,md:myst"
    assert len(from_md.cells) == len(from_nb.cells)
    for n, (a, b) in enumerate(zip(from_nb.cells, from_md.cells, strict=True), 1):
        assert (a.cell_type, a.source, a.metadata) == (b.cell_type, b.source, b.metadata), (
            f"cell {n} differs: run jupytext --sync {ident(path)}")


@every_session
def test_title_parameters_and_session_cells(path):
    cells = load(path)["cells"]
    assert cells[0]["cell_type"] == "markdown" and source(cells[0]).startswith("# "), "cell 1 is a markdown title"
    params = cells[1]
    assert params["cell_type"] == "code" and tags(params) == ["parameters"], "cell 2 is tagged 'parameters'"
    assert params["metadata"]["slideshow"]["slide_type"] == "skip"
    assert sum("parameters" in tags(c) for c in cells) == 1
    assigned = {}
    for node in ast.parse(source(params)).body:
        assert isinstance(node, ast.Assign), "the parameters cell only assigns values"
        assigned.update({t.id: ast.literal_eval(node.value) for t in node.targets})
    assert assigned == {"language": language_of(path), "store_path": None, "participant": None, "locale": None}
    lines = source(cells[2]).strip().splitlines()
    assert lines[0] == "from toolkit.widgets.session import Session"
    assert "session = Session(language=language, store_path=store_path, participant=participant, locale=locale)" in lines
    assert lines[-1] == "session.join()"


@every_notebook
def test_every_cell_has_slide_metadata_and_notes_are_speaker_notes(path):
    for n, cell in enumerate(load(path)["cells"], 1):
        slide_type = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if path.stem == "facilitator_dashboard":
            continue  # the dashboard is a tool, not a slide deck
        assert slide_type in SLIDE_TYPES, f"cell {n} has slide_type {slide_type!r}"
        if is_note(cell):
            assert slide_type == "notes", f"facilitator cell {n} must be slide_type 'notes'"


@every_session
def test_facilitator_notes_are_tagged_markdown_with_their_heading(path):
    heading = NOTE_HEADING[language_of(path)]
    cells = load(path)["cells"]
    notes = [c for c in cells if is_note(c)]
    assert notes, "every session has facilitator notes"
    for cell in notes:
        assert cell["cell_type"] == "markdown" and source(cell).startswith(heading)
    for n, cell in enumerate(cells, 1):
        if not is_note(cell):
            assert heading.strip("*") not in source(cell), f"cell {n}: facilitator remarks only in tagged cells"


@every_session
def test_participant_copy_has_no_facilitator_notes(path):
    from toolkit.apps.server import participant_notebook

    copy = participant_notebook(load(path))
    text = json.dumps(copy, ensure_ascii=False)
    assert NOTE_HEADING[language_of(path)].strip("*") not in text
    assert not any(is_note(c) for c in copy["cells"])


@every_session
def test_code_cells_hold_calls_not_logic(path):
    allowed = (ast.Import, ast.ImportFrom, ast.Assign, ast.Expr)
    for n, cell in enumerate(load(path)["cells"], 1):
        if cell["cell_type"] != "code":
            continue
        for node in ast.parse(source(cell)).body:
            assert isinstance(node, allowed), f"cell {n}: logic in a notebook: {ast.unparse(node)[:60]}"


@every_notebook
def test_no_phone_numbers_in_notebooks(path):
    text = "\n".join(source(c) for c in load(path)["cells"])
    found = PHONE_LIKE.search(text)
    assert not found, f"phone-like number {found.group()!r}: it belongs in toolkit/content/crisis_resources.yaml"
