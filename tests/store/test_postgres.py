"""What only the PostgreSQL back end has: workshops kept apart by row-level security, set-up,
migrations, and bad locations refused in one line with nothing created anywhere.

The rest of the store's promises run on both back ends (the ``place`` fixture).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import FACILITATORS, TEMPLATE
from tests.store.conftest import PostgresPlace
from toolkit.errors import StoreError
from toolkit.store import ResponseStore
from toolkit.store import postgres as pg_store

A, B = "amber-fox-42", "quiet-owl-17"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(postgres) -> PostgresPlace:
    return PostgresPlace(postgres, postgres.create_database(template=TEMPLATE))


def _answer(store: ResponseStore, code: str, value: int = 3) -> None:
    store.register(code, storage_consent=True, checkin_consent=True)
    store.record_answer(code, "who5", "who5_1", value)
    store.submit(code, "who5", "pre", level="check_in", rules=["very_low"])


def _as_role(place: PostgresPlace, role: str, sql: str) -> list[tuple]:
    """A facilitator's own SQL, as they might type it in psql: no workshop named."""
    with psycopg.connect(place.server.url(role, FACILITATORS[role], database=place.database), autocommit=True) as con:
        return con.execute(sql).fetchall()


def test_two_facilitators_each_see_only_their_own_workshop(database):
    with ResponseStore(database.url("alice", "alice-w")) as alice, ResponseStore(database.url("bob", "bob-w")) as bob:
        _answer(alice, A)
        _answer(bob, B, value=5)
        # Through the store: the answers, participants, check-ins and progress of its own workshop only.
        assert list(alice.answers().participant) == [A] and list(bob.answers().participant) == [B]
        assert list(alice.participants().code) == [A] and list(bob.participants().code) == [B]
        assert list(alice.checkins().code) == [A] and list(bob.checkins().code) == [B]
        assert list(bob.progress("who5", "pre").participant) == [B]
        assert alice.participant(B) is None
        # A code of the other workshop is unknown here: nothing to erase, nothing to resume.
        with pytest.raises(Exception, match="nothing is stored"):
            alice.erase(B)
    # In raw SQL, with every table of the schema: a role reads its own workshop's rows alone.
    for role, code in (("alice", A), ("bob", B)):
        for table in ("participants", "answers", "submissions", "checkins"):
            rows = _as_role(database, role, f"SELECT * FROM attune.{table}")
            assert rows and all(code in str(row) for row in rows), (role, table, rows)
        assert _as_role(database, role, "SELECT id FROM attune.workshops") == [(f"{role}-w",)]
    # Both rows are there, as the database's superuser sees.
    assert database.count("SELECT COUNT(*) FROM answers") == 2


def test_a_role_cannot_write_into_another_facilitators_workshop(database):
    with ResponseStore(database.url("alice", "alice-w")) as alice:
        _answer(alice, A)
    with pytest.raises(StoreError, match="'alice-w' is run by another facilitator's role"):
        ResponseStore(database.url("bob", "alice-w"))
    with psycopg.connect(database.server.url("bob", FACILITATORS["bob"], database=database.database),
                         autocommit=True) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("INSERT INTO attune.participants (workshop, code, storage_consent, storage_consent_at, "
                        "checkin_consent, checkin_consent_at, created_at) VALUES ('alice-w', 'x', 1, 't', 0, 't', 't')")
        assert con.execute("UPDATE attune.answers SET value = 0").rowcount == 0
        assert con.execute("DELETE FROM attune.answers").rowcount == 0
    assert database.count("SELECT COUNT(*) FROM answers WHERE value = 3") == 1


