"""The response store: consent before anything is written, answers kept as given, erasure that leaves nothing."""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from toolkit.errors import AttuneError, ConsentError, ResponseDataError, StoreError, UnknownParticipantError
from toolkit.instruments import MISSING_CODES, load_instrument
from toolkit.instruments.model import Item
from toolkit.store.responses import ResponseStore

A, B, C = "amber-fox-42", "quiet-owl-17", "mossy-heron-63"
WHO5_ITEMS = [f"who5_{i}" for i in range(1, 6)]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "responses.sqlite"


@pytest.fixture
def who5_with_extras():
    """WHO-5 plus a free-text and a multiple-choice item, as a workshop's own form might add."""
    who5 = load_instrument("who5")
    note = Item(id="note", type="free_text", text={"en": "Anything you want to add?"})
    tried = Item(id="tried", type="multiple_choice", response_scale="frequency", text={"en": "Which did you try?"})
    return who5.model_copy(update={"items": [*who5.items, note, tried]})


# -- consent ----------------------------------------------------------------------------

def test_register_without_storage_consent_writes_nothing_not_even_the_code(store, place):
    assert store.register(A, storage_consent=False, checkin_consent=True, couple=B) is False
    assert store.participant(A) is None
    assert set(place.rows_mentioning(A).values()) == {0}
    assert A.encode() not in place.raw_bytes()


def test_consent_refused_then_given_registers_the_participant(store, place):
    assert store.register(A, storage_consent=False) is False
    assert store.register(A, storage_consent=True) is True
    record = store.participant(A)
    assert record["code"] == A and record["storage_consent"] is True and record["checkin_consent"] is False
    assert record["storage_consent_at"].endswith("+00:00")
    assert place.rows_mentioning(A)["participants"] == 1


def test_register_normalises_and_checks_the_code(store):
    assert store.register("  Amber-FOX-42 ", storage_consent=True)
    assert store.participant(A)["code"] == A
    with pytest.raises(AttuneError, match="two words and a number"):
        store.register("Jane Smith", storage_consent=True)


def test_answer_for_a_participant_without_consent_is_refused_and_not_saved(store, place):
    store.register(A, storage_consent=False)
    with pytest.raises(ConsentError, match="did not consent to storage") as exc:
        store.record_answer(A, "who5", "who5_1", 3)
    assert "nothing was saved" in str(exc.value)
    assert place.count("SELECT COUNT(*) FROM answers") == 0


def test_withdrawing_checkin_consent_removes_earlier_flags(store):
    store.register(A, storage_consent=True, checkin_consent=True)
    assert store.submit(A, "who5", "pre", level="check_in", rules=["very_low"])
    store.register(A, storage_consent=True, checkin_consent=False)
    assert store.checkins().empty
    assert len(store.submissions()) == 1


# -- answers ----------------------------------------------------------------------------

def test_autosaved_change_replaces_the_earlier_answer(store, place):
    store.register(A, storage_consent=True)
    store.record_answer(A, "who5", "who5_1", 2)
    store.record_answer(A, "who5", "who5_1", 4)
    assert place.count("SELECT COUNT(*) FROM answers") == 1
    assert store.answers(A)["value"].tolist() == [4.0]
    assert store.saved_answers(A, "who5", "pre") == {"who5_1": 4}


def test_same_item_at_another_timepoint_is_a_separate_answer(store):
    store.register(A, storage_consent=True)
    store.record_answer(A, "who5", "who5_1", 2, timepoint="pre")
    store.record_answer(A, "who5", "who5_1", 5, timepoint="post")
    assert store.saved_answers(A, "who5", "pre") == {"who5_1": 2}
    assert store.saved_answers(A, "who5", "post") == {"who5_1": 5}


