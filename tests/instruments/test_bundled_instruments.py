"""The bundled questionnaire files say exactly what the reference says.

Expected values are written out by hand from shared/instruments.md (section named in each
comment) so that a change to a YAML file cannot silently change what participants read or
how a score is banded. No scoring is tested here.
"""

from __future__ import annotations

import math

import pytest
from pydantic import BaseModel

from toolkit.instruments import bundled_ids, load_instrument
from toolkit.instruments.model import AnyOf, Condition, Instrument

VALIDATED = ["who5", "phq4", "csi4", "brs", "ecr_rs"]
REFLECTION = ["eu_signs", "help_indicators"]
#: The project's own non-scored end-of-session check (issue 12); its content is tested in test_dashboard.py.
SESSION_CHECK = ["session_check"]
ALL = VALIDATED + REFLECTION + SESSION_CHECK

# --- Response options -------------------------------------------------------------------
# instruments.md 1 "Response options"
WHO5_OPTIONS = [
    (5, "All of the time"),
    (4, "Most of the time"),
    (3, "More than half of the time"),
    (2, "Less than half of the time"),
    (1, "Some of the time"),
    (0, "At no time"),
]
# instruments.md 2 "Response options"
PHQ4_OPTIONS = [(0, "Not at all"), (1, "Several days"), (2, "More than half the days"), (3, "Nearly every day")]
# instruments.md 3 "Items, response options and values"
CSI4_HAPPINESS = [
    (0, "Extremely Unhappy"),
    (1, "Fairly Unhappy"),
    (2, "A Little Unhappy"),
    (3, "Happy"),
    (4, "Very Happy"),
    (5, "Extremely Happy"),
    (6, "Perfect"),
]
CSI4_TRUE = [
    (0, "Not at all TRUE"),
    (1, "A little TRUE"),
    (2, "Somewhat TRUE"),
    (3, "Mostly TRUE"),
    (4, "Almost Completely TRUE"),
    (5, "Completely TRUE"),
]
CSI4_EXTENT = [
    (0, "Not at all"),
    (1, "A little"),
    (2, "Somewhat"),
    (3, "Mostly"),
    (4, "Almost Completely"),
    (5, "Completely"),
]
# instruments.md 4 "Response options"
BRS_OPTIONS = [(1, "Strongly Disagree"), (2, "Disagree"), (3, "Neutral"), (4, "Agree"), (5, "Strongly Agree")]
# instruments.md 5 "Response options": intermediate points 2-6 have no label
ECR_OPTIONS = [(1, "Strongly disagree"), (2, None), (3, None), (4, None), (5, None), (6, None), (7, "Strongly agree")]