def test_one_role_with_two_workshops_keeps_them_apart_in_the_store(database):
    with ResponseStore(database.url("alice", "spring")) as spring, ResponseStore(database.url("alice", "autumn")) as autumn:
        _answer(spring, A)
        _answer(autumn, B)
        assert list(spring.participants().code) == [A] and list(autumn.participants().code) == [B]
        # The same code may be used in two workshops without meeting.
        autumn.register(A, storage_consent=True)
        assert list(spring.answers().participant) == [A] and autumn.answers(A).empty
    assert sorted(r[0] for r in _as_role(database, "alice", "SELECT code FROM attune.participants")) == [A, A, B]


def test_export_reads_only_the_workshop_of_the_url(database, tmp_path):
    from toolkit.store.export import export_store

    with ResponseStore(database.url("alice", "alice-w")) as alice, ResponseStore(database.url("bob", "bob-w")) as bob:
        _answer(alice, A)
        _answer(bob, B)
    written = export_store(database.url("bob", "bob-w"), tmp_path / "out", keep_codes=True)
    answers = next(p for p in written if p.name == "answers.csv").read_text()
    assert B in answers and A not in answers


def test_a_store_of_version_1_is_upgraded_on_open_and_keeps_its_answers(postgres):
    database = postgres.create_database()
    url = postgres.url(database=database)
    with psycopg.connect(url, autocommit=True) as con:  # what a version 1 store held
        con.execute("CREATE SCHEMA attune")
        con.execute("SET search_path = attune")
        for statement in pg_store.MIGRATIONS[1]:
            con.execute(statement)
        con.execute("INSERT INTO meta VALUES ('attune_store', '1')")
        con.execute("INSERT INTO workshops VALUES ('old', 'alice', %s, 't')", ("ab" * 32,))
        con.execute("SET attune.workshop = 'old'")
        con.execute("INSERT INTO participants VALUES ('old', %s, 1, 't', 0, 't', 't')", (A,))
        con.execute("""INSERT INTO answers (workshop, participant, instrument, instrument_version, item, timepoint,
                                            value, answered_at) VALUES ('old', %s, 'who5', '1', 'who5_1', 'pre', 3, 't')""",
                    (A,))
    assert pg_store.setup(url) == 1  # the owner brings it up to date
    place = PostgresPlace(postgres, database)
    assert place.count("SELECT value FROM meta WHERE key = 'attune_store'") == "3"
    with ResponseStore(place.url("alice", "old")) as store:
        assert store.saved_answers(A, "who5", "pre") == {"who5_1": 3}
        assert store.participant(A)["couple_consent"] is False
        assert store.pairing_advised(A, B) is True


def test_a_newer_store_is_refused(database):
    database.query("UPDATE meta SET value = '99' WHERE key = 'attune_store'")
    with pytest.raises(StoreError, match="newer version of Attune"):
        ResponseStore(database.url())


def test_the_superuser_may_set_up_but_never_open_a_workshop(database):
    with pytest.raises(StoreError, match="bypasses row-level security"):
        ResponseStore(database.server.url(database=database.database, workshop="w"))


def test_open_existing_refuses_a_workshop_nobody_opened(database):
    from toolkit.store.responses import open_existing

    with pytest.raises(StoreError, match="'never' is not here"):
        open_existing(database.url("alice", "never"))
    assert database.count("SELECT COUNT(*) FROM workshops") == 0