def test_typed_missing_values_are_stored_and_read_back(store):
    store.register(A, storage_consent=True)
    store.record_answer(A, "who5", "who5_1", None)
    for item, code in zip(WHO5_ITEMS[1:], MISSING_CODES, strict=False):
        store.record_answer(A, "who5", item, code)
    store.record_answer(A, "who5", "who5_5", 0)

    expected = {"who5_1": "skipped", "who5_2": "skipped", "who5_3": "prefer_not_to_say", "who5_4": "dont_know",
                "who5_5": 0}
    assert store.saved_answers(A, "who5", "pre") == expected
    tidy = store.answers(A).set_index("item")
    assert tidy.loc["who5_3", "missing"] == "prefer_not_to_say" and math.isnan(tidy.loc["who5_3", "value"])
    wide = store.wide("who5", "pre")
    assert wide.loc[0, WHO5_ITEMS].tolist() == list(expected.values())
    assert wide["who5_1"].dtype == object


def test_free_text_is_stored_verbatim_as_data(store, who5_with_extras):
    store.register(A, storage_consent=True)
    texts = ["<img src=x onerror=alert(1)>", "'); DROP TABLE answers; --", "  two\nlines, ünïcødé 🙂  "]
    for timepoint, text in zip(["pre", "mid", "post"], texts, strict=False):
        store.record_answer(A, who5_with_extras, "note", text, timepoint=timepoint)
        assert store.saved_answers(A, who5_with_extras, timepoint) == {"note": text}
    assert store.answers(A)["text"].tolist() == texts
    assert "note" not in store.wide(who5_with_extras).columns  # free text is never scored


def test_multiple_choice_answer_is_a_list_of_option_values(store, who5_with_extras):
    store.register(A, storage_consent=True)
    store.record_answer(A, who5_with_extras, "tried", [3, 1, 3])
    assert store.saved_answers(A, who5_with_extras, "pre") == {"tried": [1, 3]}
    with pytest.raises(ResponseDataError, match="'tried'"):
        store.record_answer(A, who5_with_extras, "tried", [1, 9])


@pytest.mark.parametrize("value", [7, -1, 2.5])
def test_value_outside_the_response_scale_is_rejected_naming_item_and_value(store, place, value):
    store.register(A, storage_consent=True)
    with pytest.raises(ResponseDataError) as exc:
        store.record_answer(A, "who5", "who5_2", value)
    message = str(exc.value)
    assert "who5_2" in message and f"{value:g}" in message and "5, 4, 3, 2, 1, 0" in message
    assert place.count("SELECT COUNT(*) FROM answers") == 0


@pytest.mark.parametrize("value", ["often", True, float("nan"), [1, 2]])
def test_a_value_that_is_not_an_answer_is_rejected(store, value):
    store.register(A, storage_consent=True)
    with pytest.raises(ResponseDataError, match="who5_1"):
        store.record_answer(A, "who5", "who5_1", value)


def test_unknown_item_is_rejected(store, place):
    store.register(A, storage_consent=True)
    with pytest.raises(ResponseDataError, match="who5 has no item 'who5_9'"):
        store.record_answer(A, "who5", "who5_9", 3)
    assert place.count("SELECT COUNT(*) FROM answers") == 0


def test_answers_survive_closing_and_reopening(place):
    with ResponseStore(place.location) as first:
        first.register(A, storage_consent=True)
        first.record_answer(A, "who5", "who5_1", 3)
    with ResponseStore(place.location) as again:
        assert again.saved_answers(A, "who5", "pre") == {"who5_1": 3}


def test_wide_has_a_row_per_participant_and_timepoint_and_a_column_per_scored_item(store):
    for code in (A, B):
        store.register(code, storage_consent=True)
    for i, item in enumerate(WHO5_ITEMS):
        store.record_answer(A, "who5", item, i)
        store.record_answer(B, "who5", item, 5 - i, timepoint="post")
    wide = store.wide("who5")
    assert list(wide.columns) == ["participant", "timepoint", *WHO5_ITEMS]
    assert wide[["participant", "timepoint"]].values.tolist() == [[A, "pre"], [B, "post"]]
    assert wide["who5_1"].dtype == float
    assert store.wide("who5", "post")["participant"].tolist() == [B]


