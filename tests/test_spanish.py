"""The Spanish participant path: session notebooks, reflection checklists, widgets, workshop file.

Issue 7: a second complete language for everything a participant sees. The Spanish notebooks
mirror the English ones cell for cell (same code, same tags, same slides; only the parameters
cell's language differs), so every piece of logic stays in ``toolkit/``. Attune's own
checklists carry Spanish for every text; a validated questionnaire gets Spanish only from a
published official translation, recorded in its file, and otherwise stays English-only and
says so. Every Spanish notebook runs from top to bottom against a throw-away store.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SPANISH = NOTEBOOKS / "es"
BUNDLED = ROOT / "toolkit" / "instruments" / "bundled"
WORKSHOP = ROOT / "workshops" / "es" / "workshop.yaml"

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
NOTE_HEADING = "**Notas para quien facilita**"
OWN_CHECKLISTS = ["eu_signs", "help_indicators"]
VALIDATED = ["who5", "phq4", "csi4", "brs", "ecr_rs"]
#: Category words for people on the attachment plane (as in tests/test_charts.py).
TYPE_WORDS_ES = re.compile(r"\b(segur[oa]s?|ansios[oa]s?|evitativ[oa]s?|evitantes?|temeros[oa]s?|preocupad[oa]s?"
                           r"|huidiz[oa]s?)\b", re.IGNORECASE)
YOU_ARE_A_TYPE_ES = re.compile(r"\beres\s+(?:una?\s+|de\s+tipo\s+|la\s+parte\s+)?(?:persona\s+)?"
                               r"(segur|ansios|evitativ|evitante|temeros|preocupad|huidiz)", re.IGNORECASE)
PHONE_LIKE = re.compile(r"\+\d|\b\d{2,5}[ -]\d{3}[ -]\d{3,4}\b|\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"
                        r"|\b(911|999|112|988|000|016|024)\b|\b116 ?\d{3}\b")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def spanish(name: str) -> Path:
    return SPANISH / f"{name}.ipynb"


def participant_text(nb: dict) -> str:
    return "\n\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown" and "facilitator" not in tags(c))


# -- the notebooks are there and mirror the English ones ----------------------------------------

def test_seven_spanish_session_notebooks_and_nothing_else():
    assert sorted(p.stem for p in SPANISH.glob("*.ipynb")) == sorted(PAIRS)
    assert sorted(p.stem for p in SPANISH.glob("*.md")) == sorted(PAIRS)


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
def test_parameters_cell_sets_spanish(name):
    params = [c for c in load(spanish(name))["cells"] if "parameters" in tags(c)]
    assert len(params) == 1
    assert re.search(r'^language = "es"$', source(params[0]), re.MULTILINE)


@pytest.mark.parametrize("name", PAIRS)
def test_prose_is_written_in_spanish(name):
    """Every markdown cell was translated: none is left as the English text."""
    es, en = load(spanish(name)), load(NOTEBOOKS / f"{PAIRS[name]}.ipynb")
    for cell_es, cell_en in zip(es["cells"], en["cells"], strict=False):
        if cell_en["cell_type"] == "markdown":
            assert source(cell_es) != source(cell_en)
    assert es["cells"][0]["cell_type"] == "markdown" and source(es["cells"][0]).startswith("# ")


@pytest.mark.parametrize("name", PAIRS)
def test_no_outputs_and_no_widget_state(name):
    nb = load(spanish(name))
    assert "widgets" not in nb["metadata"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("name", PAIRS)
def test_text_pair_in_sync(name):
    import jupytext

    pair = SPANISH / f"{name}.md"
    assert [c.source for c in jupytext.read(pair).cells] == [c.source for c in jupytext.read(spanish(name)).cells]


# -- facilitator notes ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", PAIRS)
def test_facilitator_notes_are_tagged_and_stripped_for_participants(name):
    from toolkit.apps.server import participant_notebook

    nb = load(spanish(name))
    notes = [c for c in nb["cells"] if "facilitator" in tags(c)]
    assert notes, f"{name} has no facilitator notes"
    for cell in notes:
        assert source(cell).startswith(NOTE_HEADING)
        assert cell["metadata"]["slideshow"]["slide_type"] == "notes"
    untagged = [n for n, c in enumerate(nb["cells"], 1) if NOTE_HEADING.strip("*") in source(c) and c not in notes]
    assert not untagged, f"{name}: cells {untagged} hold a facilitator note without the 'facilitator' tag"
    copy = json.dumps(participant_notebook(nb), ensure_ascii=False)
    assert NOTE_HEADING.strip("*") not in copy and "Facilitator notes" not in copy


# -- care principles in the Spanish text ---------------------------------------------------------

@pytest.mark.parametrize("name", PAIRS)
def test_no_phone_numbers_and_no_one_is_called_a_type(name):
    nb = load(spanish(name))
    text = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    found = PHONE_LIKE.search(text)
    assert not found, f"phone-like number {found.group()!r}: it belongs in crisis_resources.yaml"
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


# -- instruments ---------------------------------------------------------------------------------

@pytest.mark.parametrize("inst_id", OWN_CHECKLISTS)
def test_own_checklists_have_spanish_for_every_text(inst_id):
    from toolkit.apps.check import untranslated
    from toolkit.content.datafile import read_yaml

    path = BUNDLED / f"{inst_id}.yaml"
    assert untranslated(read_yaml(path), "es") == [], f"{path.name}: texts without 'es'"


@pytest.mark.parametrize("inst_id", OWN_CHECKLISTS)
def test_own_checklists_validate_and_keep_their_spanish_care_wording(inst_id):
    from toolkit.instruments import load_instrument

    inst = load_instrument(inst_id)
    assert "no es un test" in inst.instructions["es"].lower() and "diagnóstico" in inst.instructions["es"]
    assert "opcionales" in inst.instructions["es"]
    for band in inst.scales[0].bands:
        assert band.feedback["es"].strip() and band.label["es"].strip()


@pytest.mark.parametrize("inst_id", VALIDATED)
def test_validated_instruments_record_their_spanish_translation_status(inst_id):
    """Spanish only from a published official translation, with its source; else English-only, said so."""
    data = yaml.safe_load((BUNDLED / f"{inst_id}.yaml").read_text(encoding="utf-8"))
    entries = [v for v in data.get("verification", []) if v["fact"] == "Spanish translation"]
    assert len(entries) == 1, f"{inst_id}: record what was found about a Spanish translation"
    entry = entries[0]
    has_spanish = "es" in data["title"]
    if has_spanish:
        assert entry["status"] == "verified" and re.search(r"https?://|doi|\(\d{4}\)", entry["note"]), \
            f"{inst_id}: Spanish texts need the official source, verified"
    else:
        assert entry["status"] == "unverified"
        assert "English-only" in entry["note"]
        # Not even part of the texts: an instrument is either wholly official Spanish or English.
        from toolkit.apps.check import untranslated
        from toolkit.content.datafile import read_yaml
        from toolkit.instruments import load_instrument

        inst = load_instrument(inst_id)
        assert len(untranslated(read_yaml(BUNDLED / f"{inst_id}.yaml"), "es")) > len(inst.items)


# -- widgets -------------------------------------------------------------------------------------

def _strings(widget, seen=None):
    seen = set() if seen is None else seen
    if id(widget) in seen:
        return
    seen.add(id(widget))
    for attr in ("description", "value", "placeholder"):
        value = getattr(widget, attr, None)
        if isinstance(value, str) and value.strip():
            yield value
    yield from getattr(widget, "_options_labels", ()) or ()
    for child in getattr(widget, "children", ()) or ():
        yield from _strings(child, seen)


def test_eu_signs_form_in_spanish_shows_spanish_items_buttons_and_feedback():
    from toolkit.instruments import load_instrument
    from toolkit.store.sqlite import ResponseStore
    from toolkit.widgets import QuestionnaireForm

    inst = load_instrument("eu_signs")
    form = QuestionnaireForm("eu_signs", ResponseStore(":memory:"), "amber-fox-42", "t", language="es")
    shown = list(_strings(form))
    text = "\n".join(shown)
    for item in inst.items:
        assert item.text["es"] in text
        assert item.text["en"] not in text
    assert inst.title["es"] in text and inst.instructions["es"][:60] in text
    assert form.submit_button.description == "Ver mis resultados"
    radio = form.controls[0].control
    assert list(radio._options_labels) == ["Sí", "No", "Prefiero no decirlo"]
    assert form.controls[0].clear_button.description == "Borrar mi respuesta"
    assert "de 7 respondidas" in text

    form.answer("avoids_closeness", 1)
    form.submit()
    results = "\n".join(_strings(form.results))
    assert "Tus resultados (solo tú puedes verlos)" in results
    assert "no un diagnóstico" in results
    band = next(b for b in inst.scales[0].bands if b.id == "few_signs")
    assert band.label["es"] in results
    for english in ("Your results", "Few signs noticed", "Signs noticed", "verdict on anyone"):
        assert english not in results


def test_help_indicators_fear_answer_shows_private_support_in_spanish():
    from toolkit.store.sqlite import ResponseStore
    from toolkit.widgets import QuestionnaireForm

    form = QuestionnaireForm("help_indicators", ResponseStore(":memory:"), "amber-fox-42", "t", language="es",
                             locale="es-ES")
    form.answer("afraid_of_partner", 1)
    result = form.submit()
    assert result["safety"], "a yes to the fear question must show support privately"
    results = "\n".join(_strings(form.results))
    assert "Solo tú puedes ver este mensaje" in results or "solo para ti" in results.lower()
    assert "Your results" not in results


# -- the Spanish workshop ------------------------------------------------------------------------

def test_spanish_workshop_lists_the_spanish_notebooks():
    from toolkit.settings import load_workshop

    ws = load_workshop(WORKSHOP)
    assert ws.spec.language == "es" and ws.spec.locale == "es-ES"
    assert [p.resolve() for p in ws.notebooks] == [spanish(name).resolve() for name in PAIRS]
    english = load_workshop(ROOT / "workshop.yaml")
    assert [s.instruments for s in ws.spec.sessions] == [s.instruments for s in english.spec.sessions]


def test_spanish_workshop_check_reports_only_warnings(monkeypatch):
    """`attune check --no-run`: no errors; texts in English only for validated questionnaires (expected)."""
    from toolkit.apps.check import check_workshop

    monkeypatch.chdir(ROOT)
    report = check_workshop(WORKSHOP, run=False)
    assert not report.errors, "\n".join(map(str, report.errors))
    for finding in report.warnings:
        m = re.match(r"\[es\] instrument '(\w+)'", finding.message)
        if m:
            assert m.group(1) in VALIDATED, f"{m.group(1)} still has texts without Spanish: {finding}"
        assert "parameters cell sets language" not in finding.message


# -- running -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def nbval_run(tmp_path_factory):
    """All Spanish notebooks through nbval-lax once, in a child process, with a throw-away store."""
    tmp = tmp_path_factory.mktemp("spanish-run")
    store = tmp / "store.sqlite"
    report = tmp / "junit.xml"
    env = {**os.environ, "ATTUNE_STORE": str(store), "ATTUNE_LOCALE": "es-ES", "ATTUNE_LANGUAGE": "es"}
    env.pop("ATTUNE_WORKSHOP", None)
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", "-q",
           f"--junitxml={report}", f"--rootdir={SPANISH}", *[str(spanish(name)) for name in PAIRS]]
    done = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
    cases = ET.parse(report).getroot().iter("testcase") if report.exists() else []
    by_notebook: dict[str, list] = {}
    for case in cases:
        notebook = Path(case.get("file") or case.get("classname", "").replace(".", "/")).stem
        key = next((name for name in PAIRS if name in (case.get("file") or "") + case.get("classname", "")), notebook)
        by_notebook.setdefault(key, []).append(case)
    return {"done": done, "store": store, "cases": by_notebook}


@pytest.mark.parametrize("name", PAIRS)
def test_spanish_notebook_runs_top_to_bottom(nbval_run, name):
    done = nbval_run["done"]
    cases = nbval_run["cases"].get(name, [])
    code_cells = [c for c in load(spanish(name))["cells"] if c["cell_type"] == "code"]
    assert len(cases) == len(code_cells), f"{name}: nbval ran {len(cases)} of {len(code_cells)} code cells\n{done.stdout[-3000:]}"
    failed = [c.get("name") for c in cases if c.find("failure") is not None or c.find("error") is not None]
    assert not failed, f"{name}: cells failed: {failed}\n{done.stdout[-3000:]}"


def test_spanish_run_used_the_throw_away_store(nbval_run):
    assert nbval_run["done"].returncode == 0, nbval_run["done"].stdout[-3000:]
    assert nbval_run["store"].exists(), "the notebooks did not open the store named by ATTUNE_STORE"
