"""A code opens nothing: device keys, recovery phrases, attempt limits and the room's cap, in-process.

Participant A joins on their device; B, on another device, knows A's code. Every attack is
tried as B would try it through the join form, and must fail calmly and show nothing.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from datetime import UTC, datetime, timedelta

import pytest

from toolkit.core import resume
from toolkit.store.responses import ResponseStore
from toolkit.widgets import JoinForm, QuestionnaireForm

A_DEVICE = "device-key-of-participant-a-0123456789abcdef"
B_DEVICE = "device-key-of-participant-b-0123456789abcdef"
UNKNOWN = "quiet-owl-17"


class Clock:
    """A hand-moved clock for the page's attempt budget."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path):
    with ResponseStore(tmp_path / "workshop.sqlite") as opened:
        yield opened


def join_a(store, *, checkin=True, language="en"):
    """A joins with a new code on their own device, answers, and is shown a phrase once."""
    a = JoinForm(store, device=A_DEVICE, language=language)
    a.new_code_button.click()
    a.storage_box.value, a.checkin_box.value = True, checkin
    a.continue_button.click()
    QuestionnaireForm("who5", store, a, "pre").answer("who5_1", 4)
    shown = re.search(r"(?:Your recovery phrase|Tu frase de recuperación): ([a-z ]+ \d+)", a.phrase_box.value)
    return a, shown.group(1)


def b_types(store, code, phrase="", *, clock=None, device=B_DEVICE):
    """B types a code (and maybe a phrase) into the join form on their own device and presses Continue."""
    b = JoinForm(store, device=device, **({"clock": clock} if clock else {}))
    form = QuestionnaireForm("who5", store, b, "pre")
    b.code_input.value, b.phrase_input.value = code, phrase
    b.storage_box.value = True
    b.continue_button.click()
    return b, form


def visible_text(form: JoinForm) -> str:
    return re.sub(r"\b[a-z]+-[a-z]+-\d\d\b", "CODE", form.status.value + form.phrase_box.value)


# -- a typed code alone -------------------------------------------------------------------------

def test_another_device_typing_a_code_sees_nothing_and_can_change_nothing(store):
    a, _ = join_a(store)
    b, b_form = b_types(store, a.code)
    assert b.code is None and b.saving is False
    assert "Welcome back" not in b.status.value
    assert b.checkin_box.value is False  # A's choices are not ticked for B
    assert b_form.answers.get("who5_1") is None  # A's answer is not shown
    assert b.erase_button.layout.display == "none"
    assert b.erase() == 0  # even called directly
    assert store.saved_answers(a.code, "who5", "pre") == {"who5_1": 4}
    b.couple_input.value = "gentle-wren-41"
    b.checkin_box.value = False
    b.continue_button.click()
    assert store.participant(a.code)["checkin_consent"] is True  # A's check-in request stands
    assert store.couple_of(a.code) is None and store.answers(participant=a.code).shape[0] == 1


def test_a_typed_code_reads_exactly_like_a_code_nobody_has(store):
    a, _ = join_a(store)
    for phrase in ("", "acorn anchor apple arch 123"):
        known, _ = b_types(store, a.code, phrase, device=B_DEVICE)
        unknown, _ = b_types(store, UNKNOWN, phrase, device=B_DEVICE.replace("b", "c"))
        assert visible_text(known) == visible_text(unknown)
        assert known.storage_box.value == unknown.storage_box.value
        assert known.erase_button.layout.display == unknown.erase_button.layout.display == "none"
    assert store.participant(UNKNOWN) is None  # typing a code never registers it


def test_typing_a_code_in_the_field_asks_the_store_nothing(store, monkeypatch):
    a, _ = join_a(store)
    asked = []
    for name in ("participant", "device_code", "resume", "participants"):
        monkeypatch.setattr(store, name, lambda *args, _n=name, **kw: asked.append(_n))
    b = JoinForm(store)
    for code in (a.code, UNKNOWN, "amber-fox-1"):
        b.code_input.value = code  # what a script's `update` message does
    assert asked == [] and b.status.value == ""


# -- the owner's device and the phrase ---------------------------------------------------------

