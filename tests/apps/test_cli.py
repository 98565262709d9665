"""The ``attune`` command: list, show and score, and how it reports bad input.

Run in-process through ``toolkit.apps.cli.main`` (an unexpected exception would fail the test
instead of printing a traceback), and once through the installed console script.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from toolkit.apps.cli import main

ATTUNE = Path(sys.executable).with_name("attune")
SEVEN = ["brs", "csi4", "ecr_rs", "eu_signs", "help_indicators", "phq4", "who5"]
WHO5_HEADER = "participant,who5_1,who5_2,who5_3,who5_4,who5_5"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- list and show ----------------------------------------------------------------------------


def test_list_shows_every_bundled_questionnaire_and_checklist(capsys):
    code, out, err = run(capsys, "list")
    assert code == 0 and err == ""
    first_words = [line.split()[0] for line in out.splitlines()]
    assert first_words[0] == "id"  # a header line
    assert set(SEVEN) <= set(first_words[1:])


def test_show_ecr_rs_lists_its_items_with_reverse_keys_and_says_there_are_no_bands(capsys):
    code, out, err = run(capsys, "show", "ecr_rs")
    assert code == 0 and err == ""
    for i in range(1, 10):
        flag = "R" if i <= 4 else " "  # items 1-4 are reverse-keyed
        assert f"{flag} ecr_rs_{i:<4}" in out, f"ecr_rs_{i}"
    assert "It helps to turn to this person in times of need." in out
    assert "avoidance: mean of ecr_rs_1, ecr_rs_2, ecr_rs_3, ecr_rs_4, ecr_rs_5, ecr_rs_6; needs 5 of 6" in out
    assert "anxiety: mean of ecr_rs_7, ecr_rs_8, ecr_rs_9; needs 3 of 3" in out
    assert out.count("no bands:") == 2  # one line per scale, each with its reason


def test_show_unknown_instrument_exits_2(capsys):
    code, out, err = run(capsys, "show", "ecr")
    assert code == 2 and out == ""
    assert "unknown instrument 'ecr'" in err


# --- score -------------------------------------------------------------------------------------


SCORES_CSV = f"{WHO5_HEADER}\np1,5,4,3,2,1\np2,2,2,1,1,1\np3,5,5,5,5,\n"


def expected_who5_scores(frame: pd.DataFrame) -> None:
    assert frame["participant"].tolist() == ["p1", "p2", "p3"]
    assert frame["total"].tolist()[:2] == [15, 7]  # 5+4+3+2+1 = 15; 2+2+1+1+1 = 7
    assert frame["percent"].tolist()[:2] == [60, 28]  # 15 x 4; 7 x 4
    assert frame["percent_band"].fillna("").tolist() == ["good", "very_low", ""]
    assert pd.isna(frame["total"][2])  # p3 answered 4 of 5
    # 28 % is on the check-in cut-off; p3's total is at least 20 (80 %) whatever the missing answer
    assert frame["safety"].fillna("").tolist() == ["", "check_in", ""]
    assert frame["total_answered"].tolist() == [5, 5, 4]


def test_score_writes_csv_to_stdout(tmp_path, capsys):
    answers = write(tmp_path, "answers.csv", SCORES_CSV)
    code, out, err = run(capsys, "score", "who5", str(answers))
    assert code == 0 and err == ""
    assert out.splitlines()[0] == ("participant,total,total_answered,total_band,"
                                   "percent,percent_answered,percent_band,safety")
    expected_who5_scores(pd.read_csv(io.StringIO(out)))


def test_score_with_output_option_writes_the_file_and_nothing_to_stdout(tmp_path, capsys):
    answers = write(tmp_path, "answers.csv", SCORES_CSV)
    target = tmp_path / "scores.csv"
    code, out, err = run(capsys, "score", "who5", str(answers), "-o", str(target))
    assert code == 0 and out == "" and err == ""
    expected_who5_scores(pd.read_csv(target))


def test_score_accepts_typed_missing_codes(tmp_path, capsys):
    answers = write(tmp_path, "answers.csv",
                    "participant,brs_1,brs_2,brs_3,brs_4,brs_5,brs_6\np1,4,2,5,1,3,prefer_not_to_say\n")
    code, out, _ = run(capsys, "score", "brs", str(answers))
    assert code == 0
    row = pd.read_csv(io.StringIO(out)).iloc[0]
    assert row["resilience"] == pytest.approx(4.2)  # 4, 6-2=4, 5, 6-1=5, 3 -> 21/5
    assert row["resilience_answered"] == 5


def test_score_an_instrument_with_no_scored_items_does_not_crash(tmp_path, capsys):
    notes = write(tmp_path, "notes.yaml", """\
