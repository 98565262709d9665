"""Each mistake in an instrument file is reported as ``path:line: message`` at the line to edit.

Every bad file starts as the text of a valid bundled file with one thing changed. The expected
line is found in the changed text itself (the line holding the change), so these tests keep
pinning the exact line when the bundled files are edited.
"""

from __future__ import annotations

from pathlib import Path

import badfile
import pytest
from badfile import line_of, write_changed

from toolkit.apps.cli import main
from toolkit.errors import InstrumentError
from toolkit.instruments import load_instrument_file
from toolkit.instruments.loader import BUNDLED_DIR

SEVEN = ["who5", "phq4", "csi4", "brs", "ecr_rs", "eu_signs", "help_indicators"]


def bundled_text(instrument_id: str) -> str:
    return (BUNDLED_DIR / f"{instrument_id}.yaml").read_text(encoding="utf-8")


def changed(tmp_path: Path, instrument_id: str, old: str, new: str) -> tuple[Path, str]:
    """Write the bundled file with ``old`` replaced by ``new`` (exactly one occurrence)."""
    return write_changed(tmp_path / f"bad_{instrument_id}.yaml", bundled_text(instrument_id), old, new)


def problems_of(path: Path) -> list[str]:
    return badfile.problems_of(load_instrument_file, InstrumentError, path)


def assert_only_problem(path: Path, line: int, fragment: str) -> None:
    badfile.assert_only_problem(problems_of(path), path, line, fragment)


# --- Shape of the file (pydantic and the YAML reader) --------------------------------------------


def test_unknown_field_is_reported_at_its_line(tmp_path):
    path, text = changed(tmp_path, "brs", "    method: mean\n", "    method: mean\n    weighting: equal\n")
    assert_only_problem(path, line_of(text, "weighting: equal"), "unknown field 'scales.0.weighting'")


def test_duplicate_item_id_is_reported_at_the_second_item(tmp_path):
    second = "  - {id: brs_6, response_scale: agreement, text: {en: A second item with the same id}}\n"
    path, text = changed(tmp_path, "brs", "\nscales:\n", "\n" + second + "\nscales:\n")
    assert_only_problem(path, line_of(text, "A second item with the same id"), "duplicate id 'brs_6' in items")


def test_duplicate_yaml_key_is_reported_at_the_second_key(tmp_path):
    path, text = changed(tmp_path, "brs", "    method: mean\n", "    method: mean\n    method: sum\n")
    assert_only_problem(path, line_of(text, "method: sum"), "duplicate key 'method'")


def test_missing_english_title_is_reported_at_the_title(tmp_path):
    path, text = changed(tmp_path, "brs", "title:\n  en: Brief", "title:\n  de: Brief")
    assert_only_problem(path, line_of(text, "title:"), "title: a text needs an English version under 'en'")


def test_missing_english_item_text_is_reported_at_the_item(tmp_path):
    path, text = changed(tmp_path, "brs", "text: {en: I tend to bounce", "text: {de: I tend to bounce")
    assert_only_problem(path, line_of(text, "{de: I tend to bounce"),
                        "items.0.text: a text needs an English version under 'en'")


def test_yaml_syntax_error_is_reported_at_its_line(tmp_path):
    path, text = changed(tmp_path, "brs", "    method: mean\n", "    method: mean: sum\n")
    assert_only_problem(path, line_of(text, "method: mean: sum"), "YAML syntax error: mapping values are not allowed")


