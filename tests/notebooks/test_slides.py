"""Each session renders as a reveal.js slide deck, with facilitator notes as speaker notes only."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import SlidesExporter

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_session_renders_as_slides(path):
    nb = nbformat.read(path, as_version=4)
    body, _ = SlidesExporter().from_notebook_node(nb)
    assert body.count("<section") >= 3, "a session should make several slides"
    title = next(c for c in nb.cells if c.cell_type == "markdown").source.splitlines()[0].lstrip("# ").strip()
    assert title.split("·")[0].strip()[:20] in body


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_facilitator_notes_are_speaker_notes_not_slides(path):
    nb = nbformat.read(path, as_version=4)
    notes = [c for c in nb.cells if "facilitator" in c.metadata.get("tags", [])]
    assert all(c.metadata.get("slideshow", {}).get("slide_type") == "notes" for c in notes), (
        "facilitator notes must have slide_type 'notes' so they never show on the projector")
    body, _ = SlidesExporter().from_notebook_node(nb)
    asides = " ".join(re.findall(r'<aside class="notes">(.*?)</aside>', body, flags=re.S))
    assert "Facilitator notes" in asides
