"""Sessions 5 and 6 exercises: plans and the therapist checklist store only with consent, the
approaches and guidance are bilingual data, and the take-home file is private, escaped and offline."""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from toolkit.content.text import pick
from toolkit.instruments import load_instrument, load_instrument_file
from toolkit.instruments.loader import BUNDLED_DIR
from toolkit.widgets import JoinForm

CODE = "amber-fox-42"
XSS = "<img src=x onerror=alert(1)>"
CONTENT = Path(__file__).resolve().parents[2] / "toolkit" / "content" / "exercises"
CONTENT_FILES = [CONTENT / "therapy_approaches.yaml", CONTENT / "first_step.yaml"]
EXERCISES = ["therapist_checklist", "conversation_plan", "action_plan"]


@pytest.fixture
def declined(store):
    join = JoinForm(store)
    assert not join.join(CODE, storage_consent=False)
    return join


# -- the exercise instruments ------------------------------------------------------------------

@pytest.mark.parametrize("instrument_id", EXERCISES)
def test_exercise_file_validates_as_an_unscored_exercise(instrument_id):
    inst = load_instrument_file(BUNDLED_DIR / f"{instrument_id}.yaml")
    assert inst.kind == "exercise"
    assert inst.scales == [] and inst.safety == []
    assert inst.licence.commercial_use == "allowed"


def test_plans_are_free_text_prompts_in_the_curriculum_order():
    assert load_instrument("conversation_plan").item_ids == ["when", "where", "what_to_say", "what_to_ask",
                                                             "if_it_goes_badly"]
    assert load_instrument("action_plan").item_ids == ["next_step", "by_when", "who_can_support", "self_care"]
    for instrument_id in ("conversation_plan", "action_plan"):
        assert {i.type for i in load_instrument(instrument_id).items} == {"free_text"}


def test_therapist_checklist_is_optional_yes_no_with_dont_know():
    inst = load_instrument("therapist_checklist")
    assert all(i.type == "yes_no" and i.allow_dont_know for i in inst.items)
    text = " ".join(i.text["en"] for i in inst.items).lower()
    for topic in ("couples", "trauma", "licensed", "professional body", "experience", "comfortable",
                  "way of working", "cost"):
        assert topic in text, topic


def test_conversation_plan_says_fear_means_individual_specialised_help_first():
    instructions = load_instrument("conversation_plan").instructions["en"].lower()
    assert "afraid" in instructions and "specialised service" in instructions and "on your own" in instructions