# --- Items: (id, exact text, reverse-keyed, options) --------------------------------------
EXPECTED_ITEMS = {
    # instruments.md 1 "Items (published order)"; no reverse keys
    "who5": [
        ("who5_1", "I have felt cheerful and in good spirits", False, WHO5_OPTIONS),
        ("who5_2", "I have felt calm and relaxed", False, WHO5_OPTIONS),
        ("who5_3", "I have felt active and vigorous", False, WHO5_OPTIONS),
        ("who5_4", "I woke up feeling fresh and rested", False, WHO5_OPTIONS),
        ("who5_5", "My daily life has been filled with things that interest me", False, WHO5_OPTIONS),
    ],
    # instruments.md 2 "Items"; no reverse keys
    "phq4": [
        ("phq4_1", "Feeling nervous, anxious or on edge", False, PHQ4_OPTIONS),
        ("phq4_2", "Not being able to stop or control worrying", False, PHQ4_OPTIONS),
        ("phq4_3", "Feeling down, depressed, or hopeless", False, PHQ4_OPTIONS),
        ("phq4_4", "Little interest or pleasure in doing things", False, PHQ4_OPTIONS),
    ],
    # instruments.md 3 "Items, response options and values"; every item positively keyed
    "csi4": [
        ("csi4_1", "Please indicate the degree of happiness, all things considered, of your relationship.", False,
         CSI4_HAPPINESS),
        ("csi4_2", "I have a warm and comfortable relationship with my partner", False, CSI4_TRUE),
        ("csi4_3", "How rewarding is your relationship with your partner?", False, CSI4_EXTENT),
        ("csi4_4", "In general, how satisfied are you with your relationship?", False, CSI4_EXTENT),
    ],
    # instruments.md 4 "Items (published order)"; reverse-keyed 2, 4, 6
    "brs": [
        ("brs_1", "I tend to bounce back quickly after hard times", False, BRS_OPTIONS),
        ("brs_2", "I have a hard time making it through stressful events", True, BRS_OPTIONS),
        ("brs_3", "It does not take me long to recover from a stressful event", False, BRS_OPTIONS),
        ("brs_4", "It is hard for me to snap back when something bad happens", True, BRS_OPTIONS),
        ("brs_5", "I usually come through difficult times with little trouble", False, BRS_OPTIONS),
        ("brs_6", "I tend to take a long time to get over set-backs in my life", True, BRS_OPTIONS),
    ],
    # instruments.md 5 "Items (published order)"; reverse-keyed 1, 2, 3, 4
    "ecr_rs": [
        ("ecr_rs_1", "It helps to turn to this person in times of need.", True, ECR_OPTIONS),
        ("ecr_rs_2", "I usually discuss my problems and concerns with this person.", True, ECR_OPTIONS),
        ("ecr_rs_3", "I talk things over with this person.", True, ECR_OPTIONS),
        ("ecr_rs_4", "I find it easy to depend on this person.", True, ECR_OPTIONS),
        ("ecr_rs_5", "I don't feel comfortable opening up to this person.", False, ECR_OPTIONS),
        ("ecr_rs_6", "I prefer not to show this person how I feel deep down.", False, ECR_OPTIONS),
        ("ecr_rs_7", "I often worry that this person doesn't really care for me.", False, ECR_OPTIONS),
        ("ecr_rs_8", "I'm afraid that this person may abandon me.", False, ECR_OPTIONS),
        ("ecr_rs_9", "I worry that this person won't care about me as much as I care about him or her.", False, ECR_OPTIONS),
    ],
}

# --- Scales: id -> (items, method, factor, higher_is_better) ------------------------------
# instruments.md sections 1-5 "Scoring" and "Conventions for all five instruments" (score direction)
EXPECTED_SCALES = {
    "who5": {
        "total": (["who5_1", "who5_2", "who5_3", "who5_4", "who5_5"], "sum", 1, True),
        "percent": (["who5_1", "who5_2", "who5_3", "who5_4", "who5_5"], "sum", 4, True),
    },
    "phq4": {
        "total": (["phq4_1", "phq4_2", "phq4_3", "phq4_4"], "sum", 1, False),
        "anxiety": (["phq4_1", "phq4_2"], "sum", 1, False),
        "depression": (["phq4_3", "phq4_4"], "sum", 1, False),
    },
    "csi4": {
        "total": (["csi4_1", "csi4_2", "csi4_3", "csi4_4"], "sum", 1, True),
    },
    "brs": {
        "resilience": (["brs_1", "brs_2", "brs_3", "brs_4", "brs_5", "brs_6"], "mean", 1, True),
    },
    "ecr_rs": {
        # a position, neither better nor worse
        "avoidance": (["ecr_rs_1", "ecr_rs_2", "ecr_rs_3", "ecr_rs_4", "ecr_rs_5", "ecr_rs_6"], "mean", 1, None),
        "anxiety": (["ecr_rs_7", "ecr_rs_8", "ecr_rs_9"], "mean", 1, None),
    },
}

# instruments.md "Bands and safety rules used by the toolkit", minimum answered:
# sum scales need every item, mean scales ceil(0.8 x items).
EXPECTED_REQUIRED = {
    ("who5", "total"): 5,
    ("who5", "percent"): 5,
    ("phq4", "total"): 4,
    ("phq4", "anxiety"): 2,
    ("phq4", "depression"): 2,
    ("csi4", "total"): 4,
    ("brs", "resilience"): 5,
    ("ecr_rs", "avoidance"): 5,
    ("ecr_rs", "anxiety"): 3,
}

