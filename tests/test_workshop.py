"""A workshop file is validated like an instrument file: each mistake is ``path:line: message``.

Every bad file starts as a valid one (``VALID``) with one thing changed; the expected line is
found in the changed text, so the tests keep pinning the line the trainer has to edit.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import badfile
import pytest
from badfile import line_of, write_changed

from toolkit.errors import WorkshopFileError
from toolkit.settings import load_workshop, workshop_file

PROJECT = Path(__file__).resolve().parent.parent

VALID = """\
title:
  en: Our relationship workshop
  es: Nuestro taller de pareja
language: en
locale: en-GB
crisis_resources_checked: 2026-11-20
use: non_commercial
k: 5
store: ~/.attune/test-workshop.sqlite
sessions:
  - notebook: notebooks/00_welcome.ipynb
    instruments: []
  - notebook: notebooks/01_recognizing.ipynb
    instruments: [eu_signs, who5]
  - notebook: notebooks/02_attachment.ipynb
    instruments: [ecr_rs]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A workshop folder whose notebooks exist (their content does not matter here)."""
    for name in ("00_welcome", "01_recognizing", "02_attachment", "03_communication"):
        path = tmp_path / "notebooks" / f"{name}.ipynb"
        path.parent.mkdir(exist_ok=True)
        path.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', encoding="utf-8")
    return tmp_path


def changed(folder: Path, old: str, new: str) -> tuple[Path, str]:
    return write_changed(folder / "workshop.yaml", VALID, old, new)


def problems_of(path: Path) -> list[str]:
    return badfile.problems_of(load_workshop, WorkshopFileError, path)


def assert_only_problem(path: Path, line: int, fragment: str) -> None:
    badfile.assert_only_problem(problems_of(path), path, line, fragment)


# --- a valid file -------------------------------------------------------------------------------


def test_valid_file_loads_with_paths_relative_to_its_folder(folder):
    path, _ = changed(folder, "k: 5", "k: 5")
    ws = load_workshop(path)
    assert ws.spec.title["en"] == "Our relationship workshop"
    assert ws.notebooks == [folder / "notebooks" / n for n in
                            ("00_welcome.ipynb", "01_recognizing.ipynb", "02_attachment.ipynb")]
    assert [(r.session, r.name) for r in ws.instruments] == [(1, "eu_signs"), (1, "who5"), (2, "ecr_rs")]
    assert ws.spec.crisis_resources_checked == date(2026, 11, 20) and ws.spec.crisis_resources_confirmed
    assert ws.store_path == Path.home() / ".attune" / "test-workshop.sqlite"


def test_a_folder_stands_for_the_workshop_file_in_it(folder):
    path, _ = changed(folder, "k: 5", "k: 5")
    assert workshop_file(folder) == path
    assert load_workshop(folder).path == path


def test_k_and_store_have_defaults(folder):
    path, _ = changed(folder, "k: 5\nstore: ~/.attune/test-workshop.sqlite\n", "")
    ws = load_workshop(path)
    assert ws.spec.k == 5 and ws.spec.store is None


def test_a_relative_store_is_relative_to_the_workshop_file(folder):
    path, _ = changed(folder, "store: ~/.attune/test-workshop.sqlite", "store: ../answers.sqlite")
    assert load_workshop(path).store_path == folder / ".." / "answers.sqlite"


def test_kernel_environment_carries_store_locale_language_and_the_file(folder):
    path, _ = changed(folder, "k: 5", "k: 5")
    env = load_workshop(path).environment(ATTUNE_STORE="/tmp/x.sqlite")
    assert env == {"ATTUNE_STORE": "/tmp/x.sqlite", "ATTUNE_LOCALE": "en-GB", "ATTUNE_LANGUAGE": "en",
                   "ATTUNE_WORKSHOP": str(path.resolve())}


def test_own_instrument_is_a_path_relative_to_the_workshop_file(folder):
    (folder / "checklists").mkdir()
    own = folder / "checklists" / "ours.yaml"
    own.write_text("id: ours\n", encoding="utf-8")  # only found here; its content is checked by `attune check`
    path, _ = changed(folder, "[ecr_rs]", "[ecr_rs, checklists/ours.yaml]")
    refs = load_workshop(path).instruments
    assert refs[-1].source == own and refs[-1].name == "checklists/ours.yaml"


def test_the_shipped_workshop_runs_the_seven_sessions_with_their_instruments():
    ws = load_workshop(PROJECT / "workshop.yaml")
    sessions = {s.notebook: s.instruments for s in ws.spec.sessions}
    assert sessions == {
        "notebooks/00_welcome.ipynb": ["relationship_safety", "session_check"],
        "notebooks/01_recognizing.ipynb": ["eu_signs", "who5", "session_check"],
        "notebooks/02_attachment.ipynb": ["ecr_rs", "session_check"],
        "notebooks/03_communication.ipynb": ["i_statement", "csi4", "session_check"],
        "notebooks/04_trauma_resilience.ipynb": ["brs", "emotion_checkin", "session_check"],
        "notebooks/05_seeking_help.ipynb": ["help_indicators", "phq4", "therapist_checklist", "session_check"],
        "notebooks/06_first_step.ipynb": ["conversation_plan", "action_plan", "who5", "csi4", "brs", "session_check"],
    }
    assert ws.spec.k == 5 and ws.spec.use == "non_commercial" and ws.spec.language == "en"
    assert not ws.spec.crisis_resources_confirmed  # a facilitator confirms before their own workshop


# --- each mistake at its line ---------------------------------------------------------------------


def test_unknown_field_suggests_the_field_meant(folder):
    path, text = changed(folder, "language: en", "langauge: en\nlanguage: en")
    assert_only_problem(path, line_of(text, "langauge"), "unknown field 'langauge' (did you mean 'language'?)")


def test_unknown_field_in_a_session_is_reported_at_its_line(folder):
    path, text = changed(folder, "    instruments: [ecr_rs]", "    instruments: [ecr_rs]\n    duration: 90")
    assert_only_problem(path, line_of(text, "duration"), "unknown field 'sessions.2.duration'")


def test_unknown_session_notebook_suggests_the_close_one(folder):
    path, text = changed(folder, "notebooks/02_attachment.ipynb", "notebooks/02_attachement.ipynb")
    assert_only_problem(path, line_of(text, "02_attachement"), "session notebook 'notebooks/02_attachement.ipynb' "
                        "not found (did you mean 'notebooks/02_attachment.ipynb'?)")


def test_session_given_as_its_text_pair_asks_for_the_notebook(folder):
    path, text = changed(folder, "notebooks/02_attachment.ipynb", "notebooks/02_attachment.md")
    assert_only_problem(path, line_of(text, "02_attachment.md"), "give 'notebooks/02_attachment.ipynb'")


def test_duplicate_session_is_reported_at_the_second_one(folder):
    path, text = changed(folder, "  - notebook: notebooks/02_attachment.ipynb\n",
                         "  - notebook: notebooks/01_recognizing.ipynb\n")
    second = text.index("notebooks/01_recognizing.ipynb", text.index("notebooks/01_recognizing.ipynb") + 1)
    assert_only_problem(path, text[:second].count("\n") + 1,
                        "session notebook 'notebooks/01_recognizing.ipynb' is listed twice (sessions 2 and 3)")


def test_unknown_instrument_id_names_the_bundled_ones_and_the_close_one(folder):
    path, text = changed(folder, "[eu_signs, who5]", "[eu_signs, who6]")
    assert_only_problem(path, line_of(text, "who6"), "unknown instrument 'who6': did you mean 'who5'? give a bundled id")


def test_missing_instrument_file_is_reported_at_its_line(folder):
    path, text = changed(folder, "[ecr_rs]", "[ecr_rs, checklists/ours.yaml]")
    assert_only_problem(path, line_of(text, "ours.yaml"), "instrument file 'checklists/ours.yaml' not found")


def test_instrument_listed_twice_in_a_session(folder):
    path, text = changed(folder, "[ecr_rs]", "[ecr_rs, ecr_rs]")
    assert_only_problem(path, line_of(text, "[ecr_rs, ecr_rs]"), "instrument 'ecr_rs' is listed twice in session 3")


@pytest.mark.parametrize("k, message", [
    ("1", "k: must be at least 2, not 1"),
    ("0", "k: must be at least 2, not 0"),
    ("5.5", "k: must be a whole number of people such as 5, not 5.5"),
    ("'5'", "k: must be a whole number of people such as 5, not '5'"),
    ("five", "k: must be a whole number of people such as 5, not 'five'"),
    ("true", "k: must be a whole number of people such as 5, not True"),
])
def test_k_must_be_a_whole_number_of_at_least_two(folder, k, message):
    path, text = changed(folder, "k: 5", f"k: {k}")
    assert_only_problem(path, line_of(text, f"k: {k}"), message)


def test_title_without_an_english_fallback(folder):
    path, text = changed(folder, "  en: Our relationship workshop\n", "")
    assert_only_problem(path, line_of(text, "title:"), "title: a text needs an English version under 'en'")


def test_language_must_be_a_language_code(folder):
    path, text = changed(folder, "language: en", "language: Spanish")
    assert_only_problem(path, line_of(text, "language: Spanish"), "'Spanish' is not a language code")


def test_missing_crisis_resources_checked_says_what_to_write(folder):
    path, _ = changed(folder, "crisis_resources_checked: 2026-11-20\n", "")
    assert_only_problem(path, 1, "missing field 'crisis_resources_checked': add `crisis_resources_checked: false`")


def test_crisis_resources_checked_is_a_date_or_false(folder):
    path, text = changed(folder, "crisis_resources_checked: 2026-11-20", "crisis_resources_checked: last week")
    assert_only_problem(path, line_of(text, "last week"), "'last week' is neither a date nor false")


def test_declared_use_is_one_of_two(folder):
    path, text = changed(folder, "use: non_commercial", "use: research")
    assert_only_problem(path, line_of(text, "use: research"), "use: Input should be 'non_commercial' or 'commercial'")


def test_a_workshop_needs_sessions(folder):
    path, text = changed(folder, VALID[VALID.index("sessions:"):], "sessions: []\n")
    assert_only_problem(path, line_of(text, "sessions: []"), "sessions: List should have at least 1 item")


def test_yaml_syntax_error_is_reported_at_its_line(folder):
    path, text = changed(folder, "    instruments: [ecr_rs]", "    instruments: [ecr_rs")
    problems = problems_of(path)
    assert len(problems) == 1 and "YAML syntax error" in problems[0], problems
    assert problems[0].startswith(f"{path}:{line_of(text, 'instruments: [ecr_rs') + 1}: ")  # where YAML notices


def test_duplicate_key_is_reported_at_the_second_key(folder):
    path, text = changed(folder, "k: 5", "k: 5\nk: 6")
    assert_only_problem(path, line_of(text, "k: 6"), "duplicate key 'k'")


def test_missing_file_is_one_problem(tmp_path):
    assert problems_of(tmp_path / "workshop.yaml") == [f"{tmp_path / 'workshop.yaml'}: file not found"]


def test_every_mistake_is_reported_at_once(folder):
    path, text = changed(folder, "[eu_signs, who5]", "[eu_signs, who6]")
    text = text.replace("notebooks/02_attachment.ipynb", "notebooks/02_missing.ipynb")
    path.write_text(text, encoding="utf-8")
    lines = [int(p.split(":")[1]) for p in problems_of(path)]
    assert lines == [line_of(text, "who6"), line_of(text, "02_missing")]
