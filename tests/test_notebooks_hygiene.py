"""Every notebook is committed clean, starts the same way, and keeps facilitator notes tagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ALL = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
SESSIONS = [p for p in ALL if p.name[:2].isdigit()]  # English and every other language's sessions
MAX_BYTES = 200 * 1024


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_seven_session_notebooks():
    english = sorted(p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert english == ["00", "01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_notebook_is_small_and_has_no_widget_state(path):
    assert path.stat().st_size < MAX_BYTES
    nb = load(path)
    assert "widgets" not in nb.get("metadata", {}), "saved widget state: strip it before committing"
    assert "application/vnd.jupyter.widget-state+json" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_only_checked_outputs_are_kept(path):
    for cell in load(path)["cells"]:
        if cell["cell_type"] == "code" and cell.get("outputs"):
            assert "NBVAL_CHECK_OUTPUT" in "".join(cell["source"]), (
                f"{path.name}: a cell keeps output without # NBVAL_CHECK_OUTPUT")


@pytest.mark.parametrize("path", SESSIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_session_starts_with_a_tagged_parameters_cell(path):
    cells = load(path)["cells"]
    params = next((c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    assert params is not None and params["cell_type"] == "code"
    source = "".join(params["source"])
    for name in ("language", "store_path", "participant", "locale"):
        assert f"{name} =" in source, f"{path.name}: parameters cell lacks {name}"


@pytest.mark.parametrize("path", SESSIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_session_has_tagged_facilitator_notes(path):
    cells = load(path)["cells"]
    notes = [c for c in cells if "facilitator" in c.get("metadata", {}).get("tags", [])]
    assert notes, f"{path.name} has no facilitator notes"
    untagged = [c for c in cells if "Facilitator notes" in "".join(c["source"]) and c not in notes]
    assert not untagged, f"{path.name}: a facilitator note is not tagged 'facilitator'"


@pytest.mark.parametrize("path", SESSIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_participant_copy_has_no_facilitator_notes(path):
    from toolkit.apps.server import participant_notebook

    copy = participant_notebook(load(path))
    text = json.dumps(copy)
    assert "Facilitator notes" not in text
    assert all("facilitator" not in c.get("metadata", {}).get("tags", []) for c in copy["cells"])


@pytest.mark.parametrize("path", SESSIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_text_pair_is_in_sync(path):
    import jupytext
    pair = path.with_suffix(".md")
    assert pair.exists(), f"{path.name} has no paired {pair.name}"
    from_md = jupytext.read(pair)
    from_nb = jupytext.read(path)
    assert [c.source for c in from_md.cells] == [c.source for c in from_nb.cells]