# --- Bands: (id, min, max, min_inclusive, max_inclusive) ----------------------------------
# instruments.md "Bands and safety rules used by the toolkit" (bounds inclusive unless < or >)
EXPECTED_BANDS = {
    ("who5", "percent"): [("very_low", 0, 28, True, True), ("low", 29, 50, True, True), ("good", 51, 100, True, True)],
    ("who5", "total"): [],
    ("phq4", "total"): [
        ("none", 0, 2, True, True),
        ("mild", 3, 5, True, True),
        ("moderate", 6, 8, True, True),
        ("severe", 9, 12, True, True),
    ],
    ("phq4", "anxiety"): [("below", 0, 2, True, True), ("positive", 3, 6, True, True)],
    ("phq4", "depression"): [("below", 0, 2, True, True), ("positive", 3, 6, True, True)],
    ("csi4", "total"): [("dissatisfied", 0, 13, True, True), ("satisfied", 14, 21, True, True)],
    # low: < 3.00; normal: 3.00-4.30; high: > 4.30
    ("brs", "resilience"): [("low", 1, 3, True, False), ("normal", 3, 4.3, True, True), ("high", 4.3, 5, False, True)],
    # ecr_rs: none, ever
    ("ecr_rs", "avoidance"): [],
    ("ecr_rs", "anxiety"): [],
}

# instruments.md "Attribution to display" of each section (Markdown italics removed)
EXPECTED_ATTRIBUTION = {
    "who5": (
        "WHO-5 Well-Being Index (1998 version). Psychiatric Research Unit, WHO Collaborating Centre in Mental "
        "Health, Frederiksborg General Hospital, Hillerød, Denmark (now Psychiatric Centre North Zealand). "
        "https://www.psykiatri-regionh.dk/who-5/ — Topp, C. W., Østergaard, S. D., Søndergaard, S., & Bech, P. "
        "(2015). Psychotherapy and Psychosomatics, 84(3), 167–176."
    ),
    "phq4": (
        "PHQ-4. Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an "
        "educational grant from Pfizer Inc. No permission required to reproduce, translate, display or "
        "distribute. — Kroenke, K., Spitzer, R. L., Williams, J. B. W., & Löwe, B. (2009). Psychosomatics, "
        "50(6), 613–621."
    ),
    "csi4": (
        "Couples Satisfaction Index, 4-item version (CSI-4). Funk, J. L., & Rogge, R. D. (2007). Journal of "
        "Family Psychology, 21(4), 572–583. Freely available for research and clinical use (Funk & Rogge)."
    ),
    "brs": (
        "Brief Resilience Scale (BRS). Smith, B. W., Dalen, J., Wiggins, K., Tooley, E., Christopher, P., & "
        "Bernard, J. (2008). International Journal of Behavioral Medicine, 15(3), 194–200. Score bands: Smith "
        "et al. (2013)."
    ),
    "ecr_rs": (
        "Experiences in Close Relationships – Relationship Structures questionnaire (ECR-RS), romantic-partner "
        "items. Fraley, R. C., Heffernan, M. E., Vicary, A. M., & Brumbaugh, C. C. (2011). Psychological "
        "Assessment, 23(3), 615–625. Items and scoring: R. Chris Fraley, "
        "https://labs.psychology.illinois.edu/~rcfraley/measures/relstructures.htm"
    ),
}

# instruments.md sections 1-5 "Permission": none of the five addresses commercial use
# in a form confirmed for the instrument itself.
EXPECTED_COMMERCIAL_USE = {"who5": "unclear", "phq4": "unclear", "csi4": "unclear", "brs": "unclear", "ecr_rs": "unclear"}

# Citation DOIs from instruments.md "Citations" of each section
EXPECTED_DOIS = {
    "who5": ["10.1159/000376585"],
    "phq4": ["10.1176/appi.psy.50.6.613", "10.1016/j.jad.2009.06.019"],
    "csi4": ["10.1037/0893-3200.21.4.572"],
    "brs": ["10.1080/10705500802222972", "10.1007/978-1-4614-4939-3_13"],
    "ecr_rs": ["10.1037/a0022898", "10.1037/pspp0000027", "10.1037/t08412-000"],
}