def test_the_owners_device_is_recognised_without_typing(store):
    a, _ = join_a(store)
    reloaded = JoinForm(store, device=A_DEVICE)
    form = QuestionnaireForm("who5", store, reloaded, "pre")
    assert reloaded.code == a.code and reloaded.checkin_box.value is True
    assert form.answers["who5_1"] == 4
    assert "Welcome back" in reloaded.status.value


def test_a_device_key_arriving_later_restores_the_page(store):
    a, _ = join_a(store)
    page = JoinForm(store)  # a preheated page: the browser's key is not known yet
    form = QuestionnaireForm("who5", store, page, "pre")
    assert form.answers.get("who5_1") is None
    assert page.recognise(A_DEVICE) is True
    assert page.code == a.code and form.answers["who5_1"] == 4


def test_a_participant_who_joined_before_the_key_arrived_is_remembered_by_the_browser(store):
    page = JoinForm(store)  # the key is still on its way
    assert page.join(storage_consent=True)
    assert page.recognise(A_DEVICE) is False  # the page stays with its participant
    assert JoinForm(store, device=A_DEVICE).code == page.code  # and the browser now knows them
    assert store.add_device(page.code, B_DEVICE, holder="device-key-of-nobody-at-all-0123456789ab") is False


def test_the_phrase_is_shown_once_and_only_its_hash_is_kept(store, tmp_path):
    a, phrase = join_a(store)
    assert "Write this down or take a photo" in a.phrase_box.value
    assert JoinForm(store, device=A_DEVICE).phrase_box.value == ""  # never again, even on the same device
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("workshop.sqlite*") if p.is_file())
    for secret in (phrase, resume.read_phrase(phrase), A_DEVICE):
        assert secret.encode() not in raw
    secret_file = tmp_path / "workshop.sqlite.private" / "store_secret"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert resume.phrase_bits() >= 40


def test_code_and_phrase_resume_on_a_new_device_which_is_then_remembered(store):
    a, phrase = join_a(store)
    b, form = b_types(store, f"  {a.code.upper()} ", phrase.upper().replace(" ", "-"))
    assert b.code == a.code and b.saving is True
    assert form.answers["who5_1"] == 4 and b.checkin_box.value is True
    assert b.phrase_input.value == ""  # not left on the page
    assert JoinForm(store, device=B_DEVICE).code == a.code


def test_a_phrase_written_from_an_english_page_works_on_a_spanish_one(store):
    a, phrase = join_a(store)
    es = JoinForm(store, device=B_DEVICE, language="es")
    es.code_input.value, es.phrase_input.value = a.code, phrase
    es.continue_button.click()
    assert es.code == a.code and "Hola de nuevo" in es.status.value


def test_five_wrong_phrases_lock_new_devices_for_15_minutes_but_not_the_owner(store):
    a, phrase = join_a(store)
    wrong = "acorn anchor apple arch 123"
    messages = [visible_text(b_types(store, a.code, wrong)[0]) for _ in range(5)]
    assert len(set(messages)) == 1 and "do not go together" in messages[0]
    sixth, _ = b_types(store, a.code, phrase)  # even the right phrase, now
    assert sixth.code is None and "paused for 15 minutes" in sixth.status.value
    assert JoinForm(store, device=A_DEVICE).code == a.code  # the owner's device still works
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert store.resume(a.code, resume.read_phrase(phrase), B_DEVICE, now=later) == "resumed"


def test_codes_nobody_has_lock_the_same_way(store):
    for _ in range(5):
        assert store.resume(UNKNOWN, None, B_DEVICE) == "no_match"
    assert store.resume(UNKNOWN, None, B_DEVICE) == "locked"


def test_each_page_has_a_small_budget_of_attempts_per_minute(store):
    clock = Clock()
    page = JoinForm(store, device=B_DEVICE, clock=clock)
    page.code_input.value, page.phrase_input.value = UNKNOWN, ""
    answers = []
    for _ in range(resume.PAGE_ATTEMPTS_PER_MINUTE + 2):
        page.continue_button.click()
        answers.append(page.status.value)
    assert all("recovery phrase" in text for text in answers[:resume.PAGE_ATTEMPTS_PER_MINUTE])
    assert all("wait a minute" in text for text in answers[resume.PAGE_ATTEMPTS_PER_MINUTE:])
    clock.now += 61
    page.continue_button.click()
    assert "recovery phrase" in page.status.value


