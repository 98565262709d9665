"""``attune new``: starter files that are valid as written and refuse to overwrite anything."""

from __future__ import annotations

import filecmp
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from toolkit.apps.cli import main
from toolkit.apps.scaffold import ScaffoldError, new_instrument, new_workshop
from toolkit.errors import InstrumentError
from toolkit.instruments import load_instrument_file
from toolkit.settings import load_workshop

PROJECT = Path(__file__).resolve().parents[2]


def run_cli(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


# --- new instrument -----------------------------------------------------------------------------


def test_new_instrument_writes_id_yaml_here_and_it_passes_validate(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, lines, err = run_cli(capsys, "new", "instrument", "couple_checklist")
    assert code == 0 and lines == [str(tmp_path / "couple_checklist.yaml")]
    assert "attune validate" in err
    code, lines, _ = run_cli(capsys, "validate", "couple_checklist.yaml")
    assert code == 0 and lines == ["couple_checklist.yaml: ok (couple_checklist, 3 items, 1 scales)"]


def test_new_instrument_is_a_reflection_checklist_with_english_texts_and_comments(tmp_path):
    path = new_instrument("couple_checklist", tmp_path)
    inst = load_instrument_file(path)
    assert (inst.id, inst.kind, inst.title["en"]) == ("couple_checklist", "reflection",
                                                      "Couple checklist – a reflection checklist")
    assert inst.licence.commercial_use == "unclear"  # the trainer decides; a commercial workshop is warned
    text = path.read_text(encoding="utf-8")
    assert text.count("\n#") >= 10, "the skeleton explains its fields"
    assert "never a diagnosis" in text


def test_new_instrument_out_may_be_a_file_or_a_folder(tmp_path):
    assert new_instrument("a_list", tmp_path / "lists" / "mine.yaml") == tmp_path / "lists" / "mine.yaml"
    assert new_instrument("b_list", tmp_path / "lists") == tmp_path / "lists" / "b_list.yaml"
    assert new_instrument("c_list", f"{tmp_path}/new_folder/") == tmp_path / "new_folder" / "c_list.yaml"


def test_new_instrument_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    path = new_instrument("mine", tmp_path)
    path.write_text("# my edits\n" + path.read_text())
    code, _, err = run_cli(capsys, "new", "instrument", "mine", "--out", str(tmp_path))
    assert code == 2 and "already exists" in err and "--force" in err
    assert path.read_text().startswith("# my edits")
    assert new_instrument("mine", tmp_path, force=True) == path and not path.read_text().startswith("# my edits")


@pytest.mark.parametrize("bad", ["Couple", "2nd_list", "couple-list", "my list"])
def test_new_instrument_refuses_an_id_that_cannot_be_stored(tmp_path, bad):
    with pytest.raises(ScaffoldError, match="cannot be an instrument id"):
        new_instrument(bad, tmp_path)


def test_new_instrument_refuses_a_bundled_id(tmp_path):
    with pytest.raises(ScaffoldError, match="'who5' is the id of a bundled instrument"):
        new_instrument("who5", tmp_path)


def test_a_question_added_without_widening_the_bands_is_reported_at_the_bands(tmp_path):
    path = new_instrument("mine", tmp_path)
    text = path.read_text().replace("items: [first_question, second_question, third_question]",
                                    "items: [first_question, second_question, third_question, fourth_question]")
    text = text.replace("\nscales:", "\n  - id: fourth_question\n    type: yes_no\n    response_scale: yes_no\n"
                                     "    text: {en: A fourth statement.}\n\nscales:")
    path.write_text(text)
    with pytest.raises(InstrumentError) as caught:
        load_instrument_file(path)
    bands_line = text[:text.index("    bands:")].count("\n") + 1
    label_line = text[:text.index("(0 to 3)")].count("\n") + 1
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:{label_line}: the en label of scale 'count' says 0 to 3, but its scores run from 0 to 4",
        f"{path}:{bands_line}: bands of scale 'count' leave a gap: no band holds the possible score(s) 4"]


# --- new workshop -------------------------------------------------------------------------------


def test_new_workshop_then_check_passes_with_no_errors(tmp_path, capsys):
    folder = tmp_path / "spring_group"
    code, lines, err = run_cli(capsys, "new", "workshop", str(folder))
    assert code == 0 and str(folder / "workshop.yaml") in lines and "attune check" in err
    code, lines, _ = run_cli(capsys, "check", str(folder / "workshop.yaml"), "--no-run")
    assert code == 0, lines
    assert re.fullmatch(r"0 errors, \d+ warnings?", lines[-1])


def test_new_workshop_copies_the_session_notebooks_and_their_text_pairs(tmp_path):
    folder = tmp_path / "spring_group"
    written = new_workshop(folder)
    default = load_workshop(PROJECT / "workshop.yaml")
    for notebook in default.notebooks:
        name = notebook.relative_to(PROJECT)
        for suffix in (".ipynb", ".md"):
            copy = folder / name.with_suffix(suffix)
            assert copy in written and filecmp.cmp(copy, notebook.with_suffix(suffix), shallow=False)
    starter = load_workshop(folder)
    assert [s.model_dump() for s in starter.spec.sessions] == [s.model_dump() for s in default.spec.sessions]


def test_new_workshop_has_the_facilitator_dashboard_and_attune_dashboard_finds_it_there(tmp_path, monkeypatch):
    from toolkit.apps.cli import _dashboard_folder, _workshop

    folder = tmp_path / "spring_group"
    written = new_workshop(folder)
    dashboard = folder / "notebooks" / "facilitator_dashboard.ipynb"
    assert dashboard in written and dashboard.with_suffix(".md") in written
    monkeypatch.chdir(folder)  # the facilitator runs `attune dashboard` from the workshop folder
    ws = _workshop(SimpleNamespace(workshop=None))
    assert _dashboard_folder(None, ws).resolve() == dashboard.parent.resolve()


def test_new_workshop_keeps_answers_outside_the_folder_in_a_store_of_its_own(tmp_path):
    folder = tmp_path / "Spring Group"
    new_workshop(folder)
    ws = load_workshop(folder)
    assert ws.spec.store == "~/.attune/spring-group.sqlite"
    assert not ws.store_path.resolve().is_relative_to(folder.resolve())


def test_new_workshop_readme_points_to_the_guide_and_the_check(tmp_path):
    new_workshop(tmp_path / "w")
    readme = (tmp_path / "w" / "README.md").read_text(encoding="utf-8")
    assert "attune check workshop.yaml" in readme
    assert str(PROJECT / "docs" / "trainers.md") in readme
    assert "jupytext --sync" in readme


def test_new_workshop_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "notes.txt").write_text("mine")
    code, _, err = run_cli(capsys, "new", "workshop", str(tmp_path / "w"))
    assert code == 2 and "is not an empty folder" in err and "nothing was written" in err
    assert [p.name for p in (tmp_path / "w").iterdir()] == ["notes.txt"]


def test_new_workshop_accepts_an_empty_folder(tmp_path):
    (tmp_path / "w").mkdir()
    assert (tmp_path / "w" / "workshop.yaml") in new_workshop(tmp_path / "w")


def test_project_files_come_from_the_checkout_here_and_from_the_package_when_installed(tmp_path, monkeypatch):
    from toolkit import settings

    assert settings.bundled_path("notebooks") == PROJECT / "notebooks"  # editing the checkout changes what runs
    assert settings.bundled_path("docs/trainers.md").is_file()
    packaged = tmp_path / "toolkit" / "resources"
    packaged.mkdir(parents=True)
    monkeypatch.setattr(settings, "PACKAGED", packaged)  # as in a wheel (pyproject.toml, hatch_build.py)
    assert settings.bundled_path("workshop.yaml") == packaged / "workshop.yaml"