def _texts(node, path="") -> list[tuple[str, dict]]:
    """Every language map in an instrument, with where it is. In the model, the only dicts are texts."""
    found = []
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            found += _texts(getattr(node, name), f"{path}.{name}")
    elif isinstance(node, (list, tuple)):
        for i, child in enumerate(node):
            found += _texts(child, f"{path}[{i}]")
    elif isinstance(node, dict):
        found.append((path, node))
    return found


def _participant_texts(inst: Instrument) -> list[str]:
    return [text for _, texts in _texts(inst) for text in texts.values()]


def _conditions(when) -> list[Condition]:
    if isinstance(when, Condition):
        return [when]
    assert isinstance(when, AnyOf)
    return [c for sub in when.any for c in _conditions(sub)]


# --- Loading ------------------------------------------------------------------------------


def test_all_eight_files_are_bundled():
    assert set(ALL) <= set(bundled_ids())


@pytest.mark.parametrize("instrument_id", ALL)
def test_bundled_file_loads_and_passes_the_consistency_checks(instrument_id):
    inst = load_instrument(instrument_id)
    assert inst.id == instrument_id


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_validated_instruments_are_marked_validated(instrument_id):
    assert load_instrument(instrument_id).kind == "validated"


# --- Items, wording, keys, options --------------------------------------------------------


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_item_ids_are_the_reference_ids_in_published_order(instrument_id):
    inst = load_instrument(instrument_id)
    assert inst.item_ids == [row[0] for row in EXPECTED_ITEMS[instrument_id]]


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_item_wording_matches_the_reference_exactly(instrument_id):
    inst = load_instrument(instrument_id)
    for item_id, text, _, _ in EXPECTED_ITEMS[instrument_id]:
        assert inst.item(item_id).text["en"] == text, item_id


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_reverse_keys_match_the_reference(instrument_id):
    inst = load_instrument(instrument_id)
    for item_id, _, reverse, _ in EXPECTED_ITEMS[instrument_id]:
        assert inst.item(item_id).reverse is reverse, item_id


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_option_values_and_labels_match_the_reference(instrument_id):
    inst = load_instrument(instrument_id)
    for item_id, _, _, options in EXPECTED_ITEMS[instrument_id]:
        rs = inst.response_scale_of(inst.item(item_id))
        actual = [(o.value, o.label["en"] if o.label else None) for o in rs.options]
        assert actual == options, item_id


def test_csi4_item_1_runs_0_to_6_and_items_2_to_4_run_0_to_5():
    inst = load_instrument("csi4")
    ranges = {i.id: (inst.response_scale_of(i).min, inst.response_scale_of(i).max) for i in inst.items}
    assert ranges == {"csi4_1": (0, 6), "csi4_2": (0, 5), "csi4_3": (0, 5), "csi4_4": (0, 5)}


def test_csi4_items_3_and_4_share_a_scale_that_differs_from_item_2():
    inst = load_instrument("csi4")
    assert inst.item("csi4_3").response_scale == inst.item("csi4_4").response_scale
    assert inst.item("csi4_2").response_scale != inst.item("csi4_3").response_scale


def test_ecr_rs_intermediate_points_have_no_label():
    inst = load_instrument("ecr_rs")
    rs = inst.response_scales[0]
    assert [o.value for o in rs.options if o.label is None] == [2, 3, 4, 5, 6]


# --- Scales, bands, minimum answered ------------------------------------------------------


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_scales_have_the_reference_items_method_and_direction(instrument_id):
    inst = load_instrument(instrument_id)
    actual = {s.id: (s.items, s.method, s.factor, s.higher_is_better) for s in inst.scales}
    assert actual == EXPECTED_SCALES[instrument_id]


@pytest.mark.parametrize(("instrument_id", "scale_id"), list(EXPECTED_REQUIRED))
def test_minimum_answered_is_the_toolkit_default_without_override(instrument_id, scale_id):
    scale = load_instrument(instrument_id).scale(scale_id)
    assert scale.min_answered is None
    assert scale.required == EXPECTED_REQUIRED[(instrument_id, scale_id)]