# -- what only the owner may do ----------------------------------------------------------------

def test_erase_and_couple_link_need_the_participants_own_device(store):
    a, _ = join_a(store)
    partner = JoinForm(store, device=B_DEVICE)
    partner.new_code_button.click()
    partner.storage_box.value = True
    partner.couple_input.value = a.code
    partner.continue_button.click()
    assert store.couple_of(partner.code) is None  # one side only: pending
    a.couple_input.value = partner.code
    a.continue_button.click()
    assert store.couple_of(a.code) == partner.code  # confirmed from A's own device
    assert partner.erase() > 0 and store.participant(partner.code) is None
    assert store.participant(a.code) is not None


# -- one participant per device, and a room that fake people cannot fill ------------------------

def test_a_second_new_code_on_the_same_device_asks_before_replacing(store):
    a, _ = join_a(store)
    first = a.code
    a.new_code_button.click()
    a.continue_button.click()
    assert a.code == first and "already joined as" in a.status.value
    assert a.replace_confirm.layout.display != "none"
    a.replace_confirm.click()
    assert a.code != first and store.device_code(A_DEVICE) == a.code
    assert store.participant(first) is not None  # still reachable with its code and phrase


def test_past_the_room_cap_the_join_form_says_the_workshop_is_full(store):
    for n in range(2):
        page = JoinForm(store, device=f"device-key-of-seat-{n}-0123456789abcdef", room=2)
        assert page.join(storage_consent=True)
    late = JoinForm(store, device="device-key-of-the-late-one-0123456789abc", room=2)
    assert late.join(storage_consent=True) is False
    assert "workshop is full" in late.status.value and "facilitator" in late.status.value
    assert store.participant_count() == 2
    assert late.join(storage_consent=False) is False  # without saving, the page still works
    assert "Nothing is saved" in late.status.value


def test_room_is_read_from_the_workshop_with_a_default_of_40(monkeypatch):
    from toolkit import settings

    monkeypatch.delenv(settings.ENV_ROOM, raising=False)
    assert settings.resolve_room() == 40
    monkeypatch.setenv(settings.ENV_ROOM, "12")
    assert settings.resolve_room() == 12 and settings.resolve_room(7) == 7
    with pytest.raises(ValueError, match="whole number of participants"):
        settings._room(0)


# -- the phrase and its words ----------------------------------------------------------------------

def test_phrase_words_are_256_plain_words_per_language_and_phrases_read_forgivingly():
    lists = resume.phrase_words()
    assert set(lists) >= {"en", "es"}
    for words in lists.values():
        assert len(set(words)) == 256 and all(re.fullmatch(r"[a-z]+", w) for w in words)
    kept = resume.new_phrase()
    shown = resume.show_phrase(kept, "es")
    assert resume.read_phrase(f"  {shown.upper()}  ", "en") == kept
    assert resume.read_phrase("acorn anchor apple 123", "en") is None
    assert resume.read_phrase("acorn anchor apple arch 12", "en") is None


def test_a_version_1_store_is_upgraded_and_keeps_its_answers(tmp_path):
    from toolkit.store import sqlite as schema

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # a store written before resume keys: version 1's tables only
        for statement in schema.SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT INTO meta VALUES ('attune_store', '1')")
        conn.execute("INSERT INTO participants VALUES ('amber-fox-42', 1, 't', 0, 't', 't')")
        conn.execute("""INSERT INTO answers (participant, instrument, instrument_version, item, timepoint, value,
                                             answered_at) VALUES ('amber-fox-42', 'who5', '1', 'who5_1', 'pre', 3, 't')""")
    with ResponseStore(path) as s:
        assert s.saved_answers("amber-fox-42", "who5", "pre") == {"who5_1": 3}
        assert s.device_code(A_DEVICE) is None
        assert s.resume("amber-fox-42", resume.new_phrase(), A_DEVICE) == "no_match"  # no phrase: join again
