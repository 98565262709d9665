"""attune instrument export/import: every bundled questionnaire through ReproSchema, FHIR R4 and
REDCap and back, each format checked by its own library, and the scores of golden answers
unchanged (values worked out by hand from shared/instruments.md).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from toolkit.apps.cli import main
from toolkit.core.safety import evaluate
from toolkit.core.scoring import score
from toolkit.instruments import bundled_ids, load_instrument, load_instrument_file
from toolkit.interchange import redcap as rc

FORMATS = ["reproschema", "fhir", "redcap"]
OUT = {"reproschema": "activity", "fhir": "q.json", "redcap": "dictionary.csv"}

# Golden answers (item order) with the scores, bands and safety level the published rules give.
GOLDEN = {
    "who5": [([5, 4, 3, 2, 1], {"total": 15, "percent": 60, "percent_band": "good"}, ""),  # 15 x 4 = 60 -> good
             ([1, 1, 1, 1, 1], {"total": 5, "percent": 20, "percent_band": "very_low"}, "check_in")],  # 20 <= 28
    "phq4": [([3, 3, 3, 0], {"total": 9, "total_band": "severe", "anxiety": 6, "anxiety_band": "positive",
                             "depression": 3, "depression_band": "positive"}, "check_in"),  # 9 >= 6
             ([1, 1, 0, 0], {"total": 2, "total_band": "none", "anxiety": 2, "anxiety_band": "below"}, "")],
    "csi4": [([6, 5, 5, 5], {"total": 21, "total_band": "satisfied"}, ""),  # 6+5+5+5 = 21 -> 14-21
             ([2, 3, 3, 3], {"total": 11, "total_band": "dissatisfied"}, "")],  # 11 -> 0-13
    "brs": [([5, 1, 5, 1, 5, 1], {"resilience": 5.0, "resilience_band": "high"}, ""),  # 6-1 = 5 on items 2, 4, 6
            ([3, 3, 3, 3, 3, 3], {"resilience": 3.0, "resilience_band": "normal"}, "")],
    "ecr_rs": [([1, 1, 1, 1, 7, 7, 4, 4, 4], {"avoidance": 7.0, "anxiety": 4.0}, ""),  # 8-1 = 7 on items 1-4
               ([7, 7, 7, 7, 1, 1, 2, 3, 4], {"avoidance": 1.0, "anxiety": 3.0}, "")],
}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def round_trip(capsys, tmp_path, ident: str, fmt: str):
    out = tmp_path / fmt / OUT[fmt]
    code, _, err = run(capsys, "instrument", "export", ident, "--format", fmt, "--out", out)
    assert code == 0, err
    yaml_path = tmp_path / fmt / f"{ident}.yaml"
    code, _, err = run(capsys, "instrument", "import", out, "--from", fmt, "--out", yaml_path)
    assert code == 0, err
    return out, load_instrument_file(yaml_path)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("ident", bundled_ids())
def test_round_trip_gives_back_the_same_instrument(capsys, tmp_path, ident, fmt):
    _, back = round_trip(capsys, tmp_path, ident, fmt)
    assert back == load_instrument(ident)  # items, keys, scales, bands, safety, licence, languages


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("ident", sorted(GOLDEN))
def test_round_trip_scores_golden_answers_the_same(capsys, tmp_path, ident, fmt):
    _, back = round_trip(capsys, tmp_path, ident, fmt)
    original = load_instrument(ident)
    frame = pd.DataFrame([v for v, _, _ in GOLDEN[ident]], columns=original.item_ids)
    scores = score(back, frame)
    for row, (_, expected, level) in enumerate(GOLDEN[ident]):
        for col, value in expected.items():
            assert scores[col].iloc[row] == value, (ident, fmt, col)
        assert evaluate(back, frame, scores)["level"].iloc[row] == level
    pd.testing.assert_frame_equal(scores, score(original, frame))


@pytest.fixture
def offline_reproschema(monkeypatch):
    """reproschema's own data model (the pydantic classes its validator ends in) checks each exported document.

    Its command-line validator first fetches the released JSON-LD context over the network, which
    this machine cannot reach, and no copy of that context may be committed here; the model is the
    reference library's own statement of what an Activity and an Item hold.
    """
    monkeypatch.setenv("NO_ET", "1")  # no version check over the network on import
    from reproschema.models.model import Activity, Item

    classes = {"reproschema:Activity": Activity, "reproschema:Field": Item, "reproschema:Item": Item}

    def check(document: Path) -> bool:
        paths = [document] if document.is_file() else sorted(p for p in document.rglob("*") if p.is_file())
        for path in paths:
            data = json.loads(path.read_text())
            data.pop("@context", None)
            kind = data.pop("@type")
            data["id"], data["category"] = data.pop("@id"), kind
            try:
                classes[kind](**data)
            except Exception as exc:  # pydantic's ValidationError, named for the file
                raise ValueError(f"{path}: {exc}") from exc
        return True

    return check


@pytest.mark.parametrize("ident", bundled_ids())
def test_reproschema_export_passes_reproschema_validate(capsys, tmp_path, offline_reproschema, ident):
    out = tmp_path / "activity"
    assert run(capsys, "instrument", "export", ident, "--format", "reproschema", "--out", out)[0] == 0
    assert offline_reproschema(out) is True
    assert offline_reproschema(out / f"{ident}_schema") is True


def test_reproschema_validate_is_not_vacuous(capsys, tmp_path, offline_reproschema):
    out = tmp_path / "activity"
    run(capsys, "instrument", "export", "phq4", "--format", "reproschema", "--out", out)
    item = json.loads((out / "items" / "phq4_1").read_text())
    item["responseOptions"]["multipleChoice"] = "sometimes"
    (out / "items" / "phq4_1").write_text(json.dumps(item))
    with pytest.raises(ValueError):
        offline_reproschema(out / "items" / "phq4_1")


def test_reproschema_item_has_options_language_maps_and_notes(capsys, tmp_path):
    out = tmp_path / "activity"
    run(capsys, "instrument", "export", "eu_signs", "--format", "reproschema", "--out", out)
    item = json.loads((out / "items" / "avoids_closeness").read_text())
    choices = item["responseOptions"]["choices"]
    assert {c["value"] for c in choices} == {0, 1}
    assert any(c["name"].get("es") == "Sí" for c in choices)  # language maps
    assert set(item["question"]) == {"en", "es"}
    assert item["additionalNotesObj"][0]["source"] == "attune"
    activity = json.loads((out / "eu_signs_schema").read_text())
    assert activity["ui"]["order"][0] == "items/avoids_closeness"


def test_fhir_questionnaire_parses_with_fhir_resources(capsys, tmp_path):
    from fhir.resources.R4B.questionnaire import Questionnaire

    out = tmp_path / "q.json"
    run(capsys, "instrument", "export", "who5", "--format", "fhir", "--out", out)
    q = Questionnaire.model_validate_json(out.read_text())
    assert [i.linkId for i in q.item] == [f"who5_{k}" for k in range(1, 6)]
    first = q.item[0]
    assert first.type == "choice" and first.code[0].code == "who5_1"
    assert [(o.valueCoding.code, o.valueCoding.display) for o in first.answerOption][0] == ("5", "All of the time")


def test_redcap_dictionary_has_redcaps_columns_and_choices(capsys, tmp_path):
    out = tmp_path / "dictionary.csv"
    run(capsys, "instrument", "export", "brs", "--format", "redcap", "--out", out)
    rows = list(csv.reader(out.open()))
    assert rows[0] == rc.COLUMNS and len(rows[0]) == 18
    fields = {r[0]: r for r in rows[1:]}
    assert rows[1][0] == "record_id"  # REDCap's first field is the record identifier
    assert fields["brs_1"][3] == "radio"
    assert fields["brs_1"][5] == "1, Strongly Disagree | 2, Disagree | 3, Neutral | 4, Agree | 5, Strongly Agree"
    assert fields["score_resilience"][3] == "calc"
    assert fields["score_resilience"][5] == "mean([brs_1],(6-[brs_2]),[brs_3],(6-[brs_4]),[brs_5],(6-[brs_6]))"


USER_DICTIONARY = [
    ["record_id", "mood", "", "text", "Record ID", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["intro", "mood", "", "descriptive", "Thanks for taking part", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["calm", "mood", "Over the last week:", "radio", "I felt calm", "1, Never | 2, Sometimes | 3, Often",
     "", "", "", "", "", "", "", "", "", "", "", ""],
    ["tense", "mood", "", "dropdown", "I felt tense", "1, Never | 2, Sometimes | 3, Often",
     "", "", "", "", "", "", "", "", "", "", "", ""],
    ["slept", "mood", "", "yesno", "Did you sleep well?", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["note", "mood", "", "text", "Anything else?", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["ease", "mood", "", "calc", "Ease", "sum([calm], (4-[tense]))", "", "", "", "", "", "", "", "", "", "", "", ""],
]


def write_dictionary(path, rows):
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([rc.COLUMNS, *rows])
    return path


def test_import_a_dictionary_a_redcap_user_hands_over(capsys, tmp_path):
    path = write_dictionary(tmp_path / "mood.csv", USER_DICTIONARY)
    code, _, err = run(capsys, "instrument", "import", path, "--from", "redcap", "--out", tmp_path / "mood.yaml")
    assert code == 0, err
    assert "descriptive text" in err  # what was left out is said
    inst = load_instrument_file(tmp_path / "mood.yaml")
    assert [(i.id, i.type) for i in inst.items] == [("calm", "likert"), ("tense", "single_choice"),
                                                     ("slept", "yes_no"), ("note", "free_text")]
    assert inst.instructions["en"] == "Over the last week:"
    assert inst.item("tense").reverse and not inst.item("calm").reverse
    scale = inst.scale("ease")
    assert scale.method == "sum" and scale.items == ["calm", "tense"]
    # calm 3 + (4 - tense 1) = 6
    assert score(inst, pd.DataFrame({"calm": [3], "tense": [1], "slept": [1]}))["ease"].iloc[0] == 6


def refused(capsys, tmp_path, path, fmt):
    target = tmp_path / "never.yaml"
    code, out, err = run(capsys, "instrument", "import", path, "--from", fmt, "--out", target)
    assert code == 2 and "Traceback" not in err
    assert not target.exists()  # nothing written
    return err


def test_redcap_field_type_that_does_not_map_names_its_row(capsys, tmp_path):
    rows = USER_DICTIONARY[:3] + [["scan", "mood", "", "file", "Upload a scan", "", "", "", "", "", "", "", "", "", "",
                                   "", "", ""]]
    err = refused(capsys, tmp_path, write_dictionary(tmp_path / "d.csv", rows), "redcap")
    assert "d.csv: row 4 (scan): field type 'file'" in err


def test_redcap_calc_that_does_not_map_names_its_row(capsys, tmp_path):
    rows = USER_DICTIONARY[:3] + [["bmi", "mood", "", "calc", "BMI", "[calm]/([calm]^2)", "", "", "", "", "", "", "",
                                   "", "", "", "", ""]]
    err = refused(capsys, tmp_path, write_dictionary(tmp_path / "d.csv", rows), "redcap")
    assert "row 4 (bmi), Choices, Calculations: calculation '[calm]/([calm]^2)' cannot be mapped" in err


def test_file_that_is_not_the_format_it_claims(capsys, tmp_path):
    csv_path = write_dictionary(tmp_path / "d.csv", USER_DICTIONARY)
    err = refused(capsys, tmp_path, csv_path, "fhir")
    assert f"{csv_path}: line 1, column 1: not JSON" in err
    json_path = tmp_path / "q.json"
    run(capsys, "instrument", "export", "who5", "--format", "fhir", "--out", json_path)
    err = refused(capsys, tmp_path, json_path, "redcap")
    assert f"{json_path}: line 1: not a REDCap data dictionary" in err
    err = refused(capsys, tmp_path, json_path, "reproschema")
    assert "$.@type: expected a ReproSchema Activity" in err


def test_fhir_resource_of_the_wrong_type(capsys, tmp_path):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps({"resourceType": "Patient", "id": "x"}))
    assert f"{path}: $.resourceType: expected a FHIR Questionnaire, found 'Patient'" in refused(capsys, tmp_path, path, "fhir")


def test_fhir_questionnaire_that_fhir_refuses(capsys, tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps({"resourceType": "Questionnaire", "item": [{"linkId": "a", "type": "text"}]}))
    assert f"{path}: $.status: not a valid FHIR R4 Questionnaire" in refused(capsys, tmp_path, path, "fhir")


def test_reproschema_item_without_response_options(capsys, tmp_path):
    out = tmp_path / "activity"
    run(capsys, "instrument", "export", "who5", "--format", "reproschema", "--out", out)
    item = json.loads((out / "items" / "who5_2").read_text())
    del item["responseOptions"]["choices"]
    (out / "items" / "who5_2").write_text(json.dumps(item))
    err = refused(capsys, tmp_path, out, "reproschema")
    assert f"{out / 'items' / 'who5_2'}: $.responseOptions.choices: item 'who5_2' has no response options" in err