def test_scores_score_the_wide_answers_of_one_timepoint(store):
    store.register(A, storage_consent=True)
    assert store.scores("who5").empty
    for item in WHO5_ITEMS:
        store.record_answer(A, "who5", item, 3)
    scores = store.scores("who5", "pre")
    assert scores["participant"].tolist() == [A]
    assert scores["total"].tolist() == [15]


def test_progress_counts_real_answers_and_submission(store):
    for code in (A, B):
        store.register(code, storage_consent=True)
    store.record_answer(A, "who5", "who5_1", 3)
    store.record_answer(A, "who5", "who5_2", "prefer_not_to_say")
    store.submit(A, "who5", "pre")
    progress = store.progress("who5", "pre").set_index("participant")
    assert progress.loc[A, "answered"] == 1 and bool(progress.loc[A, "submitted"]) is True
    assert progress.loc[B, "answered"] == 0 and bool(progress.loc[B, "submitted"]) is False


# -- couples and check-ins --------------------------------------------------------------

def test_couple_is_linked_only_when_both_have_asked_for_each_other(store):
    store.register(A, storage_consent=True, couple=B)
    store.register(B, storage_consent=True)
    assert store.couple_of(A) is None and store.couple_of(B) is None
    store.request_couple(B, A)
    assert store.couple_of(A) == B and store.couple_of(B) == A
    store.register(C, storage_consent=True)
    store.request_couple(B, C)  # a new request replaces the old one
    assert store.couple_of(A) is None


def test_checkin_is_recorded_only_with_checkin_consent(store):
    store.register(A, storage_consent=True, checkin_consent=True)
    store.register(B, storage_consent=True, checkin_consent=False)
    assert store.submit(A, "who5", "pre", level="check_in", rules=["very_low"]) is True
    assert store.submit(B, "who5", "pre", level="check_in", rules=["very_low"]) is False
    checkins = store.checkins()
    assert checkins["code"].tolist() == [A]
    assert checkins.loc[0, "rules"] == ["very_low"] and checkins.loc[0, "level"] == "check_in"
    assert sorted(store.submissions()["participant"]) == [A, B]  # both submissions are kept


def test_submit_without_level_records_no_checkin(store):
    store.register(A, storage_consent=True, checkin_consent=True)
    assert store.submit(A, "who5", "pre") is False
    assert store.checkins().empty


# -- erasure ----------------------------------------------------------------------------

def _populate(store: ResponseStore) -> None:
    for code in (A, B):
        store.register(code, storage_consent=True, checkin_consent=True)
    store.request_couple(A, B)
    store.request_couple(B, A)
    for code in (A, B):
        for item in WHO5_ITEMS:
            store.record_answer(code, "who5", item, 1)
        store.submit(code, "who5", "pre", level="check_in", rules=["very_low"])


def test_erase_removes_every_row_about_the_code_from_every_table(store, place):
    _populate(store)
    before = place.rows_mentioning(A)
    assert before["answers"] == 5 and before["couple_requests"] == 2

    removed = store.erase(A)

    assert removed == sum(before.values())
    assert set(place.rows_mentioning(A).values()) == {0}
    assert store.participant(B) is not None and len(store.answers(B)) == 5
    assert store.couple_of(B) is None


def test_erase_leaves_no_trace_of_the_code_in_the_file(store, place):
    _populate(store)
    assert A.encode() in place.raw_bytes()
    store.withdraw_consent(A)
    if place.kind == "postgresql":
        # A facilitator's role may not VACUUM: the store says so, and the owner's purge clears the pages.
        assert store.log_emptied is False
        from toolkit.store.postgres import purge

        purge(place.server.url(database=place.database))
    assert A.encode() not in place.raw_bytes()
    assert B.encode() in place.raw_bytes()


