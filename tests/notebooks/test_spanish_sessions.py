"""What the Spanish sessions say: the same sessions as the English ones, written in Spanish, with the same care.

The Spanish notebooks mirror the English ones cell for cell (same code, tags and slides; only
the parameters cell's language differs), so every piece of logic stays in ``toolkit/``. Their
structure is checked with every other notebook in test_structure.py; they run under nbval.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbtools import NOTEBOOKS, load, source, tags

SPANISH = NOTEBOOKS / "es"

#: Spanish session notebook -> the English one it mirrors.
PAIRS = {
    "00_bienvenida": "00_welcome",
    "01_reconocer": "01_recognizing",
    "02_apego": "02_attachment",
    "03_comunicacion": "03_communication",
    "04_trauma_resiliencia": "04_trauma_resilience",
    "05_buscar_ayuda": "05_seeking_help",
    "06_primer_paso": "06_first_step",
}
#: Category words for people on the attachment plane (as in tests/test_charts.py).
TYPE_WORDS_ES = re.compile(r"\b(segur[oa]s?|ansios[oa]s?|evitativ[oa]s?|evitantes?|temeros[oa]s?|preocupad[oa]s?"
                           r"|huidiz[oa]s?)\b", re.IGNORECASE)
YOU_ARE_A_TYPE_ES = re.compile(r"\beres\s+(?:una?\s+|de\s+tipo\s+|la\s+parte\s+)?(?:persona\s+)?"
                               r"(segur|ansios|evitativ|evitante|temeros|preocupad|huidiz)", re.IGNORECASE)


def spanish(name: str) -> Path:
    return SPANISH / f"{name}.ipynb"


def participant_text(nb: dict) -> str:
    return "\n\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown" and "facilitator" not in tags(c))


# -- the notebooks are there and mirror the English ones ----------------------------------------


@pytest.mark.parametrize("name", PAIRS)
def test_same_cells_as_the_english_notebook(name):
    """Same cell types, tags and slide types in the same order, and the same code apart from language."""
    es, en = load(spanish(name)), load(NOTEBOOKS / f"{PAIRS[name]}.ipynb")
    assert es["metadata"]["kernelspec"] == en["metadata"]["kernelspec"]
    assert es["metadata"]["jupytext"]["formats"] == "ipynb,md:myst"
    assert [(c["cell_type"], c.get("metadata", {})) for c in es["cells"]] == \
        [(c["cell_type"], c.get("metadata", {})) for c in en["cells"]]
    for n, (cell_es, cell_en) in enumerate(zip(es["cells"], en["cells"], strict=False), 1):
        if cell_en["cell_type"] != "code":
            continue
        expected = source(cell_en)
        if "parameters" in tags(cell_en):
            assert 'language = "en"' in expected
            expected = expected.replace('language = "en"', 'language = "es"')
        assert source(cell_es) == expected, f"{name}: code cell {n} differs from {PAIRS[name]} (logic belongs in toolkit/)"



@pytest.mark.parametrize("name", PAIRS)
def test_prose_is_written_in_spanish(name):
    """Every markdown cell was translated: none is left as the English text."""
    es, en = load(spanish(name)), load(NOTEBOOKS / f"{PAIRS[name]}.ipynb")
    for cell_es, cell_en in zip(es["cells"], en["cells"], strict=False):
        if cell_en["cell_type"] == "markdown":
            assert source(cell_es) != source(cell_en)
    assert es["cells"][0]["cell_type"] == "markdown" and source(es["cells"][0]).startswith("# ")




# -- facilitator notes ----------------------------------------------------------------------------


# -- care principles in the Spanish text ---------------------------------------------------------

@pytest.mark.parametrize("name", PAIRS)
def test_no_one_is_called_a_type(name):
    nb = load(spanish(name))
    text = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert not YOU_ARE_A_TYPE_ES.search(text)


def test_attachment_session_speaks_of_positions_not_types():
    said = participant_text(load(spanish("02_apego")))
    found = TYPE_WORDS_ES.search(said)
    assert not found, f"participant text uses the category word {found.group()!r}"
    flat = re.sub(r"\s+", " ", said.replace("*", ""))
    for phrase in ("Ansiedad de apego", "Evitación del apego", "dos dimensiones", "no tipos", "nunca una etiqueta",
                   "provisional", ".65", "(Fraley et al., 2015)", "solo para ti"):
        assert phrase in flat, phrase


@pytest.mark.parametrize("name", PAIRS)
def test_citations_are_kept(name):
    """Every bracketed source of the English participant text is cited in the Spanish one too."""
    def years(nb):
        return set(re.findall(r"\b(?:19|20)\d\d[a-z]?\b", participant_text(nb)))

    assert years(load(NOTEBOOKS / f"{PAIRS[name]}.ipynb")) <= years(load(spanish(name)))


@pytest.mark.parametrize("name", PAIRS)
def test_validated_questionnaires_shown_in_english_are_explained(name):
    """Where a notebook asks for a validated questionnaire without Spanish, participants and the
    facilitator are told that it is shown in English, and why."""
    from toolkit.instruments import load_instrument

    nb = load(spanish(name))
    asked = re.findall(r'questionnaire\("(\w+)"', "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "code"))
    for inst_id in asked:
        inst = load_instrument(inst_id)
        if inst.kind != "validated" or "es" in inst.title:
            continue
        assert "aparece en inglés" in participant_text(nb), f"{name}: participants are not told {inst_id} is in English"
        notes = "\n".join(source(c) for c in nb["cells"] if "facilitator" in tags(c))
        assert f"attune show {inst_id}" in notes and "inglés" in notes, f"{name}: the facilitator is not told about {inst_id}"
