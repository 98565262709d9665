"""The welcome, session 1 and session 2 notebooks, and the questionnaire demo.

Checks that each notebook follows notebooks/CONVENTIONS.md (title, tagged parameters cell,
session cell, tagged facilitator notes, slide metadata, no outputs, a ``.md`` twin in sync),
that it runs top to bottom against a throw-away store, and that the care principles of
shared/curriculum.md show in the text: not a diagnosis, not therapy, everything optional,
private support, no attachment types, no hard-coded phone numbers, facts with a source.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SESSION_NOTEBOOKS = ["00_welcome", "01_recognizing", "02_attachment"]
ALL_NOTEBOOKS = SESSION_NOTEBOOKS + ["questionnaire_demo"]
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
MAX_BYTES = 200 * 1024

# Category words for attachment; the notebooks describe positions on two dimensions instead.
TYPE_WORDS = re.compile(r"\b(avoidant|fearful|preoccupied|dismissive|dismissing|secure(ly)?|anxious)\b"
                        r"|\battachment (type|category|categories)\b|\b(anxious|avoidant|secure) (type|style)\b",
                        re.IGNORECASE)
# Applying any such word to the reader, in any cell of any notebook.
YOU_ARE_A_TYPE = re.compile(r"\byou(?:'re| are)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?"
                            r"(avoidant|anxious|secure|fearful|preoccupied|dismissive|dismissing)\b",
                            re.IGNORECASE)
# Phone numbers belong in toolkit/content/crisis_resources.yaml, never in a notebook.
PHONE_LIKE = re.compile(r"\+\d|\b\d{2,5}[ -]\d{3}[ -]\d{3,4}\b|\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"
                        r"|\b(911|999|112|988|000)\b|\b116 ?\d{3}\b")
CITATION = re.compile(r"\(([^()]*?\b(?:19|20)\d\d[a-z]?)\)")


def ipynb(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_facilitator(cell) -> bool:
    return "facilitator" in tags(cell)


def participant_text(nb) -> str:
    """Markdown a participant reads (facilitator notes are stripped by the participant app)."""
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown" and not is_facilitator(c))


def all_text(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells)


def flat(text: str) -> str:
    """Markdown source with line breaks and emphasis removed, for phrase checks."""
    return re.sub(r"\s+", " ", text.replace("**", "").replace("*", ""))


# -- structure (CONVENTIONS.md) ---------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_title_parameters_and_session_cells(name):
    cells = ipynb(name).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), "cell 1 is a markdown title"

    params = cells[1]
    assert params.cell_type == "code" and "parameters" in tags(params), "cell 2 is tagged 'parameters'"
    assert params.metadata["slideshow"]["slide_type"] == "skip"
    assigned = {}
    for node in ast.parse(params.source).body:
        assert isinstance(node, ast.Assign), "the parameters cell only assigns values"
        for target in node.targets:
            assigned[target.id] = ast.literal_eval(node.value)
    assert assigned.get("language") == "en"
    for key in ("store_path", "participant", "locale"):
        assert key in assigned and assigned[key] is None, f"parameters cell defines {key} = None"

    session = cells[2]
    assert session.cell_type == "code"
    assert session.source.startswith("from toolkit.widgets.session import Session")
    assert ("Session(language=language, store_path=store_path, participant=participant, locale=locale)"
            in session.source)
    assert session.source.strip().splitlines()[-1] == "session.join()"


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_every_cell_has_slide_metadata(name):
    for n, cell in enumerate(ipynb(name).cells, start=1):
        slide_type = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        assert slide_type in SLIDE_TYPES, f"cell {n} has slide_type {slide_type!r}"
        if is_facilitator(cell):
            # Speaker notes: never projected for the group.
            assert slide_type == "notes", f"facilitator cell {n} must be slide_type 'notes'"


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_facilitator_notes_are_tagged_markdown(name):
    nb = ipynb(name)
    notes = [c for c in nb.cells if is_facilitator(c)]
    assert notes, "every notebook has facilitator notes"
    for cell in notes:
        assert cell.cell_type == "markdown"
        assert cell.source.startswith("**Facilitator notes**")
    for cell in nb.cells:
        if cell.cell_type == "markdown" and not is_facilitator(cell):
            assert "Facilitator notes" not in cell.source, "facilitator remarks only in tagged cells"


@pytest.mark.parametrize("name", SESSION_NOTEBOOKS)
def test_session_facilitator_notes_cover_timing_prompts_watching_and_safety(name):
    notes = flat("\n".join(c.source for c in ipynb(name).cells if is_facilitator(c))).lower()
    assert re.search(r"timing \(about \d+ minutes\)", notes), "a timing plan"
    assert re.search(r"\d+ min\b", notes), "timings per part"
    assert "prompt" in notes, "discussion prompts"
    assert "watch for" in notes, "what to watch for"
    assert "distressed" in notes, "what to do when someone becomes distressed"
    assert "partner" in notes and "private" in notes, "partner present: private conversations"
    assert "never" in notes and ("results" in notes or "code" in notes), "never ask anyone to share results"


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_committed_without_outputs_or_widget_state(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    assert path.stat().st_size < MAX_BYTES
    nb = ipynb(name)
    assert "widgets" not in nb.metadata
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] or "# NBVAL_CHECK_OUTPUT" in cell.source
            assert cell.execution_count is None


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_markdown_twin_is_in_sync(name):
    nb = ipynb(name)
    assert nb.metadata.get("jupytext", {}).get("formats") == "ipynb,md:myst"
    twin = jupytext.read(NOTEBOOKS / f"{name}.md")
    assert len(twin.cells) == len(nb.cells), "same number of cells"
    for n, (a, b) in enumerate(zip(nb.cells, twin.cells, strict=False), start=1):
        assert a.cell_type == b.cell_type, f"cell {n}: type"
        assert a.source == b.source, f"cell {n}: source differs; run jupytext --sync notebooks/{name}.ipynb"
        assert tags(a) == tags(b), f"cell {n}: tags"
        assert a.metadata.get("slideshow") == b.metadata.get("slideshow"), f"cell {n}: slide metadata"


# -- content and care principles --------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_nobody_is_given_an_attachment_type_and_no_phone_numbers(name):
    nb = ipynb(name)
    text = all_text(nb)
    assert not YOU_ARE_A_TYPE.search(text), YOU_ARE_A_TYPE.search(text)
    assert not PHONE_LIKE.search(text), f"phone-like number {PHONE_LIKE.search(text).group()!r}"


def test_attachment_notebook_speaks_of_positions_not_types():
    nb = ipynb("02_attachment")
    said = participant_text(nb)
    found = TYPE_WORDS.search(said)
    assert not found, f"participant text uses the category word {found.group()!r}"
    words = flat(said)
    for phrase in ("Attachment anxiety", "Attachment avoidance", "two dimensions", "not types",
                   "never a label", "provisional", ".65", "(Fraley et al., 2015)", "Fraley et al., 2011",
                   "Fraley, ECR-RS questionnaire page", "for you alone"):
        assert phrase in words, phrase
    for topic in ("Childhood experiences", "Attachment patterns", "Personal insecurities"):
        assert topic in words, topic
    assert 'session.questionnaire("ecr_rs", timepoint="pre")' in all_text(nb)


def test_welcome_says_what_the_workshop_is_not_and_who_sees_what():
    words = flat(participant_text(ipynb("00_welcome")))
    for phrase in ("psychoeducation", "not therapy", "not a diagnosis", "not a verdict on your partner",
                   "Passing is always fine", "Speak for yourself", "No advice unless someone asks",
                   "Phones on silent", "stays here", "name is never asked for", "Saving is your choice",
                   "Only you see your own results", "at least 5 people", "separate choice",
                   "deleted when the workshop is over", "erase everything", "for you alone",
                   "local support services", "GDPR, art. 9"):
        assert phrase.lower() in words.lower(), phrase


def test_welcome_shows_support_contacts_from_the_toolkit_when_available():
    source = all_text(ipynb("00_welcome"))
    if (ROOT / "toolkit" / "safety.py").exists():
        assert "from toolkit.core.safety import crisis_resources" in source
    assert "crisis_resources.yaml" in source, "a facilitator note says where the numbers live"


def test_recognising_notebook_has_both_exercises_and_the_three_signs():
    nb = ipynb("01_recognizing")
    source = all_text(nb)
    assert 'session.questionnaire("eu_signs", timepoint="session1")' in source
    assert 'session.questionnaire("who5", timepoint="pre")' in source
    words = flat(participant_text(nb))
    for phrase in ("not a diagnosis", "It keeps happening", "Trying does not change it",
                   "It is taking a toll on you", "passing phase", "Skip any question",
                   "never be asked to share", "for you alone", "not the same as blaming"):
        assert phrase in words, phrase


def test_demo_walks_through_join_answer_and_feedback():
    nb = ipynb("questionnaire_demo")
    source = all_text(nb)
    assert "storage_consent=False" in source, "the demo writes nothing to the workshop's store"
    assert 'session.questionnaire("who5"' in source
    assert "form.answer(" in source
    assert "not a diagnosis" in flat(participant_text(nb))


@pytest.mark.parametrize("name", SESSION_NOTEBOOKS)
def test_facts_carry_a_source_listed_at_the_end(name):
    nb = ipynb(name)
    said = participant_text(nb)
    sources = next(c.source for c in nb.cells if "### Sources" in c.source)
    cited = [c for c in CITATION.findall(said) if not c.startswith("pp.")]
    assert cited, "at least one fact with a source in brackets"
    for citation in cited:
        for part in citation.split(";"):
            year = re.search(r"(?:19|20)\d\d", part)
            author = re.search(r"[A-Z][A-Za-z-]+", part)
            if year and author:
                assert author.group() in sources and year.group() in sources, f"({part.strip()}) not in Sources"


# -- running ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_runs_top_to_bottom_against_a_temporary_store(name, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    store = tmp_path / "attune.sqlite"
    monkeypatch.setenv("ATTUNE_STORE", str(store))
    monkeypatch.delenv("ATTUNE_LOCALE", raising=False)
    work = tmp_path / "run"
    work.mkdir()
    shutil.copy(NOTEBOOKS / f"{name}.ipynb", work / f"{name}.ipynb")
    nb = nbformat.read(work / f"{name}.ipynb", as_version=4)

    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()

    for n, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"cell {n}: {output.get('ename')}: {output.get('evalue')}"
            if output.output_type == "stream" and output.name == "stderr":
                assert "Traceback" not in output.text, f"cell {n}: {output.text}"
    assert store.exists(), "the notebook used the store named by ATTUNE_STORE"

    from toolkit.store.sqlite import ResponseStore

    with ResponseStore(store) as opened:
        # Nothing was joined with consent while running, so nothing about anyone was written.
        assert opened.participants().empty
    json.dumps(nb)  # the executed notebook is still valid JSON