def test_erase_by_the_tables_owner_clears_the_pages_at_once(postgres):
    from tests.store.conftest import PostgresPlace
    from toolkit.store.postgres import setup

    postgres.sql("CREATE ROLE keeper LOGIN PASSWORD 'keeper-pw' IN ROLE attune_facilitator")
    database = postgres.create_database(owner="keeper")
    setup(postgres.url("keeper", "keeper-pw", database=database))
    place = PostgresPlace(postgres, database)
    with ResponseStore(place.url("keeper", password="keeper-pw")) as store:
        _populate(store)
        assert A.encode() in place.raw_bytes()
        store.erase(A)
        assert store.log_emptied is True
    assert A.encode() not in place.raw_bytes()
    assert B.encode() in place.raw_bytes()


def test_erase_of_an_unknown_code_raises(store):
    store.register(A, storage_consent=True)
    with pytest.raises(UnknownParticipantError, match="nothing is stored about 'mossy-heron-63'"):
        store.erase(C)


# -- the file ---------------------------------------------------------------------------

def test_new_store_is_created_with_its_folder_in_wal_mode(path):
    assert not path.parent.exists()
    with ResponseStore(path):
        pass
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT value FROM meta WHERE key = 'attune_store'").fetchone() == ("3",)
    finally:
        con.close()


def test_text_file_is_not_an_attune_store(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("participant,who5_1\namber-fox-42,3\n")
    with pytest.raises(StoreError, match="not an Attune response store") as exc:
        ResponseStore(text)
    assert str(text) in str(exc.value)
    assert text.read_text() == "participant,who5_1\namber-fox-42,3\n"


def test_unrelated_sqlite_database_is_not_an_attune_store_and_is_left_unchanged(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE contacts (name TEXT)")
    con.commit()
    con.close()
    before = other.read_bytes()
    with pytest.raises(StoreError, match="not an Attune response store") as exc:
        ResponseStore(other)
    assert str(other) in str(exc.value)
    assert other.read_bytes() == before
    assert not Path(f"{other}-wal").exists()


def test_folder_that_cannot_be_written_raises_store_error():
    # A folder of its own under the system temp folder: when the test runs as root (as CI does)
    # an unprivileged child must be able to walk into it, which pytest's 0700 tmp_path forbids.
    folder = Path(tempfile.mkdtemp(prefix="attune-locked-"))
    folder.chmod(0o555)
    try:
        if os.geteuid() != 0:
            with pytest.raises(StoreError) as exc:
                ResponseStore(folder / "responses.sqlite")
            message = str(exc.value)
        else:
            message = _as_unprivileged_user(lambda: ResponseStore(folder / "responses.sqlite"))
        assert str(folder) in message and "cannot be written" in message
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def _as_unprivileged_user(attempt) -> str:
    """Root may write anywhere, so run ``attempt`` in a forked child that has become 'nobody'.

    Returns the StoreError message the child saw; fails if it saw none.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                attempt()
                message = "no StoreError"
            except StoreError as exc:
                message, status = str(exc), 0
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                message = f"{type(exc).__name__}: {exc}"
            os.write(write_end, message.encode())
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, message
    return message


def test_folder_path_through_a_file_raises_store_error(tmp_path):
    blocker = tmp_path / "responses"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError, match="is a file, not a folder") as exc:
        ResponseStore(blocker / "store.sqlite")
    assert str(blocker) in str(exc.value)


def test_closed_store_raises_store_error(place):
    store = ResponseStore(place.location)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.participants()


def test_an_answer_is_encoded_and_decoded_without_a_database(who5_with_extras):
    """toolkit.instruments.answers is the one place that decides what an answer may be; no store needed."""
    from toolkit.instruments.answers import decode_answer, encode_answer

    inst = who5_with_extras
    for item, given in [("who5_1", 3), ("who5_1", "dont_know"), ("tried", [5, 0, 5]), ("note", "a walk")]:
        columns = encode_answer(inst, item, given)
        assert sum(c is not None for c in columns) == 1
        assert decode_answer(inst, item, *columns) == (sorted(set(given)) if isinstance(given, list) else given)
    assert encode_answer(inst, "who5_1", None) == (None, None, "skipped")
    with pytest.raises(ResponseDataError, match="not a possible answer"):
        encode_answer(inst, "who5_1", 3.5)
