"""``attune handouts``: print-ready pages per session, from the notebooks and the content files.

Every handout of the English and the Spanish workshop is written with the real command and
read as text: the session's key points, each exercise's fill-in sheet, the blank
questionnaire sheets and every support contact of the locale must be on it, and no code
cell or facilitator note may be. A sheet's answers typed into a CSV go through ``attune
score`` like answers from a screen, safety column included. The Chromium checks (no request
with the network blocked, printing to PDF on A4 and Letter within a page bound, no sideways
overflow) are in tests/browser/test_handouts_print.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from toolkit.apps.cli import main
from toolkit.core.support import crisis_resources
from toolkit.instruments import load_instrument
from toolkit.render.handouts import CSP, SessionHandout, render_handout, session_text
from toolkit.settings import load_workshop

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "toolkit" / "content" / "exercises"
WORKSHOPS = {"en": ROOT / "workshop.yaml", "es": ROOT / "workshops" / "es" / "workshop.yaml"}
#: session number -> the exercise sheets it must carry, as (content file, key of its title)
SHEETS = {
    3: [("i_statement", "title"), ("speaker_listener", "title"), ("time_out", "title")],
    4: [("grounding", "title"), ("emotions", "title")],
    6: [("revisit", "title")],
}


def content(name: str) -> dict:
    return yaml.safe_load((EXERCISES / f"{name}.yaml").read_text(encoding="utf-8"))


def text_of(page: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded, spaces squeezed."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture(scope="module", params=["en", "es"])
def written(request, tmp_path_factory):
    """(language, workshop, {session index: page HTML}, index page) written by the real command."""
    language = request.param
    out = tmp_path_factory.mktemp(f"handouts-{language}")
    assert main(["handouts", str(WORKSHOPS[language]), "--out", str(out)]) == 0
    ws = load_workshop(WORKSHOPS[language])
    pages = {n: (out / f"{nb.stem}.html").read_text(encoding="utf-8") for n, nb in enumerate(ws.notebooks)}
    return language, ws, pages, (out / "index.html").read_text(encoding="utf-8")


def test_every_session_gets_a_page_in_the_workshops_language_and_the_index_links_them(written):
    language, ws, pages, index = written
    assert len(pages) == len(ws.spec.sessions) == 7
    for n, page in pages.items():
        assert f"<html lang='{language}'>" in page
        title = session_text(json.loads(ws.notebooks[n].read_text(encoding="utf-8"))).title
        assert title and f"<h1>{title}</h1>" in page.replace("&#x27;", "'")
        assert f"href='{ws.notebooks[n].stem}.html'" in index
    yours = content("handouts")["yours_note"][language].split()[0]
    assert all(yours in text_of(p) for p in pages.values())


def test_pages_load_nothing_and_carry_no_code_or_facilitator_notes(written):
    language, ws, pages, _ = written
    for page in pages.values():
        assert CSP in page and "default-src 'none'" in CSP
        assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, flags=re.IGNORECASE)
        assert not re.search(r"\bsrc\s*=", page) and "@import" not in page and "url(" not in page
        for code in ("session.questionnaire(", "session.join()", "Session(", "import "):
            assert code not in page
        assert "Facilitator notes" not in page and "Notas para quien facilita" not in page


def test_key_points_and_home_practice_come_from_the_take_away_section(written):
    language, ws, pages, _ = written
    heading = content("handouts")["key_points_heading"][language]
    practice = content("handouts")["home_practice_heading"][language]
    for n in (1, 2, 3, 4):  # the sessions with a take-away section
        text = text_of(pages[n])
        assert heading in text, n
        assert (practice in text) == (n != 2), n  # session 2 sets nothing to try between sessions
        nb = session_text(json.loads(ws.notebooks[n].read_text(encoding="utf-8")))
        take_away = next(s for s in nb.sections if s.heading in ("To take away", "Para llevarte"))
        first_point = re.sub(r"[*_]", "", take_away.body.splitlines()[0].lstrip("- ")).strip()
        assert " ".join(first_point.split()) in text, n


@pytest.mark.parametrize("session, sheets", sorted(SHEETS.items()))
def test_each_exercise_has_its_fill_in_sheet(written, session, sheets):
    language, _, pages, _ = written
    text = text_of(pages[session])
    for name, key in sheets:
        assert content(name)[key][language] in text, (session, name)


def test_exercise_sheets_carry_their_contents(written):
    language, _, pages, _ = written
    s3, s4, s5, s6 = (text_of(pages[n]) for n in (3, 4, 5, 6))
    sl = content("speaker_listener")
    for rule in sl["speaker_rules"] + sl["listener_rules"] + sl["both_rules"] + sl["starters"]:
        assert rule[language] in s3
    lead = {"en": "I feel", "es": "Me siento"}[language]
    assert lead in content("i_statement")["template"][language] and re.search(rf"{lead}\s+when|{lead}\s+cuando", s3)
    for step in content("grounding")["senses_steps"]:
        assert step[language] in s4
    for family in content("emotions")["families"]:
        assert family["name"][language] in s4
        assert all(word["text"][language] in s4 for word in family["words"])
    for question in content("therapy_approaches")["checklist"]["follow_up"].values():
        assert question[language] in s5
    for plan in ("conversation_plan", "action_plan"):
        for item in load_instrument(plan).items:
            assert item.text[language] in s6, (plan, item.id)


def test_time_out_and_revisit_sheets_carry_their_steps_and_safety_note(written):
    language, _, pages, _ = written
    s3, s6 = text_of(pages[3]), text_of(pages[6])
    to = content("time_out")
    say = to["say_it"][language].format(minutes=to["real_minutes"])
    for text in [*to["signs"], *to["soothe"], *to["come_back"], *to["repairs"]]:
        assert " ".join(text[language].split()) in s3
    for key in ("signs_heading", "say_heading", "soothe_heading", "come_back_heading", "repair_heading",
                "own_words_label", "safety_note"):
        assert " ".join(to[key][language].split()) in s3, key
    assert say in s3
    rv = content("revisit")
    for text in [*rv["before"], *rv["steps"], *rv["starters"]]:
        assert " ".join(text[language].split()) in s6
    assert " ".join(rv["safety_note"][language].split()) in s6
    assert to["title"][language] not in s6 and rv["title"][language] not in s3


def test_spanish_i_statement_sheet_offers_adjectives_for_me_siento(written):
    language, _, pages, _ = written
    if language != "es":
        assert "solo / sola" not in pages[3]
        return
    text = text_of(pages[3])
    assert "Me siento" in text and "solo / sola" in text and "dolido / dolida" in text
    assert "Me siento soledad" not in text


def test_every_support_contact_of_the_locale_is_on_every_page(written):
    language, ws, pages, _ = written
    info = crisis_resources(ws.spec.locale, language)
    assert info.resources
    for page in pages.values():
        text = text_of(page)
        for r in info.resources:
            assert r.name in text, r.name
            if r.phone:
                assert r.phone in text
        assert info.notice in text


def test_every_questionnaire_of_a_session_has_a_blank_paper_sheet(written):
    language, ws, pages, _ = written
    special = {"i_statement", "emotion_checkin", "therapist_checklist"}
    for ref in ws.instruments:
        inst = load_instrument(ref.source)
        page = pages[ref.session]
        text = text_of(page)
        if inst.id in special:
            continue
        heading = content("handouts")["questionnaire_heading"][language].format(title=inst.title.get(language)
                                                                                or inst.title["en"])
        assert heading in text, (ref.session, inst.id)
        for item in inst.items:
            assert (item.text.get(language) or item.text["en"]) in text
            assert f"[{item.id}]" in text
        assert (inst.licence.attribution.get(language) or inst.licence.attribution["en"]).split(".")[0] in text
        assert f"participant,{','.join(inst.item_ids)}" in text


def test_who5_sheet_shows_each_option_as_a_box_with_its_value():
    inst = load_instrument("who5")
    text = session_text({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# S"}]})
    page = render_handout(SessionHandout(text, (inst,)), language="en")
    sheet = page[page.index("On paper: WHO-5"):]
    assert sheet.count("class='box'") == 5 * 6
    for option in inst.response_scales[0].options:
        assert f"<span class='value'>{option.value}</span> {option.label['en']}" in sheet


def test_answers_typed_in_from_a_paper_sheet_score_with_the_same_safety_follow_up(tmp_path, capsys):
    inst = load_instrument("phq4")
    text = session_text({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# S"}]})
    page = render_handout(SessionHandout(text, (inst,)), language="es")
    columns = re.search(r"attune score phq4: ([\w,]+)", page).group(1)
    answers = tmp_path / "paper.csv"
    answers.write_text(f"{columns}\nquiet-owl-12,3,3,3,\nbright-elk-7,0,0,1,0\n", encoding="utf-8")
    assert main(["score", "phq4", str(answers)]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    header = rows[0].split(",")
    first, second = (dict(zip(header, r.split(","), strict=True)) for r in rows[1:])
    assert first["participant"] == "quiet-owl-12" and first["safety"] == "check_in"
    assert second["safety"] == ""


def test_a_trainers_edit_to_a_notebook_changes_the_handout(tmp_path, capsys):
    folder = tmp_path / "spring"
    assert main(["new", "workshop", str(folder)]) == 0
    notebook = folder / "notebooks" / "03_communication.ipynb"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## To take"))
    cell["source"] = "## To take away\n\n- Our own point <script>alert(1)</script>, from the trainer.\n\n*Try:* one kind word.\n"
    secret = {"cell_type": "markdown", "metadata": {"tags": ["facilitator"]}, "source": "**Facilitator notes**\n\nSECRET"}
    nb["cells"].append(secret)
    notebook.write_text(json.dumps(nb), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["handouts", str(folder), "--out", str(out)]) == 0
    page = (out / "03_communication.html").read_text(encoding="utf-8")
    keypoints = page[page.index("class='keypoints'"):page.index("class='practice'")]
    assert "Our own point &lt;script&gt;alert(1)&lt;/script&gt;, from the trainer." in keypoints
    assert "<script>" not in page and "SECRET" not in page
    assert "one kind word" in page[page.index("class='practice'"):]


def test_a_trainers_edit_to_exercise_content_changes_the_sheet(tmp_path, monkeypatch):
    import toolkit.render.handouts as handouts

    copy = tmp_path / "exercises"
    shutil.copytree(EXERCISES, copy)
    data = content("speaker_listener")
    data["starters"].append({"en": "Listener: \"Tell me more about …\"", "es": "Quien escucha: «Cuéntame más…»"})
    (copy / "speaker_listener.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(handouts, "EXERCISES_DIR", copy)
    handouts._content.cache_clear()
    try:
        text = session_text({"cells": [{"cell_type": "code", "metadata": {}, "source": "SpeakerListenerCard(x)"}]})
        page = render_handout(SessionHandout(text), language="es")
        assert "Quien escucha: «Cuéntame más…»" in page
    finally:
        handouts._content.cache_clear()


def test_without_a_workshop_argument_it_uses_the_workshop_here(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["handouts", "--out", "h"]) == 0
    assert sorted(p.name for p in (tmp_path / "h").iterdir())[0] == "00_welcome.html"


def test_an_unwritable_folder_exits_2_with_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["handouts", str(WORKSHOPS["en"]), "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("attune handouts: cannot write to") and "\n" not in err
