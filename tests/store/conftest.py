"""The store suite runs on both back ends: each test that takes ``place`` (or ``store``) runs twice.

A ``place`` is where a fresh store lives, and a way to look at it from outside, as an
administrator would: an SQLite file in a temporary folder, or a PostgreSQL database of its own
(copied from the set-up template) opened as the facilitator ``alice`` for workshop ``w1``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import FACILITATORS, TEMPLATE

BACKENDS = ["sqlite", "postgresql"]


class SQLitePlace:
    kind = "sqlite"

    def __init__(self, path: Path):
        self.path = path
        self.location = path

    def query(self, sql: str, params=()) -> list[tuple]:
        con = sqlite3.connect(self.path)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def tables(self) -> list[str]:
        return [r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def rows_mentioning(self, code: str) -> dict[str, int]:
        """For every table: how many rows have a cell that contains ``code``."""
        tables = self.tables()
        assert tables, "the store has no tables"
        return {t: sum(any(code in str(cell) for cell in row) for row in self.query(f'SELECT * FROM "{t}"'))
                for t in tables}

    def count(self, sql: str, params=()) -> int:
        return self.query(sql, params)[0][0]

    def raw_bytes(self) -> bytes:
        """The store file and its write-ahead log, as bytes."""
        return b"".join(p.read_bytes() for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    def integrity_ok(self) -> bool:
        return self.query("PRAGMA integrity_check") == [("ok",)]


class PostgresPlace:
    kind = "postgresql"

    def __init__(self, server, database: str, role: str = "alice", workshop: str = "w1"):
        self.server, self.database = server, database
        self.location = server.url(role, FACILITATORS.get(role), database=database, workshop=workshop)

    def url(self, role: str = "alice", workshop: str = "w1", password: str | None = None) -> str:
        return self.server.url(role, password or FACILITATORS.get(role), database=self.database, workshop=workshop)

    def query(self, sql: str, params=()) -> list[tuple]:
        """SQL as the superuser (row-level security does not bind it): everything in the database."""
        import psycopg

        with psycopg.connect(self.server.url(database=self.database), autocommit=True) as con:
            con.execute("SET search_path = attune")
            cursor = con.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def tables(self) -> list[str]:
        return [r[0] for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'attune'")]

    def rows_mentioning(self, code: str) -> dict[str, int]:
        tables = [t for t in self.tables() if t not in ("meta", "workshops")]
        assert tables, "the store has no tables"
        return {t: self.query(f'SELECT COUNT(*) FROM "{t}" r WHERE strpos(r::text, %s) > 0', (code,))[0][0]
                for t in tables}

    def count(self, sql: str, params=()) -> int:
        return self.query(sql, params)[0][0]

    def raw_bytes(self) -> bytes:
        """Every page of every table and index of the store, as the server keeps them (pageinspect)."""
        self.query("CREATE EXTENSION IF NOT EXISTS pageinspect")
        relations = self.query("""SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting('block_size')::int
                                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                  WHERE n.nspname = 'attune' AND c.relkind IN ('r', 'i', 't')""")
        pages = []
        for name, blocks in relations:
            for block in range(blocks):
                pages.append(self.query("SELECT get_raw_page(%s, %s)", (name, block))[0][0])
        return b"".join(bytes(p) for p in pages)

    def integrity_ok(self) -> bool:
        self.query("CREATE EXTENSION IF NOT EXISTS amcheck")
        for (index,) in self.query("""SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n
                                      ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam
                                      WHERE n.nspname = 'attune' AND c.relkind = 'i' AND a.amname = 'btree'"""):
            self.query("SELECT bt_index_check(%s::regclass, true)", (index,))
        return True


@pytest.fixture(params=BACKENDS)
def place(request, tmp_path):
    """Where a fresh store lives, on each back end in turn."""
    if request.param == "sqlite":
        return SQLitePlace(tmp_path / "data" / "responses.sqlite")
    server = request.getfixturevalue("postgres")
    return PostgresPlace(server, server.create_database(template=TEMPLATE))


@pytest.fixture
def store(place):
    """An empty response store at ``place``, closed after the test."""
    from toolkit.store import ResponseStore

    with ResponseStore(place.location) as opened:
        yield opened