def _attune(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ATTUNE_STORE", None)
    return subprocess.run([sys.executable, "-m", "toolkit.apps.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _bad_locations(postgres) -> dict[str, tuple[str, str]]:
    empty = postgres.create_database()
    return {
        "wrong password": (postgres.url("alice", "not-the-password", database=TEMPLATE, workshop="w"),
                           "password authentication failed"),
        "unreachable": (f"postgresql://alice:{FACILITATORS['alice']}@127.0.0.1:1/db?workshop=w", "Connection refused"),
        "no schema": (postgres.url("alice", FACILITATORS["alice"], database=empty, workshop="w"),
                      "there is no Attune response store in this database"),
        "unknown scheme": ("mysql://alice:secret-pw@127.0.0.1/db", "not a mysql:// address"),
        "no workshop": (postgres.url("alice", FACILITATORS["alice"], database=TEMPLATE), "name the workshop"),
    }


def test_bad_locations_get_one_line_without_the_password_exit_2_and_no_file(postgres, tmp_path):
    for name, (url, reason) in _bad_locations(postgres).items():
        result = _attune("export", "--store", url, "--out", str(tmp_path / "out"), cwd=tmp_path)
        assert result.returncode == 2, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and reason in lines[0], (name, result.stderr)
        assert "Traceback" not in result.stderr
        for secret in (FACILITATORS["alice"], "not-the-password", "secret-pw"):
            assert secret not in result.stderr
        assert list(tmp_path.iterdir()) == [], (name, list(tmp_path.rglob("*")))  # not even a folder


def test_a_database_without_the_tables_and_no_right_to_create_them_is_refused(postgres):
    empty = postgres.create_database()
    postgres.sql(f"REVOKE CREATE ON DATABASE \"{empty}\" FROM PUBLIC")
    with pytest.raises(StoreError, match="no Attune tables and this role may not create them; ask the database owner"):
        ResponseStore(postgres.url("alice", FACILITATORS["alice"], database=empty, workshop="w"))
    assert postgres.sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'attune'", database=empty).strip() == "0"


def test_attune_db_sets_up_adds_a_facilitator_and_purges(postgres, tmp_path):
    database = postgres.create_database()
    admin = postgres.url(database=database)
    assert "version 3" in _attune("db", "setup", admin, cwd=tmp_path).stdout
    env_input = "a-long-enough-password\n"
    added = subprocess.run([sys.executable, "-m", "toolkit.apps.cli", "db", "facilitator", admin, "carol"],
                           input=env_input, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert added.returncode == 0, added.stderr
    with ResponseStore(postgres.url("carol", "a-long-enough-password", database=database, workshop="c1")) as store:
        _answer(store, A)
        store.erase(A)
    purged = _attune("db", "purge", admin, cwd=tmp_path)
    assert purged.returncode == 0, purged.stderr
    place = PostgresPlace(postgres, database)
    assert A.encode() not in place.raw_bytes()
    refused = _attune("db", "purge", postgres.url("carol", "a-long-enough-password", database=database), cwd=tmp_path)
    assert refused.returncode == 2 and "only the owner" in refused.stderr


def test_translated_statements_keep_the_workshop_in_every_conflict_target():
    sql = "INSERT INTO devices (key_hash) VALUES (?) ON CONFLICT (key_hash) DO UPDATE SET code = excluded.code"
    assert pg_store.translate(sql) == ("INSERT INTO devices (key_hash) VALUES (%s) ON CONFLICT (workshop, key_hash) "
                                       "DO UPDATE SET code = excluded.code")
    assert pg_store.translate("SELECT '50%' WHERE a = ?") == "SELECT '50%%' WHERE a = %s"


def test_a_broken_connection_fails_one_call_plainly_and_the_next_reconnects(database):
    with ResponseStore(database.url()) as store:
        store.register(A, storage_consent=True)
        database.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'alice'")
        with pytest.raises(StoreError, match="could not be written .*nothing was saved"):
            store.record_answer(A, "who5", "who5_1", 2)
        store.record_answer(A, "who5", "who5_1", 4)  # a new connection, as the same role and workshop
        assert store.saved_answers(A, "who5", "pre") == {"who5_1": 4}
    assert database.count("SELECT COUNT(*) FROM answers") == 1


def test_the_connection_url_drops_only_the_workshop():
    from toolkit.store.location import connection_url, split_postgres_url

    url = "postgresql://alice@db.example.org:5433/attune?sslmode=require&workshop=spring&application_name=a"
    assert split_postgres_url(url) == ("postgresql://alice@db.example.org:5433/attune?sslmode=require&application_name=a",
                                       "spring")
    assert connection_url("postgresql://owner@db/attune?sslmode=verify-full") == "postgresql://owner@db/attune?sslmode=verify-full"