def _language_maps(node, where=""):
    """Every {en: ..., ...} mapping in a YAML tree, with where it is."""
    if isinstance(node, dict):
        if "en" in node and all(isinstance(k, str) and re.fullmatch(r"[a-z]{2}(-[A-Z]{2})?", k) for k in node):
            yield where, node
            return
        for key, value in node.items():
            yield from _language_maps(value, f"{where}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _language_maps(value, f"{where}[{n}]")


@pytest.mark.parametrize("path", CONTENT_FILES + [BUNDLED_DIR / f"{i}.yaml" for i in EXERCISES], ids=lambda p: p.name)
def test_every_text_has_english_and_spanish(path):
    maps = list(_language_maps(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert len(maps) >= 10
    for where, texts in maps:
        assert texts.get("en", "").strip() and texts.get("es", "").strip(), f"{path.name}{where} lacks en or es"


@pytest.mark.parametrize("path", CONTENT_FILES, ids=lambda p: p.name)
def test_content_files_load_and_their_keys_are_strings(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def keys(node):
        if isinstance(node, dict):
            for k, v in node.items():
                yield k
                yield from keys(v)
        elif isinstance(node, list):
            for v in node:
                yield from keys(v)

    assert all(isinstance(k, str) for k in keys(data)), "a YAML key was read as a boolean or number: quote it"


# -- guided plans --------------------------------------------------------------------------------

def test_plan_saves_each_answer_with_consent_and_restores_it(store, joined):
    from toolkit.widgets.plan import PlanForm

    plan = PlanForm("conversation_plan", store, joined, "session6")
    plan.answer("when", "Sunday morning, after breakfast")
    plan.answer("what_to_say", XSS)
    assert store.saved_answers(CODE, "conversation_plan", "session6") == {
        "when": "Sunday morning, after breakfast", "what_to_say": XSS}
    again = PlanForm("conversation_plan", store, joined, "session6")
    assert again.answers["when"] == "Sunday morning, after breakfast"


def test_plan_stores_nothing_without_consent(store, declined):
    from toolkit.widgets.plan import PlanForm

    plan = PlanForm("action_plan", store, declined, "session6")
    plan.answer("next_step", "Book a first call")
    result = plan.submit()
    assert result["saved"] is False and result["answers"]["next_step"] == "Book a first call"
    assert store.answers().empty and store.submissions().empty and store.participant(CODE) is None


def test_plan_stores_nothing_before_anyone_joins(store):
    from toolkit.widgets.plan import PlanForm

    plan = PlanForm("action_plan", store, JoinForm(store), "session6")
    plan.answer("next_step", "Talk to my doctor")
    assert store.answers().empty


def test_finishing_a_plan_records_completion_and_shows_it_back_escaped(store, joined):
    from toolkit.widgets.plan import PlanForm

    plan = PlanForm("action_plan", store, joined, "session6")
    plan.answer("next_step", XSS)
    result = plan.submit()
    assert result["saved"] is True
    assert list(store.submissions()["instrument"]) == ["action_plan"]
    recap = plan.results.children[0].value
    assert XSS not in recap and "&lt;img src=x onerror=alert(1)&gt;" in recap
    assert "only you can see this" in recap


def test_a_plan_must_be_an_exercise(store):
    from toolkit.widgets.plan import NotAnExerciseError, PlanForm

    with pytest.raises(NotAnExerciseError, match="questionnaire"):
        PlanForm("phq4", store)


@pytest.mark.parametrize("section", ["opening", "research", "expectations"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_session_6_guidance_renders_in_both_languages(section, language):
    from toolkit.widgets.exercises.planner import first_step_guide, first_step_html

    text = first_step_html(section, language)
    assert "<details>" in text  # its sources
    first_step_guide(section, language)


def test_opening_guidance_puts_safety_first_and_expectations_name_strength():
    from toolkit.widgets.exercises.planner import first_step_html

    opening = first_step_html("opening").lower()
    assert "afraid" in opening and "specialised service" in opening and "couple work is not the right format" in opening
    expectations = first_step_html("expectations").lower()
    assert "therapy is a process" in expectations and "progress takes time" in expectations
    assert "strength" in expectations and "commitment" in expectations


# -- therapy approaches and the therapist checklist ----------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
def test_three_approaches_side_by_side_with_sources(language):
    from toolkit.widgets.exercises.therapy_options import approaches_content, approaches_html

    text = approaches_html(language)
    for approach in approaches_content().approaches:
        assert pick(approach.name, language) in text
    for author in ("Beck", "Epstein", "Johnson", "Shedler", "Flückiger"):
        assert author in text
    for aspect in approaches_content().aspects:
        assert pick(aspect.label, language) in text


def test_comparing_one_aspect_shows_only_that_aspect():
    from toolkit.widgets.exercises.therapy_options import ApproachesComparison, approaches_html

    only_length = approaches_html("en", "length")
    assert "Typical length" in only_length and "What a session looks like" not in only_length
    widget = ApproachesComparison("en")
    widget.aspect.value = "focus"
    assert "What it focuses on" in widget.cards.value and "Typical length" not in widget.cards.value
    with pytest.raises(ValueError):
        approaches_html("en", "price")


def test_approaches_point_to_individual_help_where_there_is_fear():
    from toolkit.widgets.exercises.therapy_options import approaches_html

    text = approaches_html("en").lower()
    assert "afraid of your partner" in text and "individual, specialised support" in text


def test_every_checklist_item_has_a_follow_up_question():
    from toolkit.widgets.exercises.therapy_options import approaches_content

    assert set(approaches_content().checklist.follow_up) == set(load_instrument("therapist_checklist").item_ids)


def test_follow_ups_come_from_no_and_dont_know_only():
    from toolkit.widgets.exercises.therapy_options import checklist_follow_ups

    answers = {"licensed": 0, "accredited": "dont_know", "experienced": 1, "trauma_informed": None,
               "practicalities": "prefer_not_to_say"}
    questions = checklist_follow_ups(answers, "en")
    assert len(questions) == 2
    assert questions[0].startswith("Are you licensed") and "register" in questions[1]
    assert len(checklist_follow_ups(answers, "es")) == 2


def test_checklist_saves_with_consent_and_updates_its_follow_ups(store, joined):
    from toolkit.widgets.exercises.therapy_options import TherapistChecklist

    checklist = TherapistChecklist(store, joined, "session5")
    assert "As you answer" in checklist.follow_ups.value
    checklist.answer("licensed", 0)
    checklist.answer("both_comfortable", "dont_know")
    assert store.saved_answers(CODE, "therapist_checklist", "session5") == {"licensed": 0,
                                                                             "both_comfortable": "dont_know"}
    assert "Are you licensed" in checklist.follow_ups.value
    assert len(checklist.questions) == 2


def test_checklist_stores_nothing_without_consent(store, declined):
    from toolkit.widgets.exercises.therapy_options import TherapistChecklist

    checklist = TherapistChecklist(store, declined, "session5")
    checklist.answer("licensed", 1)
    checklist.submit()
    assert store.answers().empty and store.submissions().empty


def test_all_yes_gets_an_encouraging_note():
    from toolkit.widgets.exercises.therapy_options import follow_ups_html

    answers = {i: 1 for i in load_instrument("therapist_checklist").item_ids}
    assert "You answered yes to every question" in follow_ups_html(answers, "en")


def test_support_contacts_are_escaped_text_without_links():
    from toolkit.widgets.exercises.therapy_options import support_contacts_html

    text = support_contacts_html("en-GB", "en")
    assert "<a " not in text and "<li>" in text


# -- the take-home file ---------------------------------------------------------------------------

class Tags(HTMLParser):
    """Every start tag with its attributes (script bodies are not parsed as tags)."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(document: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(document)
    return parser.tags


PHQ4 = {"phq4_1": 2, "phq4_2": 3, "phq4_3": 1, "phq4_4": 1}  # anxiety 5, depression 2, total 7
PLAN = {"next_step": XSS, "by_when": "Before the end of the month"}


@pytest.fixture(scope="module")
def document():
    from toolkit.render.takehome import build_takehome_html

    return build_takehome_html([("phq4", PHQ4, "session5"), ("action_plan", PLAN, "session6"),
                                ("help_indicators", {"recurring_cycles": 1, "afraid_of_partner": 1}, "session5")],
                               language="en", code=CODE, created="2025-03-01")


def test_takehome_contains_the_participants_scores(document):
    inst = load_instrument("phq4")
    for scale_id, value in (("total", 7), ("anxiety", 5), ("depression", 2)):
        assert f"{pick(inst.scale(scale_id).label)}: {value}" in document
    assert "Situations noticed (0 to 5): 1" in document
    assert CODE in document and "2025-03-01" in document


def test_takehome_contains_the_plan_escaped(document):
    assert "Before the end of the month" in document
    assert XSS not in document
    assert "&lt;img src=x onerror=alert(1)&gt;" in document


def test_takehome_shows_scores_not_single_answers_of_questionnaires(document):
    fear_question = load_instrument("help_indicators").item("afraid_of_partner").text["en"]
    assert fear_question not in document


def test_takehome_says_it_is_private_and_not_a_diagnosis(document):
    from toolkit.render.takehome import build_takehome_html

    assert "for you alone" in document and "not a diagnosis" in document
    spanish = build_takehome_html([("action_plan", PLAN)], language="es")
    assert "solo para ti" in spanish and "no un diagnóstico" in spanish and "<html lang='es'>" in spanish


def test_takehome_embeds_plotly_inline_once(document):
    assert "plotly.js v" in document and "Plotly.newPlot" in document
    assert document.count("* plotly.js v") == 1  # the bundle's licence header: included once
    assert len(document) > 1_000_000
    scripts = [attrs for tag, attrs in tags_of(document) if tag == "script"]
    assert scripts and all("src" not in attrs for attrs in scripts)


def test_takehome_loads_nothing_from_the_network(document):
    for tag, attrs in tags_of(document):
        for name in ("src", "href", "data", "action", "poster", "srcset"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http://", "https://", "//")), f"<{tag} {name}={value!r}>"
        if tag == "link":
            pytest.fail(f"the file links an outside resource: {attrs}")
    assert not re.search(r"<script[^>]*\bsrc\s*=", document, flags=re.IGNORECASE)
    policy = next(attrs["content"] for tag, attrs in tags_of(document)
                  if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy


def test_takehome_is_the_same_file_for_the_same_answers(document):
    from toolkit.render.takehome import build_takehome_html

    again = build_takehome_html([("phq4", PHQ4, "session5"), ("action_plan", PLAN, "session6"),
                                 ("help_indicators", {"recurring_cycles": 1, "afraid_of_partner": 1}, "session5")],
                                language="en", code=CODE, created="2025-03-01")
    assert again == document


def test_takehome_without_results_carries_no_plotly():
    from toolkit.render.takehome import build_takehome_html

    document = build_takehome_html([("action_plan", PLAN)])
    assert "plotly.js v" not in document and "Questions to ask in a first call" in document
    assert "Questions to ask" not in build_takehome_html([("action_plan", PLAN)], include_questions=False)


def test_download_anchor_decodes_back_to_the_document():
    from toolkit.widgets.exercises.takehome_widget import decode_anchor, download_anchor

    document = "<!DOCTYPE html><p>café – ünïcode</p>"
    anchor = download_anchor(document, "Download my summary")
    (tag, attrs), = [t for t in tags_of(anchor) if t[0] == "a"]
    assert attrs["download"] == "attune-summary.html"
    assert attrs["href"].startswith("data:text/html;charset=utf-8;base64,")
    assert base64.b64decode(attrs["href"].split(";base64,", 1)[1]).decode("utf-8") == document
    assert decode_anchor(anchor) == document


def test_takehome_widget_gathers_saved_answers_and_the_page_with_consent(store, joined):
    from toolkit.widgets.exercises.takehome_widget import TakeHomeDownload, decode_anchor
    from toolkit.widgets.plan import PlanForm

    for item, value in PHQ4.items():
        store.record_answer(CODE, "phq4", item, value, timepoint="session5")
    plan = PlanForm("action_plan", store, joined, "session6")
    plan.answer("next_step", XSS)
    widget = TakeHomeDownload(store, joined, forms=[plan], today="2025-03-01")
    document = widget.prepare()
    assert [e.instrument.id for e in widget.entries] == ["phq4", "action_plan"]
    assert "Nervousness and worry (0 to 6): 5" in document and "&lt;img src=x" in document
    assert decode_anchor(widget.link.value) == document
    widget.choose("phq4", False)
    assert "Nervousness and worry" not in widget.document and "plotly.js v" not in widget.document
    assert decode_anchor(widget.link.value) == widget.document


def test_takehome_widget_reads_nothing_saved_without_consent(store, declined):
    from toolkit.widgets.exercises.takehome_widget import TakeHomeDownload
    from toolkit.widgets.plan import PlanForm

    other = JoinForm(store)
    other.join("quiet-owl-17", storage_consent=True)
    for item, value in PHQ4.items():
        store.record_answer("quiet-owl-17", "phq4", item, value, timepoint="session5")
    declined.join("quiet-owl-17", storage_consent=False)  # someone else's code, without consent: nothing is read
    plan = PlanForm("action_plan", store, declined, "session6")
    plan.answer("next_step", "Book a first call")
    widget = TakeHomeDownload(store, declined, forms=[plan])
    document = widget.prepare()
    assert [e.instrument.id for e in widget.entries] == ["action_plan"]
    assert "Book a first call" in document and "PHQ-4" not in document


def test_takehome_widget_with_nothing_to_show_says_so(store):
    from toolkit.widgets.exercises.takehome_widget import TakeHomeDownload

    widget = TakeHomeDownload(store, JoinForm(store))
    assert widget.prepare() == ""
    assert widget.link.value == "" and "nothing to put in the file yet" in widget.status.value


def test_page_copy_replaces_the_saved_copy():
    from toolkit.render.takehome import Entry
    from toolkit.widgets.exercises.takehome_widget import merge_entries

    plan = load_instrument("action_plan")
    saved = [Entry(plan, {"next_step": "old"}, "session6")]
    page = [Entry(plan, {"next_step": "new"}, "session6"), Entry(plan, {}, "other")]
    assert [e.answers["next_step"] for e in merge_entries(saved, page)] == ["new"]


def test_takehome_plane_chart_carries_its_notes_in_text():
    """Beside the attachment plane, the file says which way each axis runs and that the middle is no norm."""
    from toolkit.core.charts import personal_chart_notes
    from toolkit.render.takehome import build_takehome_html

    answers = {f"ecr_rs_{n}": 4 for n in range(1, 10)}
    page = build_takehome_html([("ecr_rs", answers, "pre")], language="en")
    notes = personal_chart_notes("ecr_rs", {"avoidance": 4.0, "anxiety": 4.0}, "en")
    assert notes and all(html.escape(note) in page for note in notes)
