"""The Spanish participant path beyond the notebooks: reflection checklists, widgets, workshop file.

Issue 7: a second complete language for everything a participant sees. The Spanish notebooks
mirror the English ones cell for cell (same code, same tags, same slides; only the parameters
cell's language differs), so every piece of logic stays in ``toolkit/``. Attune's own
checklists carry Spanish for every text; a validated questionnaire gets Spanish only from a
published official translation, recorded in its file, and otherwise stays English-only and
says so. The Spanish notebooks are checked in tests/notebooks/ and run under nbval.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPANISH = ROOT / "notebooks" / "es"
BUNDLED = ROOT / "toolkit" / "instruments" / "bundled"
WORKSHOP = ROOT / "workshops" / "es" / "workshop.yaml"
OWN_CHECKLISTS = ["eu_signs", "help_indicators"]
VALIDATED = ["who5", "phq4", "csi4", "brs", "ecr_rs"]


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
    """The validated wording gets Spanish only from a published official translation, with its source;
    until then it stays English, and the search is recorded. Texts Attune wrote are in Spanish."""
    data = yaml.safe_load((BUNDLED / f"{inst_id}.yaml").read_text(encoding="utf-8"))
    entries = [v for v in data.get("verification", []) if v["fact"] == "Spanish translation"]
    assert len(entries) == 1, f"{inst_id}: record what was found about a Spanish translation"
    entry = entries[0]
    official = [item["text"] for item in data["items"]]
    official += [o["label"] for scale in data["response_scales"] for o in scale["options"] if "label" in o]
    if any("es" in text for text in official):
        assert entry["status"] == "verified" and re.search(r"https?://|doi|\(\d{4}\)", entry["note"]), \
            f"{inst_id}: Spanish texts need the official source, verified"
    else:
        assert entry["status"] == "unverified"
        assert "English-only" in entry["note"] and "2026-11-29" in entry["note"]
        assert "es" not in data["title"]


#: What may be marked as an instrument's published wording; scale and band texts, notes and
#: descriptions are always Attune's own.
PUBLISHED_KINDS = {"title", "instructions", "items.text", "response_scales.options.label",
                   "response_scales.low_label", "response_scales.high_label", "licence.terms", "licence.attribution"}


@pytest.mark.parametrize("inst_id", VALIDATED)
def test_texts_attune_wrote_for_a_validated_questionnaire_are_in_spanish(inst_id):
    """Everything outside the published wording (bands, scale labels and descriptions, adapted notes,
    our instructions, licence sentences we wrote) is the toolkit's own and has Spanish."""
    from toolkit.apps.check import untranslated_locs
    from toolkit.content.datafile import read_yaml
    from toolkit.instruments import load_instrument

    inst = load_instrument(inst_id)
    assert {"items.text", "response_scales.options.label"} <= set(inst.validated_wording) <= PUBLISHED_KINDS
    located = read_yaml(BUNDLED / f"{inst_id}.yaml")
    own = [loc for loc in untranslated_locs(located, "es") if not inst.is_validated_wording(loc)]
    assert own == [], f"{inst_id}: own texts without Spanish at lines {[located.line_of(loc) for loc in own]}"
    for scale in inst.scales:
        assert scale.label["es"] != scale.label["en"]
        for band in scale.bands:
            assert band.feedback["es"] != band.feedback["en"], (inst_id, band.id)
    note = (inst.adapted_wording_note or {}).get("en", "")
    if note.startswith("Toolkit wording"):  # the instruction is Attune's own, so it is in Spanish too
        assert "instructions" not in inst.validated_wording and inst.instructions.get("es"), inst_id


def test_spanish_feedback_uses_decimal_commas_and_no_decimal_points():
    for inst_id in VALIDATED:
        text = (BUNDLED / f"{inst_id}.yaml").read_text(encoding="utf-8")
        spanish = " ".join(re.findall(r"^\s*es: (?:>-\n)?((?:.*\n)*?)(?=^\s*(?:en|es|[a-z_]+):|^\s*-|\Z)", text,
                                      flags=re.MULTILINE))
        spanish = re.sub(r"(?:doi:|https?://)\S+", "", spanish)  # a DOI or address keeps its dots
        assert not re.search(r"\d\.\d", spanish), inst_id
    assert "13,5" in (BUNDLED / "csi4.yaml").read_text(encoding="utf-8")


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
    from toolkit.store.responses import ResponseStore
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
    from toolkit.store.responses import ResponseStore
    from toolkit.widgets import QuestionnaireForm

    form = QuestionnaireForm("help_indicators", ResponseStore(":memory:"), "amber-fox-42", "t", language="es",
                             locale="es-ES")
    form.answer("afraid_of_partner", 1)
    result = form.submit()
    assert result.safety, "a yes to the fear question must show support privately"
    results = "\n".join(_strings(form.results))
    assert "Solo tú puedes ver este mensaje" in results or "solo para ti" in results.lower()
    assert "Your results" not in results


# -- the Spanish workshop ------------------------------------------------------------------------

def test_spanish_workshop_lists_the_spanish_notebooks():
    from toolkit.settings import load_workshop

    ws = load_workshop(WORKSHOP)
    assert ws.spec.language == "es" and ws.spec.locale == "es-ES"
    assert [p.resolve() for p in ws.notebooks] == sorted(p.resolve() for p in SPANISH.glob("0[0-6]_*.ipynb"))
    english = load_workshop(ROOT / "workshop.yaml")
    assert [s.instruments for s in ws.spec.sessions] == [s.instruments for s in english.spec.sessions]


def test_spanish_workshop_check_reports_no_missing_translation_and_one_note_per_validated_questionnaire(monkeypatch):
    """`attune check --no-run`: no errors, no text of ours without Spanish; each validated questionnaire
    gets one note that its published wording stays English, not a missing-translation warning."""
    from toolkit.apps.check import check_workshop

    monkeypatch.chdir(ROOT)
    report = check_workshop(WORKSHOP, run=False)
    assert not report.errors, "\n".join(map(str, report.errors))
    assert not [f for f in report.warnings if f.message.startswith("[es]")], "\n".join(map(str, report.warnings))
    noted = [re.match(r"\[es\] instrument '(\w+)': validated wording shown in English", f.message) for f in report.notes]
    assert sorted(m.group(1) for m in noted if m) == sorted(VALIDATED)
    assert report.summary.endswith(f", {len(VALIDATED)} notes")


# -- support contacts for Spanish-speaking Latin America ------------------------------------------

@pytest.mark.parametrize("locale, numbers", [("es-MX", {"911", "800 911 2000"}),
                                             ("es-AR", {"911", "0800-999-0091", "144"})])
def test_mexico_and_argentina_have_their_own_contacts_marked_verify_before_use(locale, numbers):
    from toolkit.core.support import crisis_resources

    info = crisis_resources(locale, "es")
    assert info.locale == locale and not any("internacional" in w for w in info.warnings[:1])
    assert numbers <= {r.phone for r in info.resources}
    assert {r.kind for r in info.resources} >= {"emergency", "crisis", "partner_violence"}
    for r in info.resources:
        assert not r.verified and r.checked_on.isoformat() == "2026-11-29"
        assert re.search(r"https?://\S+", r.source), f"{r.id}: its source names no stored page"
        assert r.notes and r.hours or r.website, r.id
    raw = yaml.safe_load((ROOT / "toolkit" / "content" / "crisis_resources.yaml").read_text(encoding="utf-8"))
    for entry in raw["locales"][locale]["resources"]:
        for key in ("name", "notes"):
            assert entry[key].get("es") and entry[key].get("en"), (entry["id"], key)