@pytest.mark.parametrize(("instrument_id", "scale_id"), list(EXPECTED_BANDS))
def test_band_ids_and_bounds_match_the_reference(instrument_id, scale_id):
    scale = load_instrument(instrument_id).scale(scale_id)
    actual = [(b.id, b.min, b.max, b.min_inclusive, b.max_inclusive) for b in scale.bands]
    expected = EXPECTED_BANDS[(instrument_id, scale_id)]
    assert [row[0] for row in actual] == [row[0] for row in expected]
    for got, want in zip(actual, expected, strict=False):
        assert got[3:] == want[3:], got[0]
        assert math.isclose(got[1], want[1]) and math.isclose(got[2], want[2]), got[0]


@pytest.mark.parametrize(("instrument_id", "scale_id"), [k for k, v in EXPECTED_BANDS.items() if not v])
def test_a_scale_without_bands_says_why(instrument_id, scale_id):
    assert load_instrument(instrument_id).scale(scale_id).no_bands_reason


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_every_band_names_its_source(instrument_id):
    for scale in load_instrument(instrument_id).scales:
        for band in scale.bands:
            assert band.source.strip(), (scale.id, band.id)


def test_csi4_bands_say_the_cut_off_is_unconfirmed():
    inst = load_instrument("csi4")
    for band in inst.scale("total").bands:
        assert "UNCONFIRMED" in band.source.upper(), band.id
    cut_off = [v for v in inst.verification if "13.5" in v.fact]
    assert cut_off and all(v.status == "unverified" for v in cut_off)


# --- ECR-RS: dimensions, never types ------------------------------------------------------


def test_ecr_rs_has_no_bands_anywhere():
    inst = load_instrument("ecr_rs")
    assert all(not s.bands and s.no_bands_reason for s in inst.scales)


def test_ecr_rs_has_no_safety_rule_that_could_stand_in_for_a_band():
    assert load_instrument("ecr_rs").safety == []


@pytest.mark.parametrize("word", ["secure", "avoidant", "fearful", "preoccupied", "dismissing", "attachment style"])
def test_ecr_rs_never_names_an_attachment_style_to_participants(word):
    texts = _participant_texts(load_instrument("ecr_rs"))
    assert not [t for t in texts if word in t.lower()]


def test_ecr_rs_instruction_is_marked_as_toolkit_wording():
    inst = load_instrument("ecr_rs")
    instructions = inst.instructions["en"]
    assert "this person" in instructions and "current romantic partner" in instructions
    assert "most recent partner" in instructions and "skip" in instructions
    assert inst.adapted_wording_note is not None
    assert "not part of the ECR-RS" in inst.adapted_wording_note["en"]
    instruction_checks = [v for v in inst.verification if v.fact.startswith("instructions")]
    assert instruction_checks and all(v.status == "unverified" for v in instruction_checks)


# --- Texts --------------------------------------------------------------------------------


@pytest.mark.parametrize("instrument_id", ALL)
def test_every_text_field_has_english(instrument_id):
    texts = _texts(load_instrument(instrument_id))
    assert texts
    for path, text in texts:
        assert text.get("en", "").strip(), path


@pytest.mark.parametrize("instrument_id", ALL)
def test_every_band_has_a_label_and_feedback(instrument_id):
    for scale in load_instrument(instrument_id).scales:
        for band in scale.bands:
            assert band.label["en"].strip() and band.feedback["en"].strip()


# --- Safety rules -------------------------------------------------------------------------
# instruments.md "Bands and safety rules used by the toolkit", safety rules


def test_phq4_total_of_6_or_more_asks_for_a_check_in():
    rules = load_instrument("phq4").safety
    matching = [
        r for r in rules
        if r.level == "check_in"
        and [(c.scale, c.item, c.op, c.value) for c in _conditions(r.when)] == [("total", None, ">=", 6)]
    ]
    assert len(matching) == 1


def test_phq4_positive_anxiety_or_depression_screen_gives_info():
    rules = load_instrument("phq4").safety
    matching = [
        r for r in rules
        if r.level == "info"
        and isinstance(r.when, AnyOf)
        and sorted((c.scale, c.op, c.value) for c in _conditions(r.when)) == [("anxiety", ">=", 3), ("depression", ">=", 3)]
    ]
    assert len(matching) == 1


def test_phq4_has_only_the_two_default_rules():
    assert sorted(r.level for r in load_instrument("phq4").safety) == ["check_in", "info"]


