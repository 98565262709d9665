"""The store and its exports are readable by their owner alone, and erasing leaves nothing behind.

Answers about mental health are special-category data: the store's folder is created 0700,
its database, log and shared-memory files 0600 (an existing store readable by others is fixed
with a warning), exports are written 0600, a spreadsheet never runs a participant's text as a
formula, and an erased participant's rows are in no file, even while another program reads.
"""

from __future__ import annotations

import sqlite3
import stat
import threading
import time

import pandas as pd
import pytest

from toolkit.errors import ResponseDataError
from toolkit.instruments.answers import MAX_TEXT
from toolkit.store import ResponseStore
from toolkit.store.export import export_store, neutralise_formulas
from toolkit.store.sqlite import StoreReadableWarning

CODE = "amber-fox-42"
SECRET = "my very own words 7f3a"  # a free-text answer to look for in the raw files


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_of(path):
    return [p for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")) if p.exists()]


def filled(path) -> ResponseStore:
    store = ResponseStore(path)
    store.register(CODE, storage_consent=True)
    store.record_answer(CODE, "i_statement", "situation", SECRET, timepoint="pre")
    store.record_answer(CODE, "who5", "who5_1", 3, timepoint="pre")
    return store


def test_a_new_store_is_created_owner_only(tmp_path):
    path = tmp_path / "new-folder" / "workshop.sqlite"
    with filled(path):
        assert mode(path.parent) == 0o700
        assert {p.name: mode(p) for p in files_of(path)} == {p.name: 0o600 for p in files_of(path)}
        assert len(files_of(path)) == 3  # the database, its write-ahead log and its shared memory


def test_a_store_readable_by_others_is_fixed_with_a_warning(tmp_path):
    path = tmp_path / "workshop.sqlite"
    filled(path).close()
    path.chmod(0o644)
    with pytest.warns(StoreReadableWarning, match="readable by you alone"), ResponseStore(path):
        assert mode(path) == 0o600


def test_exports_are_owner_only_and_formulas_are_neutralised(tmp_path):
    path = tmp_path / "workshop.sqlite"
    with filled(path) as store:
        store.record_answer(CODE, "i_statement", "feeling", "=HYPERLINK(\"http://x\")", timepoint="pre")
    written = export_store(path, tmp_path / "out", include_text=True)
    assert written and all(mode(p) == 0o600 for p in written)
    answers = pd.read_csv(tmp_path / "out" / "answers.csv", dtype=str, keep_default_na=False)
    assert "'=HYPERLINK(\"http://x\")" in set(answers["text"])
    assert not any(str(v).startswith("=") for v in answers.to_numpy().ravel())


def test_neutralising_leaves_numbers_and_numeric_columns_alone():
    frame = pd.DataFrame({"text": ["-2", "+cmd", "@SUM(A1)", "\tx", "plain"], "value": [-1.0, 2.0, 3.0, 4.0, 5.0]})
    out = neutralise_formulas(frame)
    assert out["text"].tolist() == ["-2", "'+cmd", "'@SUM(A1)", "'\tx", "plain"]
    assert out["value"].tolist() == [-1.0, 2.0, 3.0, 4.0, 5.0]


def test_erase_with_a_reader_leaves_the_text_in_no_file(tmp_path):
    path = tmp_path / "workshop.sqlite"
    store = filled(path)
    reader = sqlite3.connect(path, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM answers").fetchone()  # a read transaction holds the log open

    def finish_reading():
        time.sleep(3.0)  # longer than one busy wait: the erase must keep trying, not give up
        reader.execute("COMMIT")

    done = threading.Thread(target=finish_reading)
    done.start()
    assert store.erase(CODE) > 0
    done.join()
    assert store.log_emptied
    for file in files_of(path):
        assert SECRET.encode() not in file.read_bytes(), file.name
    reader.close()
    store.close()


def test_erase_says_so_when_a_reader_holds_the_log_too_long(tmp_path, monkeypatch):
    path = tmp_path / "workshop.sqlite"
    store = filled(path)
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM answers").fetchone()
    original = store._db.after_erase
    monkeypatch.setattr(store._db, "after_erase", lambda wait=10.0: original(wait=0.3))
    store.erase(CODE)
    assert store.log_emptied is False
    reader.execute("COMMIT")
    reader.close()
    store.close()


def test_a_free_text_answer_longer_than_the_limit_is_refused_with_its_length(tmp_path):
    with filled(tmp_path / "workshop.sqlite") as store:
        with pytest.raises(ResponseDataError, match=f"at most {MAX_TEXT:,}"):
            store.record_answer(CODE, "i_statement", "situation", "x" * (MAX_TEXT + 1), timepoint="pre")
        store.record_answer(CODE, "i_statement", "situation", "x" * MAX_TEXT, timepoint="pre")
