"""attune export --format spss|stata|fhir: every file read back with its reference reader
(pyreadstat, fhir.resources) and compared with the store: values, labels, missing codes,
export ids, consent and the free-text opt-in.
"""

from __future__ import annotations

import json
import stat

import pandas as pd
import pyreadstat
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire

from toolkit.apps.cli import main
from toolkit.instruments import load_instrument
from toolkit.store.example_data import load_into_store, write_cohort
from toolkit.store.responses import ResponseStore

CODES = ["amber-fox-11", "quiet-owl-12", "misty-elk-13"]
SECRET = "call me Sam at the bakery"


def first_of(inst, kind):
    return next(i.id for i in inst.items if i.type == kind)


@pytest.fixture
def store_path(place):
    """A filled store on each back end (its file path or URL)."""
    path = place.location
    plan = load_instrument("i_statement")
    feelings = load_instrument("emotion_checkin")
    with ResponseStore(path) as store:
        for i, code in enumerate(CODES):
            store.register(code, storage_consent=True)
            for j in range(1, 6):
                store.record_answer(code, "who5", f"who5_{j}", (i + j) % 6, timepoint="pre")
        store.register("lone-pine-14", storage_consent=False)  # refused: never stored
        store.record_answer("amber-fox-11", "who5", "who5_2", "prefer_not_to_say", timepoint="post")
        store.record_answer("amber-fox-11", "who5", "who5_3", "dont_know", timepoint="post")
        store.record_answer("amber-fox-11", "who5", "who5_4", None, timepoint="post")  # skipped
        store.record_answer("quiet-owl-12", plan, first_of(plan, "free_text"), SECRET, timepoint="pre")
        chosen = [o.value for o in feelings.response_scale_of(feelings.item(first_of(feelings, "multiple_choice"))).options][:2]
        store.record_answer("quiet-owl-12", feelings, first_of(feelings, "multiple_choice"), chosen, timepoint="pre")
    return path


def export(capsys, store_path, out, fmt, *extra):
    code = main(["export", "--store", str(store_path), "--out", str(out), "--format", fmt, *extra])
    printed, err = capsys.readouterr()
    assert code == 0, err
    return [line for line in printed.splitlines() if line]


def stored(store_path) -> pd.DataFrame:
    with ResponseStore(store_path) as store:
        return store.answers()


@pytest.mark.parametrize("fmt, ext", [("spss", "sav"), ("stata", "dta")])
def test_statfile_values_labels_and_missing_codes_match_the_store(capsys, tmp_path, store_path, fmt, ext):
    written = export(capsys, store_path, tmp_path / "out", fmt, "--keep-codes")
    path = tmp_path / "out" / f"who5.{ext}"
    assert str(path) in written
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reader = pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta
    frame, meta = reader(str(path), user_missing=True)
    who5 = load_instrument("who5")
    assert meta.column_names_to_labels["who5_1"] == "I have felt cheerful and in good spirits"
    assert meta.variable_value_labels["who5_1"][5] == "All of the time"
    assert meta.variable_value_labels["who5_1"][0] == "At no time"
    codes = {"skipped": -97, "prefer_not_to_say": -98, "dont_know": -99} if fmt == "spss" else \
        {"skipped": "a", "prefer_not_to_say": "b", "dont_know": "c"}
    answers = stored(store_path)
    answers = answers[answers["instrument"] == "who5"]
    rows = frame.set_index(["participant", "timepoint"])
    assert len(rows) == answers[["participant", "timepoint"]].drop_duplicates().shape[0] == 4
    for a in answers.itertuples():
        cell = rows.loc[(a.participant, a.timepoint), a.item]
        expected = codes[a.missing] if isinstance(a.missing, str) else a.value
        assert cell == expected, (a.participant, a.item)
    if fmt == "spss":
        assert {r["lo"] for r in meta.missing_ranges["who5_2"]} == {-97, -98, -99}
        assert meta.variable_value_labels["who5_2"][-98] == "prefer_not_to_say"
    else:
        assert meta.variable_value_labels["who5_2"]["b"] == "prefer_not_to_say"
        assert "b" in meta.missing_user_values["who5_2"]
    # The scores follow the items: amber-fox-11 pre answered 1..5 -> total 15, percent 60 (good).
    assert rows.loc[("amber-fox-11", "pre"), "percent"] == 60 and rows.loc[("amber-fox-11", "pre"), "percent_band"] == "good"
    assert meta.column_names_to_labels["percent"] == who5.scale("percent").label["en"]


