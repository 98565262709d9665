"""The relationship-safety screen (issue 12): private to the person, silent for the partner."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

from toolkit.content.text import ui
from toolkit.core.feedback import personal_report
from toolkit.core.support import safety_message
from toolkit.instruments import load_instrument
from toolkit.store.export import export_frames
from toolkit.store.responses import ResponseStore
from toolkit.widgets import JoinForm
from toolkit.widgets.exercises import SpeakerListenerCard
from toolkit.widgets.exercises.takehome_widget import saved_entries

ROOT = Path(__file__).resolve().parents[2]
A, B, C, D = "amber-fox-42", "quiet-owl-17", "brave-otter-23", "calm-heron-31"
SAFE = {"afraid": 0, "hurt_or_threatened": 0, "controlled": 0, "safe_together": 1}


@pytest.fixture
def store():
    with ResponseStore(":memory:") as s:
        yield s


def link(store, a: str, b: str) -> None:
    store.register(a, True, couple=b, couple_consent=True)
    store.register(b, True, couple=a, couple_consent=True)


# -- the instrument and the private message ------------------------------------------------------

def test_the_screen_is_yes_no_has_no_score_and_says_it_is_not_validated():
    inst = load_instrument("relationship_safety")
    assert inst.kind == "reflection" and inst.scales == [] and {"en", "es"} <= inst.languages
    assert {i.type for i in inst.items} == {"yes_no"}
    assert "not a validated measure" in inst.instructions["en"] and "no es" in inst.instructions["es"].lower()
    assert [r.level for r in inst.safety] == ["check_in"]


@pytest.mark.parametrize(("item", "value"), [("afraid", 1), ("hurt_or_threatened", 1), ("controlled", 1),
                                             ("safe_together", 0)])
def test_any_one_answer_about_fear_harm_control_or_unsafe_pairing_fires(item, value):
    report = personal_report(load_instrument("relationship_safety"), {item: value}, language="en", locale="en-GB")
    assert report.level == "check_in" and report.rules == ("partner_safety",)


def test_safe_answers_and_prefer_not_to_say_do_not_fire():
    assert personal_report(load_instrument("relationship_safety"), SAFE).level == ""
    assert personal_report(load_instrument("relationship_safety"), dict.fromkeys(SAFE, "prefer_not_to_say")).level == ""


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_private_message_is_about_partner_safety_and_shows_partner_violence_contacts(language):
    message = safety_message("check_in", language, ["partner_safety"])
    general = safety_message("check_in", language)
    assert message["body"] != general["body"]  # not "things may have been hard lately"
    assert "partner" in message["body"] or "pareja" in message["body"]
    assert len(message["notes"]) == 1 and ("violence" in message["notes"][0] or "violencia" in message["notes"][0])
    report = personal_report(load_instrument("relationship_safety"), {"afraid": 1}, language=language, locale="en-GB")
    assert any(r.kind == "partner_violence" for r in report.safety.crisis.resources)
    for word in ("diagnos", "abuser", "victim", "víctima", "maltratador"):
        assert word not in message["body"].lower().replace("no es un diagnóstico", "")


# -- couple features behave as for an unlinked couple --------------------------------------------

def test_the_store_answers_only_yes_or_no_for_the_pair(store):
    link(store, A, B)
    assert store.pairing_advised(A, B) is True and store.paired_with(A) == B
    store.record_answer(A, "relationship_safety", "controlled", 1)
    assert store.pairing_advised(A, B) is False and store.pairing_advised(B, A) is False
    assert store.paired_with(A) is None and store.paired_with(B) is None


def test_a_changed_answer_does_not_quietly_switch_couple_work_back_on(store):
    link(store, A, B)
    store.record_answer(A, "relationship_safety", "afraid", 1)
    store.record_answer(A, "relationship_safety", "afraid", 0)  # e.g. changed with the partner watching
    assert store.paired_with(B) is None


def test_erasing_the_person_removes_the_pairing_hold_too(store):
    link(store, A, B)
    store.record_answer(A, "relationship_safety", "afraid", 1)
    store.erase(A)
    link(store, A, B)  # joins again: a clean record
    assert store.paired_with(B) == A


def status_of(store, code: str, partner: str) -> str:
    page = JoinForm(store)
    page.couple_consent_box.value = True
    page.join(code, storage_consent=True, couple=partner)
    return page.status.value.replace(code, "CODE")


def test_the_partners_join_form_reads_exactly_as_for_a_partner_who_never_linked(store):
    store.register(A, True, couple=B, couple_consent=True)
    store.record_answer(A, "relationship_safety", "safe_together", 0)
    fired = status_of(store, B, A)  # B links back to A, as a partner would
    store.register(C, True)  # C never asks for D
    never_linked = status_of(store, D, C)
    assert fired == never_linked and "linked as a couple" not in fired


def card_text(store, code: str | None) -> str:
    return SpeakerListenerCard(store, code).who.value


def test_pair_practice_is_suggested_only_to_a_linked_advised_couple(store):
    link(store, A, B)
    link(store, C, D)
    assert "practise this one together" in card_text(store, A)
    store.record_answer(C, "relationship_safety", "hurt_or_threatened", 1)
    store.register("lucky-fox-11", True)
    solo = {card_text(store, code) for code in (C, D, "lucky-fox-11", None)}
    assert solo == {f"<p class='attune-note'>{html.escape(ui('speaker_listener_solo', 'en'))}</p>"}


def test_the_card_follows_the_page_join_form(store):
    store.register(B, True, couple=A, couple_consent=True)
    page = JoinForm(store)
    card = SpeakerListenerCard(store, page, language="es")
    assert html.escape(ui("speaker_listener_solo", "es")) in card.who.value  # nobody joined yet
    page.couple_consent_box.value = True
    page.join(A, storage_consent=True, couple=B)
    assert html.escape(ui("speaker_listener_pair", "es")) in card.who.value


def test_the_screen_never_reaches_an_export_or_a_takehome_file(store):
    link(store, A, B)
    store.record_answer(A, "relationship_safety", "afraid", 1)
    store.record_answer(A, "csi4", "csi4_1", 3)
    frames = export_frames(store)
    assert "relationship_safety" not in set(frames["answers"]["instrument"])
    assert "relationship_safety" not in set(frames["scores"]["instrument"])
    assert not frames["codebook"]["meaning"].str.contains("relationship_safety").any()
    from toolkit.render.takehome import build_takehome_html

    page = build_takehome_html(saved_entries(store, A), code=A)
    assert "safety check" not in page and "afraid of your partner" not in page


# -- consent and the facilitator's views ---------------------------------------------------------

def test_every_dashboard_tab_is_mapped_to_a_consent_in_the_privacy_page():
    from toolkit.widgets.dashboard import Dashboard

    dash = Dashboard(ResponseStore(":memory:"))
    mapping = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
    section = mapping[mapping.index("## Every facilitator view"):mapping.index("## A room")]
    rows = {line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ")}
    titles = {ui(tab.title, "en") for tab in dash.pages}
    assert titles == rows & titles and len(titles) == 7
    assert all(row.count("|") == 4 and row.split("|")[3].strip() for row in section.splitlines()
               if row.startswith("| ") and not row.startswith("| ---"))


def test_the_consent_text_names_the_couple_comparison_and_pairing_not_advised_in_both_languages():
    for language, words in (("en", ("couple comparison", "pairing not", "how you chose to be")),
                            ("es", ("comparación de pareja", "emparejar no aconsejado", "cómo elegiste"))):
        text = " ".join(ui("consent_text", language, k=5).split())
        assert all(w in text for w in words), language
        assert pd.notna(text)