id: notes
version: "1"
kind: exercise
title: {en: Notes}
instructions: {en: Write anything.}
response_scales:
  - id: unused
    options: [{value: 0}]
items:
  - {id: note, type: free_text, text: {en: A note}}
licence: {terms: {en: test}, commercial_use: allowed, attribution: {en: test}}
""")
    answers = write(tmp_path, "answers.csv", "participant,note\np1,hello\n")
    code, out, err = run(capsys, "score", str(notes), str(answers))
    assert code == 0 and err == ""
    assert out.splitlines() == ["participant,safety", "p1,"]


# --- bad input: exit 2, a located message, no traceback -------------------------------------------


@pytest.mark.parametrize("csv_text, fragments", [
    (f"{WHO5_HEADER},who5_6\np1,5,4,3,2,1,1\n",
     ["line 1 (header)", "column 'who5_6' is not an item of who5"]),
    ("participant,who5_1,who5_2,who5_3,who5_4\np1,5,4,3,2\n",
     ["line 1 (header)", "column 'who5_5' of who5 is missing"]),
    (f"{WHO5_HEADER}\np1,5,4,3,2,1\np2,5,often,3,2,1\n",
     ["line 3 (row 2), participant p2, column 'who5_2'", "'often' is not a number or a missing-answer code"]),
    (f"{WHO5_HEADER}\np1,5,4,3,2,1\np2,5,4,3,2,1\np3,5,4,6,2,1\n",
     ["line 4 (row 3), participant p3, column 'who5_3'", "value 6 is not on the item's response scale (5, 4, 3, 2, 1, 0)"]),
    (f"{WHO5_HEADER}\np1,5,4,3,2,2.5\n",
     ["line 2 (row 1), participant p1, column 'who5_5'", "value 2.5 is not on the item's response scale"]),
    ("", ["the file is empty"]),
    (f"{WHO5_HEADER}\n", ["there are no responses to score (no rows)"]),
    ("participant,who5_1,who5_1,who5_3,who5_4,who5_5\np1,1,1,1,1,1\n", ["line 1: column 'who5_1' appears twice"]),
], ids=["unknown-column", "missing-column", "not-a-number", "off-scale", "not-a-step", "empty-file",
        "header-only", "repeated-column"])
def test_bad_answers_exit_2_with_a_located_message(tmp_path, capsys, csv_text, fragments):
    answers = write(tmp_path, "answers.csv", csv_text)
    code, out, err = run(capsys, "score", "who5", str(answers))
    assert code == 2
    assert out == ""
    assert err.startswith(f"attune score: {answers}: "), err
    for fragment in fragments:
        assert fragment in err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_unknown_instrument_id_exits_2_and_names_the_bundled_ids(tmp_path, capsys):
    answers = write(tmp_path, "answers.csv", SCORES_CSV)
    code, out, err = run(capsys, "score", "who6", str(answers))
    assert code == 2 and out == ""
    assert err.startswith("attune score: unknown instrument 'who6': give a bundled id (")
    assert all(i in err for i in SEVEN)
    assert "Traceback" not in err


def test_missing_answers_file_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "score", "who5", str(tmp_path / "nowhere.csv"))
    assert code == 2
    assert err == f"attune score: {tmp_path / 'nowhere.csv'}: file not found\n"


# --- the installed console script -------------------------------------------------------------


def test_console_script_scores_and_reports_errors(tmp_path):
    answers = write(tmp_path, "answers.csv", SCORES_CSV)
    ok = subprocess.run([str(ATTUNE), "score", "who5", str(answers)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    expected_who5_scores(pd.read_csv(io.StringIO(ok.stdout)))

    bad = write(tmp_path, "bad.csv", f"{WHO5_HEADER}\np1,5,4,3,2,9\n")
    failed = subprocess.run([str(ATTUNE), "score", "who5", str(bad)], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 2
    assert "line 2 (row 1), participant p1, column 'who5_5': value 9" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_score_adds_the_safety_level_for_answers_typed_in_from_paper(tmp_path, capsys):
    # PHQ-4 3, 3, 3 with the last item skipped: the total is at least 9, a check-in;
    # 1, 2 and two blanks: anxiety is 3 (information) and the total may stay below 6.
    answers = write(tmp_path, "phq4.csv", "participant,phq4_1,phq4_2,phq4_3,phq4_4\na,3,3,3,\nb,1,2,,\nc,0,0,0,0\n")
    code, out, _ = run(capsys, "score", "phq4", str(answers))
    assert code == 0
    assert pd.read_csv(io.StringIO(out))["safety"].fillna("").tolist() == ["check_in", "info", ""]