@pytest.mark.parametrize("fmt, ext", [("spss", "sav"), ("stata", "dta")])
def test_statfiles_use_export_ids_and_leave_free_text_out(capsys, tmp_path, store_path, fmt, ext):
    export(capsys, store_path, tmp_path / "plain", fmt)
    reader = pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta
    frame, _ = reader(str(tmp_path / "plain" / f"who5.{ext}"))
    assert frame["participant"].str.fullmatch(r"p[0-9a-f]{8}").all() and frame["participant"].nunique() == 3
    raw = b"".join(p.read_bytes() for p in (tmp_path / "plain").iterdir())
    for code in [*CODES, "lone-pine-14"]:
        assert code.encode() not in raw
    assert SECRET.encode() not in raw
    export(capsys, store_path, tmp_path / "text", fmt, "--include-text")
    plan, _ = reader(str(tmp_path / "text" / f"i_statement.{ext}"))
    assert SECRET in set(plan[first_of(load_instrument("i_statement"), "free_text")])


def test_fhir_bundles_one_per_participant_and_timepoint(capsys, tmp_path, store_path):
    written = export(capsys, store_path, tmp_path / "out", "fhir", "--keep-codes")
    for path in written:
        assert stat.S_IMODE((tmp_path / "out" / path.rsplit("/", 1)[-1]).stat().st_mode) == 0o600
    questionnaires = {}
    for path in (tmp_path / "out").glob("Questionnaire-*.json"):
        q = Questionnaire.model_validate_json(path.read_text())
        questionnaires[f"{q.url}|{q.version}"] = q
    bundles = {}
    for path in (tmp_path / "out").glob("Bundle-*.json"):
        b = Bundle.model_validate_json(path.read_text())
        bundles[(b.identifier.value, b.entry[0].resource.extension[0].valueString)] = b
    answers = stored(store_path)
    assert set(bundles) == set(map(tuple, answers[["participant", "timepoint"]].drop_duplicates().to_numpy()))
    for a in answers[answers["instrument"] == "who5"].itertuples():
        bundle = bundles[(a.participant, a.timepoint)]
        response = next(e.resource for e in bundle.entry if "who5" in e.resource.questionnaire)
        assert response.questionnaire in questionnaires  # it references the exported Questionnaire
        item = next(i for i in response.item if i.linkId == a.item)
        if isinstance(a.missing, str):
            assert not item.answer and item.extension[0].valueCode == a.missing
        else:
            coding = item.answer[0].valueCoding
            assert coding.code == f"{a.value:g}"
            assert coding.display == next(o.label["en"] for o in load_instrument("who5").response_scale_of(
                load_instrument("who5").item(a.item)).options if o.value == a.value)
    text = "".join(p.read_text() for p in (tmp_path / "out").iterdir())
    assert SECRET not in text and "lone-pine-14" not in text
    chosen = next(e.resource for e in bundles[("quiet-owl-12", "pre")].entry if "emotion_checkin" in e.resource.questionnaire)
    assert len(next(i for i in chosen.item if i.answer).answer) == 2  # multiple choice: one answer per option


def test_fhir_free_text_only_on_opt_in_and_export_ids_by_default(capsys, tmp_path, store_path):
    export(capsys, store_path, tmp_path / "plain", "fhir")
    ids = {json.loads(p.read_text())["identifier"]["value"] for p in (tmp_path / "plain").glob("Bundle-*.json")}
    assert len(ids) == 3 and all(i.startswith("p") and len(i) == 9 for i in ids)
    export(capsys, store_path, tmp_path / "text", "fhir", "--include-text")
    assert SECRET in "".join(p.read_text() for p in (tmp_path / "text").glob("Bundle-*.json"))


@pytest.mark.slow
def test_example_cohort_exports_in_every_format(capsys, tmp_path):
    write_cohort(tmp_path / "data")
    with ResponseStore(tmp_path / "cohort.sqlite") as store:
        load_into_store(store, tmp_path / "data")
        answers = store.answers()
    for fmt, ext in (("spss", "sav"), ("stata", "dta")):
        export(capsys, tmp_path / "cohort.sqlite", tmp_path / fmt, fmt, "--keep-codes")
        reader = pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta
        for ident, part in answers.groupby("instrument"):
            frame, _ = reader(str(tmp_path / fmt / f"{ident}.{ext}"), user_missing=True)
            assert len(frame) == part[["participant", "timepoint"]].drop_duplicates().shape[0]
            answered = part[part["missing"].isna()]
            wide = frame.set_index(["participant", "timepoint"])
            got = [wide.loc[(r.participant, r.timepoint), r.item] for r in answered.itertuples()]
            assert got == answered["value"].tolist()
    export(capsys, tmp_path / "cohort.sqlite", tmp_path / "fhir", "fhir")
    bundles = list((tmp_path / "fhir").glob("Bundle-*.json"))
    assert len(bundles) == answers[["participant", "timepoint"]].drop_duplicates().shape[0]
    for path in bundles:
        Bundle.model_validate_json(path.read_text())