def test_empty_file_is_reported_at_line_1(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert_only_problem(path, 1, "the file is empty")


def test_file_with_only_comments_counts_as_empty(tmp_path):
    path = tmp_path / "comments.yaml"
    path.write_text("# an instrument will go here\n\n", encoding="utf-8")
    assert_only_problem(path, 1, "the file is empty")


# --- Consistency between parts (checks.py) --------------------------------------------------------


def test_scale_naming_a_missing_item_is_reported_at_the_item_list(tmp_path):
    path, text = changed(tmp_path, "brs", "brs_5, brs_6]", "brs_5, brs_7]")
    assert_only_problem(path, line_of(text, "brs_7]"), "scale 'resilience' names item 'brs_7', which does not exist")


def test_safety_rule_naming_a_missing_item(tmp_path):
    path, text = changed(tmp_path, "help_indicators", "when: {item: afraid_of_partner,", "when: {item: afraid,")
    assert_only_problem(path, line_of(text, "{item: afraid,"),
                        "safety rule 'afraid_of_partner' names item 'afraid', which does not exist")


def test_safety_rule_naming_a_missing_scale(tmp_path):
    path, text = changed(tmp_path, "who5", "when: {scale: percent,", "when: {scale: pct,")
    assert_only_problem(path, line_of(text, "{scale: pct,"),
                        "safety rule 'very_low_wellbeing' names scale 'pct', which does not exist")


def test_safety_rule_naming_a_missing_scale_inside_any_points_at_that_condition(tmp_path):
    path, text = changed(tmp_path, "phq4", "- {scale: depression, op", "- {scale: mood, op")
    assert_only_problem(path, line_of(text, "{scale: mood, op"),
                        "safety rule 'anxiety_or_depression_positive' names scale 'mood', which does not exist")


def test_safety_value_outside_the_items_response_scale(tmp_path):
    path, text = changed(tmp_path, "help_indicators", 'when: {item: afraid_of_partner, op: "==", value: 1}',
                         'when: {item: afraid_of_partner, op: "==", value: 2}')
    assert_only_problem(path, line_of(text, "value: 2}"),
                        "safety rule 'afraid_of_partner': value 2 is outside the response scale of "
                        "'afraid_of_partner' (0 to 1)")


def test_safety_value_outside_the_scales_range(tmp_path):
    path, text = changed(tmp_path, "phq4", 'when: {scale: total, op: ">=", value: 6}',
                         'when: {scale: total, op: ">=", value: 13}')
    assert_only_problem(path, line_of(text, "value: 13}"),
                        "safety rule 'moderate_or_higher_distress': value 13 is outside the range of scale 'total' (0 to 12)")


def test_overlapping_bands_are_reported_at_the_later_band(tmp_path):
    # PHQ-4 total: mild 3-5 becomes 2-5, which shares 2 with none (0-2)
    path, text = changed(tmp_path, "phq4", "      - id: mild\n        min: 3\n", "      - id: mild\n        min: 2\n")
    assert_only_problem(path, line_of(text, "id: mild"), "bands 'none' and 'mild' of scale 'total' overlap")


def test_bands_sharing_an_inclusive_edge_overlap_even_where_no_score_can_fall(tmp_path):
    # BRS high loses min_inclusive: false, so normal [3, 4.3] and high [4.3, 5] share 4.3 (a mean that
    # no respondent can reach, but the bands still contradict each other there)
    path, text = changed(tmp_path, "brs", "        min: 4.3\n        min_inclusive: false\n", "        min: 4.3\n")
    assert_only_problem(path, line_of(text, "id: high"), "bands 'normal' and 'high' of scale 'resilience' overlap")


def test_bands_leaving_a_gap_name_the_uncovered_score(tmp_path):
    # PHQ-4 total: mild 3-5 becomes 4-5, so a total of 3 is in no band; reported at the scale's bands
    path, text = changed(tmp_path, "phq4", "      - id: mild\n        min: 3\n", "      - id: mild\n        min: 4\n")
    first_bands = text.index("    bands:\n")
    assert_only_problem(path, text[:first_bands].count("\n") + 1,
                        "bands of scale 'total' leave a gap: no band holds the possible score(s) 3")


def test_bands_leaving_a_gap_between_achievable_means(tmp_path):
    # BRS low becomes [1, 2.5): achievable means 2.5 (15/6), 2.6 (13/5) ... 2.8333 (17/6) fall in no band
    path, text = changed(tmp_path, "brs", "        max: 3\n        max_inclusive: false\n",
                         "        max: 2.5\n        max_inclusive: false\n")
    assert_only_problem(path, line_of(text, "    bands:\n"),
                        "bands of scale 'resilience' leave a gap: no band holds the possible score(s) 2.5, 2.6")


def test_a_safety_item_with_an_undefined_response_scale_is_reported_not_raised(tmp_path):
    old = "  - id: afraid_of_partner\n    type: yes_no\n    response_scale: yes_no\n"
    path, text = changed(tmp_path, "help_indicators", old, old.replace("response_scale: yes_no", "response_scale: yesno"))
    assert_only_problem(path, line_of(text, "response_scale: yesno"),
                        "item 'afraid_of_partner' names response scale 'yesno', which is not defined")


@pytest.mark.parametrize("slider", ["[1, 5, 0]", "[5, 1, 1]"], ids=["zero-step", "max-below-min"])
def test_a_malformed_slider_is_reported_not_raised(tmp_path, slider):
    text = bundled_text("brs")
    options = text[text.index("  - id: agreement\n"):text.index("\nitems:")]
    path, bad = changed(tmp_path, "brs", options, f"  - id: agreement\n    slider: {slider}\n")
    assert_only_problem(path, line_of(bad, "    slider: "), "slider of 'agreement' must be [min, max, step]")


# --- attune validate -------------------------------------------------------------------------


@pytest.mark.parametrize("instrument_id", SEVEN)
def test_every_bundled_file_validates(instrument_id):
    assert load_instrument_file(BUNDLED_DIR / f"{instrument_id}.yaml").id == instrument_id


def test_validate_exits_0_for_valid_files(capsys):
    paths = [str(BUNDLED_DIR / f"{i}.yaml") for i in SEVEN]
    assert main(["validate", *paths]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert [line.split(": ok (")[0] for line in out.splitlines()] == paths


def test_validate_exits_1_with_one_line_per_problem(tmp_path, capsys):
    # two problems in one file: an unknown field and a scale naming a missing item
    text = bundled_text("brs").replace("    method: mean\n", "    method: mean\n    weighting: equal\n")
    text = text.replace("brs_5, brs_6]", "brs_5, brs_7]")
    path = tmp_path / "two_problems.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1  # pydantic stops first: the unknown field is the file's one shape problem
    assert lines[0] == f"{path}:{line_of(text, 'weighting: equal')}: unknown field 'scales.0.weighting'"


def test_validate_reports_every_consistency_problem_on_its_own_line(tmp_path, capsys):
    text = bundled_text("phq4").replace("- {scale: depression, op", "- {scale: mood, op")
    text = text.replace('when: {scale: total, op: ">=", value: 6}', 'when: {scale: total, op: ">=", value: 13}')
    path = tmp_path / "two_problems.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    _, err = capsys.readouterr()
    assert err.splitlines() == [
        f"{path}:{line_of(text, 'value: 13}')}: safety rule 'moderate_or_higher_distress': value 13 is outside "
        "the range of scale 'total' (0 to 12)",
        f"{path}:{line_of(text, '{scale: mood, op')}: safety rule 'anxiety_or_depression_positive' names scale "
        "'mood', which does not exist",
    ]
    assert "Traceback" not in err


def test_validate_exits_1_when_any_of_several_files_is_invalid(tmp_path, capsys):
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    good = str(BUNDLED_DIR / "who5.yaml")
    assert main(["validate", good, str(empty)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"{good}: ok (who5, 5 items, 2 scales)")
    assert err.splitlines() == [f"{empty}:1: the file is empty"]


def test_validate_a_missing_file_exits_1(tmp_path, capsys):
    missing = tmp_path / "nowhere.yaml"
    assert main(["validate", str(missing)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"{missing}: file not found"]


def test_a_scale_label_whose_stated_range_no_longer_fits_its_items_is_reported(tmp_path):
    # eu_signs counts 7 yes/no items; dropping one from the scale leaves the label's "(0 to 7)" wrong
    path, text = changed(tmp_path, "eu_signs", "no_progress, feeling_distressed, feeling_alone]",
                         "no_progress, feeling_distressed]")
    problems = problems_of(path)
    assert len(problems) == 2, problems  # the English and the Spanish label
    line = line_of(text, "label: {en: Signs noticed (0 to 7)")
    assert all(p.startswith(f"{path}:{line}: ") for p in problems), problems
    assert "says 0 to 7, but its scores run from 0 to 6" in problems[0]


# --- Published wording ----------------------------------------------------------------------------


def test_validated_wording_names_only_texts_that_can_be_published(tmp_path):
    """Band feedback is always the toolkit's own: marking it as published wording would hide it from translation."""
    path, text = changed(tmp_path, "brs", "validated_wording: [title,", "validated_wording: [scales.bands.feedback, title,")
    problems = problems_of(path)
    assert len(problems) == 1 and f"{path}:{line_of(text, 'validated_wording: [')}:" in problems[0]
    assert "items.text" in problems[0]  # the message lists what may be named


def test_validated_wording_belongs_to_a_validated_instrument(tmp_path):
    path, text = changed(tmp_path, "eu_signs", "\ntitle:", "\nvalidated_wording: [items.text]\ntitle:")
    assert_only_problem(path, line_of(text, "validated_wording:"), "only a validated instrument has published wording")