def test_who5_percent_of_28_or_less_asks_for_a_check_in():
    rules = load_instrument("who5").safety
    matching = [
        r for r in rules
        if r.level == "check_in"
        and [(c.scale, c.item, c.op, c.value) for c in _conditions(r.when)] == [("percent", None, "<=", 28)]
    ]
    assert len(matching) == 1


# --- Licence and citations ----------------------------------------------------------------


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_attribution_is_the_reference_text(instrument_id):
    assert load_instrument(instrument_id).licence.attribution["en"] == EXPECTED_ATTRIBUTION[instrument_id]


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_commercial_use_is_what_the_reference_supports(instrument_id):
    assert load_instrument(instrument_id).licence.commercial_use == EXPECTED_COMMERCIAL_USE[instrument_id]


@pytest.mark.parametrize("instrument_id", VALIDATED)
def test_citations_carry_the_reference_dois(instrument_id):
    citations = " ".join(load_instrument(instrument_id).citations)
    for doi in EXPECTED_DOIS[instrument_id]:
        assert doi in citations


@pytest.mark.parametrize("instrument_id", ALL)
def test_every_file_keeps_a_verification_record(instrument_id):
    records = load_instrument(instrument_id).verification
    assert records and all(r.note.strip() for r in records)


# --- Reflection checklists ----------------------------------------------------------------
# shared/curriculum.md, sessions 1 and 5 and the care principles


@pytest.mark.parametrize("instrument_id", REFLECTION)
def test_reflection_checklist_is_the_projects_own_text(instrument_id):
    inst = load_instrument(instrument_id)
    assert inst.kind == "reflection"
    assert inst.licence.commercial_use == "allowed"
    assert inst.licence.attribution["en"] == "Attune workshop materials"
    assert "not a validated measure" in inst.instructions["en"]


@pytest.mark.parametrize("instrument_id", REFLECTION)
def test_reflection_checklist_items_are_optional_yes_no_questions(instrument_id):
    inst = load_instrument(instrument_id)
    assert all(i.type == "yes_no" for i in inst.items)
    for item in inst.items:
        rs = inst.response_scale_of(item)
        assert [(o.value, o.label["en"]) for o in rs.options] == [(0, "No"), (1, "Yes")]
    assert "skip" in inst.instructions["en"]


@pytest.mark.parametrize("instrument_id", REFLECTION)
def test_reflection_checklist_counts_with_one_answer_enough(instrument_id):
    (scale,) = load_instrument(instrument_id).scales
    assert scale.method == "count"
    assert scale.min_answered == 1 and scale.min_answered_reason
    assert scale.bands
    for band in scale.bands:
        assert band.source == "Attune workshop guidance, not a validated cut-off"


def test_eu_signs_has_six_to_eight_items():
    assert 6 <= len(load_instrument("eu_signs").items) <= 8


def test_eu_signs_bands_run_from_few_to_many_signs():
    (scale,) = load_instrument("eu_signs").scales
    assert [b.id for b in scale.bands] == ["few_signs", "some_signs", "many_signs"]


def test_help_indicators_asks_about_earlier_wounds_without_details():
    item = load_instrument("help_indicators").item("earlier_wounds")
    assert item.type == "yes_no"
    assert "do not need to say" in item.help["en"]


def test_help_indicators_points_to_strength_in_seeking_help():
    (scale,) = load_instrument("help_indicators").scales
    assert any("sign of strength" in b.feedback["en"] for b in scale.bands)


def test_fear_of_partner_points_to_individual_help_not_couple_work():
    inst = load_instrument("help_indicators")
    help_text = inst.item("afraid_of_partner").help["en"]
    assert "Individual, specialised support" in help_text
    assert "couple sessions are not the right format" in help_text
    (scale,) = inst.scales
    assert "afraid_of_partner" not in scale.items
    for band in scale.bands:
        assert "individual, specialised support rather than couple sessions" in band.feedback["en"], band.id


def test_fear_of_partner_asks_for_a_private_check_in():
    rules = load_instrument("help_indicators").safety
    matching = [
        r for r in rules
        if r.level == "check_in"
        and [(c.item, c.op, c.value) for c in _conditions(r.when)] == [("afraid_of_partner", "==", 1)]
    ]
    assert len(matching) == 1
