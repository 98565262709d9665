"""Export and erasure as a facilitator runs them: `attune export` and `attune erase`."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from toolkit.apps.cli import main
from toolkit.instruments import load_instrument_file
from toolkit.store.responses import ResponseStore

CODES = ["amber-fox-11", "quiet-owl-12", "misty-elk-13"]


@pytest.fixture
def note_instrument(tmp_path):
    """A tiny exercise instrument with one free-text item (not bundled, so exported as data only)."""
    path = tmp_path / "note.yaml"
    path.write_text(
        "id: note_exercise\nversion: '1'\nkind: exercise\ntitle: {en: A note}\n"
        "instructions: {en: Write a note.}\nresponse_scales:\n  - id: unused\n    options: [{value: 0}]\n"
        "items:\n  - {id: note, type: free_text, text: {en: Your note}}\n"
        "licence: {terms: {en: Attune's own.}, commercial_use: allowed, attribution: {en: Attune}}\n")
    return path


@pytest.fixture
def store_path(place, note_instrument):
    """A filled store on each back end (its file path or URL)."""
    path = place.location
    with ResponseStore(path) as store:
        for i, code in enumerate(CODES):
            store.register(code, storage_consent=True)
            for j in range(1, 6):
                store.record_answer(code, "who5", f"who5_{j}", (i + j) % 6, timepoint="pre")
        store.register("lone-pine-14", storage_consent=False)  # refused: never stored
        store.record_answer("amber-fox-11", "who5", "who5_1", 5, timepoint="post")
        note = load_instrument_file(note_instrument)
        store.record_answer("quiet-owl-12", note, "note", "<img src=x onerror=alert(1)> call me Sam", timepoint="pre")
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_writes_three_files_with_export_ids_not_codes(store_path, tmp_path, capsys):
    code, out, _ = run(capsys, "export", "--store", str(store_path), "--out", str(tmp_path / "out"))
    assert code == 0
    answers = pd.read_csv(tmp_path / "out" / "answers.csv")
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    assert (tmp_path / "out" / "codebook.csv").exists()
    text = "".join((tmp_path / "out" / f).read_text() for f in ("answers.csv", "scores.csv", "codebook.csv"))
    for c in CODES:
        assert c not in text
    assert answers["participant"].str.fullmatch(r"p[0-9a-f]{8}").all()
    # The same person has the same export id in both files.
    assert set(scores["participant"]) <= set(answers["participant"])
    assert answers["participant"].nunique() == 3


def test_export_keep_codes_keeps_participant_codes(store_path, tmp_path, capsys):
    run(capsys, "export", "--store", str(store_path), "--out", str(tmp_path / "out"), "--keep-codes")
    answers = pd.read_csv(tmp_path / "out" / "answers.csv")
    assert set(answers["participant"]) == set(CODES)


def test_export_has_no_one_who_refused_consent(store_path, tmp_path, capsys):
    run(capsys, "export", "--store", str(store_path), "--out", str(tmp_path / "out"), "--keep-codes")
    answers = pd.read_csv(tmp_path / "out" / "answers.csv")
    assert "lone-pine-14" not in set(answers["participant"])


def test_export_leaves_free_text_out_unless_asked(store_path, tmp_path, capsys):
    run(capsys, "export", "--store", str(store_path), "--out", str(tmp_path / "plain"))
    assert "call me Sam" not in (tmp_path / "plain" / "answers.csv").read_text()
    run(capsys, "export", "--store", str(store_path), "--out", str(tmp_path / "text"), "--include-text")
    assert "call me Sam" in (tmp_path / "text" / "answers.csv").read_text()


def test_export_scores_one_row_per_participant_timepoint_instrument(store_path, tmp_path, capsys):
    run(capsys, "export", "--store", str(store_path), "--out", str(tmp_path / "out"), "--keep-codes")
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    pre = scores[(scores["instrument"] == "who5") & (scores["timepoint"] == "pre")].set_index("participant")
    # amber-fox-11 answered (0+1..0+5) % 6 = 1, 2, 3, 4, 5 -> total 15, percent 60 ("good": 51-100).
    assert pre.loc["amber-fox-11", "total"] == 15
    assert pre.loc["amber-fox-11", "percent"] == 60
    assert pre.loc["amber-fox-11", "percent_band"] == "good"
    assert not scores.duplicated(["participant", "instrument", "timepoint"]).any()
    # The post timepoint has one answer only: too few to score, but the row is there.
    post = scores[(scores["timepoint"] == "post")]
    assert len(post) == 1 and pd.isna(post["total"].iloc[0]) and post["total_answered"].iloc[0] == 1


def test_codebook_documents_every_exported_column(store_path, tmp_path, capsys):
    run(capsys, "export", "--store", str(store_path), "--out", str(tmp_path / "out"))
    book = pd.read_csv(tmp_path / "out" / "codebook.csv")
    for name in ("answers", "scores"):
        columns = pd.read_csv(tmp_path / "out" / f"{name}.csv").columns
        documented = set(book.loc[book["file"] == f"{name}.csv", "column"])
        assert set(columns) <= documented, f"undocumented in {name}.csv: {set(columns) - documented}"
    assert book["meaning"].str.len().gt(10).all()


def test_export_refuses_a_path_that_is_not_a_store(tmp_path, capsys):
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("hello")
    code, _, err = run(capsys, "export", "--store", str(not_a_store), "--out", str(tmp_path / "out"))
    assert code == 2 and "not an Attune response store" in err and "Traceback" not in err
    code, _, err = run(capsys, "export", "--store", str(tmp_path / "missing.sqlite"), "--out", str(tmp_path / "o"))
    assert code == 2 and "no Attune response store" in err
    assert not (tmp_path / "missing.sqlite").exists()


def test_erase_removes_every_row_about_the_code(store_path, place, capsys):
    assert place.rows_mentioning("amber-fox-11")["answers"] == 6
    code, out, _ = run(capsys, "erase", "--store", str(store_path), "amber-fox-11")
    assert code == 0
    removed = int(out.split()[1])
    assert removed >= 7  # 1 participant row + 6 answers (+ anything else about it)
    assert set(place.rows_mentioning("amber-fox-11").values()) == {0}
    assert place.rows_mentioning("quiet-owl-12")["answers"] == 6


def test_erase_unknown_code_says_so_and_exits_1(store_path, capsys):
    code, _, err = run(capsys, "erase", "--store", str(store_path), "misty-elk-99")
    assert code == 1 and "misty-elk-99" in err


def test_erase_refuses_a_path_that_is_not_a_store(tmp_path, capsys):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    code, _, err = run(capsys, "erase", "--store", str(other), "amber-fox-11")
    assert code == 2 and "not an Attune response store" in err


def test_export_says_plainly_when_it_goes_beyond_what_participants_were_told(store_path, tmp_path, capsys):
    from toolkit.apps.cli import main

    assert main(["export", "--store", str(store_path), "--out", str(tmp_path / "plain")]) == 0
    assert capsys.readouterr().err == ""
    assert main(["export", "--store", str(store_path), "--out", str(tmp_path / "more"), "--keep-codes",
                 "--include-text"]) == 0
    err = capsys.readouterr().err
    assert "--keep-codes writes participants' codes" in err and "--include-text writes what participants typed" in err
