"""Each session renders as a reveal.js slide deck, with facilitator notes as speaker notes only."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import SlidesExporter

FOLDER = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))
ALL_SESSIONS = NOTEBOOKS + sorted((FOLDER / "es").glob("[0-9][0-9]_*.ipynb"))


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


@pytest.mark.parametrize("path", ALL_SESSIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_live_slides_show_no_code_and_start_at_the_title(path):
    """jupyterlab-rise reads the notebook's "rise" metadata: its overlay hides every code input and
    prompt on the slides, and the deck starts at the title whichever cell was selected."""
    nb = nbformat.read(path, as_version=4)
    rise = nb.metadata.get("rise", {})
    assert rise.get("start_slideshow_at") == "beginning"
    assert rise.get("scroll") is True, "long forms must scroll on a slide rather than be cut off"
    assert rise.get("theme") == "white", "the other reveal themes load fonts from the internet"
    overlay = rise.get("overlay", "")
    style = re.fullmatch(r"<style>(.*)\{display: none !important\}</style>", overlay, flags=re.S)
    assert style, overlay
    hidden = {s.strip() for s in style.group(1).split(",")}
    assert {".reveal .jp-CodeCell .jp-Cell-inputWrapper", ".reveal .jp-OutputArea-prompt",
            ".reveal .jp-OutputArea-promptOverlay"} <= hidden
    assert not any("Markdown" in s or s.endswith(".jp-InputArea") for s in hidden), "prose must stay visible"
    assert nb.metadata["jupytext"].get("notebook_metadata_filter") == "rise", "the .md must keep the rise metadata"


def test_english_and_spanish_sessions_present_alike():
    english = {p.name[:2]: nbformat.read(p, as_version=4).metadata.get("rise") for p in NOTEBOOKS}
    spanish = {p.name[:2]: nbformat.read(p, as_version=4).metadata.get("rise") for p in ALL_SESSIONS
               if p.parent.name == "es"}
    assert english == spanish
