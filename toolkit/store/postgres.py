"""The PostgreSQL back end: many workshops in an organisation's database, each readable only by its facilitator.

A store location ``postgresql://ROLE:PASSWORD@HOST:PORT/DB?workshop=ID`` opens one workshop.
The tables live in the schema ``attune``; every row carries its workshop, and row-level
security (forced, so it binds the tables' owner too) lets a role read and write only the
workshops it runs (``workshops.facilitator``), and a store object only its own workshop (the
setting ``attune.workshop`` of its connections). The first role to open a workshop id runs it.

Set-up, once, by the database owner: ``setup(admin_url)`` (``attune db setup URL``) creates the
tables and the group role ``attune_facilitator``; ``add_facilitator(admin_url, name, password)``
(``attune db facilitator``) adds a login role to it. A role that bypasses row-level security (a
superuser) may set up, but never opens a workshop: the policies are what keeps workshops apart.

The same statements as the SQLite store run here (``responses.py``), translated once each:
``?`` placeholders become ``%s`` and every ``ON CONFLICT`` target gains the workshop column.
Writes that count or remove (joining against the room's cap, phrase attempts, erasure) take
the workshop's transaction-level advisory lock alone, as SQLite's ``BEGIN IMMEDIATE`` makes
every write; answers and submissions (upserts of their own rows) share it, so they commit side
by side but never beside an erasure.

Each workshop's hashing secret is a row of ``workshops`` (readable by its facilitator only),
not a file: kernels on other machines of the hub reach the same secret. A database dump
therefore holds it; keep dumps as carefully as the database.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from toolkit.errors import StoreError
from toolkit.store.location import connection_url, shown, split_postgres_url
from toolkit.store.tables import MISSING_SQL, PARTICIPANT_COLUMNS, SCHEMA_VERSION, STORE_KEY, now

SCHEMA = "attune"
GROUP_ROLE = "attune_facilitator"
CONNECT_TIMEOUT_S = 10

_WORKSHOP = "workshop TEXT NOT NULL DEFAULT current_setting('attune.workshop') REFERENCES workshops (id)"


def _protect(table: str) -> list[str]:
    """Row-level security for a table of workshop rows: the role's own workshops, and this store's one."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        # Permissive: rows of a workshop this role runs (the subquery sees only those, by workshops' policy).
        f"CREATE POLICY runs ON {table} USING (workshop IN (SELECT id FROM workshops))",
        # Restrictive: a connection that named its workshop sees that one alone (a store object);
        # one that named none (a facilitator's own SQL) sees every workshop its role runs.
        f"""CREATE POLICY this_workshop ON {table} AS RESTRICTIVE
            USING (coalesce(current_setting('attune.workshop', true), '') IN ('', workshop))""",
        # Erased rows are vacuumed by the server within its autovacuum nap (a minute), even when
        # the role that erased them may not run VACUUM itself.
        f"ALTER TABLE {table} SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0)",
    ]


#: The tables, version by version, as for SQLite (``sqlite.py``), with a workshop in every key.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE workshops (
            id          TEXT PRIMARY KEY,
            facilitator TEXT NOT NULL DEFAULT current_user,
            secret      TEXT NOT NULL,
            created_at  TEXT NOT NULL
        )""",
        "ALTER TABLE workshops ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE workshops FORCE ROW LEVEL SECURITY",
        "CREATE POLICY facilitator ON workshops USING (facilitator = current_user) WITH CHECK (facilitator = current_user)",
        f"""CREATE TABLE participants (
            {_WORKSHOP},
            code               TEXT NOT NULL,
            storage_consent    INTEGER NOT NULL CHECK (storage_consent IN (0, 1)),
            storage_consent_at TEXT NOT NULL,
            checkin_consent    INTEGER NOT NULL CHECK (checkin_consent IN (0, 1)),
            checkin_consent_at TEXT NOT NULL,
            created_at         TEXT NOT NULL,
            PRIMARY KEY (workshop, code)
        )""",
        f"""CREATE TABLE couple_requests (
            {_WORKSHOP},
            code         TEXT NOT NULL,
            partner      TEXT NOT NULL CHECK (partner <> code),
            requested_at TEXT NOT NULL,
            PRIMARY KEY (workshop, code),
            FOREIGN KEY (workshop, code) REFERENCES participants (workshop, code)
        )""",
        "CREATE INDEX couple_requests_partner ON couple_requests (workshop, partner)",
        f"""CREATE TABLE answers (
            id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            {_WORKSHOP},
            participant        TEXT NOT NULL,
            instrument         TEXT NOT NULL,
            instrument_version TEXT NOT NULL,
            item               TEXT NOT NULL,
            timepoint          TEXT NOT NULL,
            value              DOUBLE PRECISION NULL,
            text               TEXT NULL,
            missing            TEXT NULL CHECK (missing IN ({MISSING_SQL})),
            answered_at        TEXT NOT NULL,
            UNIQUE (workshop, participant, instrument, item, timepoint),
            FOREIGN KEY (workshop, participant) REFERENCES participants (workshop, code),
            CHECK (num_nonnulls(value, text, missing) = 1)
        )""",
        f"""CREATE TABLE submissions (
            id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            {_WORKSHOP},
            participant        TEXT NOT NULL,
            instrument         TEXT NOT NULL,
            instrument_version TEXT NOT NULL,
            timepoint          TEXT NOT NULL,
            submitted_at       TEXT NOT NULL,
            UNIQUE (workshop, participant, instrument, timepoint),
            FOREIGN KEY (workshop, participant) REFERENCES participants (workshop, code)
        )""",
        f"""CREATE TABLE checkins (
            id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            {_WORKSHOP},
            participant TEXT NOT NULL,
            instrument  TEXT NOT NULL,
            timepoint   TEXT NOT NULL,
            level       TEXT NOT NULL,
            rules       TEXT NOT NULL,
            flagged_at  TEXT NOT NULL,
            FOREIGN KEY (workshop, participant) REFERENCES participants (workshop, code)
        )""",
        "CREATE INDEX checkins_participant ON checkins (workshop, participant)",
        "CREATE INDEX submissions_participant ON submissions (workshop, participant)",
        *[s for t in ("participants", "couple_requests", "answers", "submissions", "checkins") for s in _protect(t)],
    ],
    2: [
        "ALTER TABLE participants ADD COLUMN phrase_hash TEXT NULL",
        f"""CREATE TABLE devices (
            {_WORKSHOP},
            key_hash TEXT NOT NULL,
            code     TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (workshop, key_hash),
            FOREIGN KEY (workshop, code) REFERENCES participants (workshop, code)
        )""",
        "CREATE INDEX devices_code ON devices (workshop, code)",
        f"""CREATE TABLE resume_attempts (
            {_WORKSHOP},
            code_hash    TEXT NOT NULL,
            failures     INTEGER NOT NULL,
            locked_until TEXT NULL,
            PRIMARY KEY (workshop, code_hash)
        )""",
        *_protect("devices"),
        *_protect("resume_attempts"),
    ],
    3: [
        "ALTER TABLE participants ADD COLUMN couple_consent INTEGER NOT NULL DEFAULT 0 CHECK (couple_consent IN (0, 1))",
        "ALTER TABLE participants ADD COLUMN couple_consent_at TEXT NULL",
        "ALTER TABLE participants ADD COLUMN checkin_reach TEXT NULL CHECK (checkin_reach IN ('break', 'screen'))",
        f"""CREATE TABLE pairing_holds (
            {_WORKSHOP},
            code    TEXT NOT NULL,
            held_at TEXT NOT NULL,
            PRIMARY KEY (workshop, code),
            FOREIGN KEY (workshop, code) REFERENCES participants (workshop, code)
        )""",
        *_protect("pairing_holds"),
    ],
}
assert max(MIGRATIONS) == SCHEMA_VERSION

_ON_CONFLICT = re.compile(r"ON CONFLICT \(")


@lru_cache(maxsize=256)
def translate(sql: str) -> str:
    """A statement of the store, written for SQLite, as PostgreSQL runs it on a workshop's rows."""
    return _ON_CONFLICT.sub("ON CONFLICT (workshop, ", sql.replace("%", "%%").replace("?", "%s"))


def _psycopg():
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        raise StoreError("a postgresql:// store needs psycopg: pip install 'attune-toolkit[postgres]'") from None
    return psycopg


def _reason(exc: Exception) -> str:
    """psycopg's message in one line, without the connection details it repeats."""
    text = " ".join(str(exc).split())
    fatal = re.search(r"FATAL:\s*(.*)", text)
    if fatal:
        return fatal.group(1)
    failed = re.search(r"failed: (.*?)(?: Is the server running.*)?$", text)
    return (failed.group(1) if failed else text) or type(exc).__name__


def _connect(conninfo: str, where: str):
    psycopg = _psycopg()
    try:
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise StoreError(f"{where}: the response store cannot be opened ({_reason(exc)}); nothing was saved") from None


def _version(conn) -> int | None:
    """The store version of the database, or None if it has no Attune tables."""
    exists = conn.execute("SELECT to_regclass('attune.meta') IS NOT NULL").fetchone()[0]
    if not exists:
        return None
    row = conn.execute("SELECT value FROM attune.meta WHERE key = %s", (STORE_KEY,)).fetchone()
    return int(row[0]) if row else None


def migrate(conn, where: str) -> int:
    """Bring the database's Attune tables up to SCHEMA_VERSION (creating them if new); the version found."""
    psycopg = _psycopg()
    found = _version(conn)
    if found is not None and found > SCHEMA_VERSION:
        raise StoreError(f"{where}: this response store was made by a newer version of Attune (store version "
                         f"{found}, this one reads up to {SCHEMA_VERSION}); update Attune")
    if found == SCHEMA_VERSION:
        return found
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('attune-schema'))")  # one migrator at a time
            found = _version(conn)
            if found == SCHEMA_VERSION:
                return found
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            conn.execute(f"SET LOCAL search_path = {SCHEMA}")
            for version in range((found or 0) + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
            if found is None:
                conn.execute("INSERT INTO meta (key, value) VALUES (%s, %s), ('created_at', %s)",
                             (STORE_KEY, str(SCHEMA_VERSION), now()))
            else:
                conn.execute("UPDATE meta SET value = %s WHERE key = %s", (str(SCHEMA_VERSION), STORE_KEY))
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (GROUP_ROLE,)).fetchone():
                _grant(conn)
    except psycopg.errors.InsufficientPrivilege:
        what = "has no Attune tables" if found is None else f"has Attune tables of version {found}"
        raise StoreError(f"{where}: this database {what} and this role may not create them; ask the database "
                         f"owner to run `attune db setup` on it") from None
    return found or 0


def _grant(conn) -> None:
    conn.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {GROUP_ROLE}")
    conn.execute(f"GRANT SELECT ON {SCHEMA}.meta TO {GROUP_ROLE}")
    tables = ", ".join(f"{SCHEMA}.{t}" for t in ("workshops", *PARTICIPANT_COLUMNS, "resume_attempts"))
    conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {GROUP_ROLE}")
    conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {GROUP_ROLE}")


def setup(admin_url: str) -> int:
    """Create (or bring up to date) the Attune tables and the group role ``attune_facilitator``.

    Run once by the database owner (a role that may create schemas and roles); returns the
    store version found before (0 for a new database). ``?workshop=`` is not needed here.
    """
    conninfo = connection_url(admin_url)
    where = shown(admin_url)
    conn = _connect(conninfo, where)
    psycopg = _psycopg()
    try:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (GROUP_ROLE,)).fetchone():
            try:
                conn.execute(f"CREATE ROLE {GROUP_ROLE} NOLOGIN")
            except psycopg.errors.InsufficientPrivilege:
                raise StoreError(f"{where}: this role may not create the group role {GROUP_ROLE}; "
                                 "run `attune db setup` as the database's owner with CREATEROLE") from None
            except psycopg.errors.DuplicateObject:
                pass  # another set-up was first
        found = migrate(conn, where)
        with conn.transaction():
            _grant(conn)
        return found
    finally:
        conn.close()


def add_facilitator(admin_url: str, name: str, password: str) -> None:
    """A login role ``name`` that may run workshops (a member of ``attune_facilitator``)."""
    psycopg = _psycopg()
    from psycopg import sql

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise StoreError(f"{name!r}: a facilitator's role name is lower-case letters, digits and '_'")
    conn = _connect(connection_url(admin_url), shown(admin_url))
    try:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
            sql.Identifier(name), sql.Literal(password), sql.Identifier(GROUP_ROLE)))
    except psycopg.errors.DuplicateObject:
        raise StoreError(f"{shown(admin_url)}: a role named {name!r} exists already") from None
    except psycopg.Error as exc:
        raise StoreError(f"{shown(admin_url)}: the facilitator {name!r} could not be added ({_reason(exc)})") from None
    finally:
        conn.close()


class _Transaction:
    """A connection inside one write transaction, running the store's SQLite-written statements."""

    def __init__(self, conn):
        self._conn = conn

    def execute(self, sql: str, params: Any = ()):
        return self._conn.execute(translate(sql), params)


class PostgresBackend:
    """One workshop in a PostgreSQL database, through one connection shared by threads under a lock.

    One per kernel, as for SQLite: a participant's kernel writes one answer at a time, and one
    log-in per kernel keeps a room of 40 warming quickly. A connection that broke (the server
    restarted) is replaced at the next call; the call that met it raises StoreError.
    """

    kind = "postgresql"

    def __init__(self, url: str, *, create: bool = True):
        psycopg = _psycopg()
        self.name = shown(url)
        self._conninfo, self.workshop = split_postgres_url(url)
        self._lock = threading.RLock()
        self._closed = False
        conn = _connect(self._conninfo, self.name)
        try:
            role, bypass = conn.execute("SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles "
                                        "WHERE rolname = current_user").fetchone()
            if bypass:
                raise StoreError(f"{self.name}: the role {role} bypasses row-level security, which keeps "
                                 "workshops apart; open a workshop as a facilitator's own role "
                                 "(`attune db facilitator`)")
            if create:
                migrate(conn, self.name)
            elif _version(conn) is None:
                raise StoreError(f"{self.name}: there is no Attune response store in this database; give the "
                                 "store the workshop used (attune serve prints it)")
            self._secret = self._claim(conn, role, create)
            self._configure(conn)
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"{self.name}: the response store cannot be opened ({_reason(exc)})") from None
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _configure(self, conn) -> None:
        conn.execute(f"SET search_path = {SCHEMA}")
        conn.execute("SELECT set_config('attune.workshop', %s, false)", (self.workshop,))

    def _claim(self, conn, role: str, create: bool) -> bytes:
        """This workshop's secret; a new workshop is claimed for ``role`` first."""
        conn.execute(f"SET search_path = {SCHEMA}")
        row = conn.execute("SELECT secret FROM workshops WHERE id = %s", (self.workshop,)).fetchone()
        if row is None and create:
            inserted = conn.execute(
                "INSERT INTO workshops (id, facilitator, secret, created_at) VALUES (%s, current_user, %s, %s) "
                "ON CONFLICT (id) DO NOTHING RETURNING secret",
                (self.workshop, secrets.token_hex(32), now())).fetchone()
            row = inserted or conn.execute("SELECT secret FROM workshops WHERE id = %s", (self.workshop,)).fetchone()
        if row is None:
            why = "is run by another facilitator's role" if create else "is not here, or is run by another role"
            raise StoreError(f"{self.name}: the workshop {self.workshop!r} {why}; "
                             f"{role} sees only the workshops it runs")
        return bytes.fromhex(row[0])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self):
        """The open connection (a new one if the last broke); the caller holds the lock."""
        if self._closed:
            raise StoreError(f"{self.name}: this response store has been closed; open it again")
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            conn = _connect(self._conninfo, self.name)
            self._configure(conn)
            self._conn = conn
        return self._conn

    @contextmanager
    def write(self, *, shared: bool = False) -> Iterator[_Transaction]:
        """One transaction under this workshop's advisory lock: ``shared`` writes (answers, submissions,
        each an upsert of its own rows) run side by side; any other write runs alone, as SQLite's
        BEGIN IMMEDIATE makes every write (joining against the room's cap, phrase attempts, erasure)."""
        psycopg = _psycopg()
        with self._lock:
            try:
                conn = self._connection()
                with conn.transaction():
                    lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
                    conn.execute(f"SELECT {lock}(hashtext(%s))", (f"attune:{self.workshop}",))
                    yield _Transaction(conn)
            except (psycopg.OperationalError, psycopg.errors.InsufficientPrivilege) as exc:
                raise StoreError(f"{self.name}: the response store could not be written ({_reason(exc)}); "
                                 "nothing was saved") from None

    def read(self, sql: str, params=()) -> list[tuple]:
        psycopg = _psycopg()
        with self._lock:
            try:
                return self._connection().execute(translate(sql), params).fetchall()
            except (psycopg.OperationalError, psycopg.errors.InsufficientPrivilege) as exc:
                raise StoreError(f"{self.name}: the response store could not be read ({_reason(exc)})") from None

    def secret(self) -> bytes:
        return self._secret

    def after_erase(self) -> bool:
        """Clear what is left of erased rows in the tables' pages (see :func:`purge`); True if it ran.

        Only the tables' owner may: for a facilitator's role the rows are gone from every query at
        once, autovacuum clears the table pages within its nap (the tables ask for it at the
        first dead row), and the owner's ``attune db purge`` clears the index pages too.
        """
        with self._lock:
            conn = self._connection()
            owner = conn.execute("""SELECT bool_and(pg_has_role(current_user, c.relowner, 'USAGE'))
                                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                    WHERE n.nspname = %s AND c.relname = ANY(%s)""",
                                 (SCHEMA, list(PARTICIPANT_COLUMNS))).fetchone()[0]
            if not owner:
                return False
            _purge(conn)
        return True


def _purge(conn) -> None:
    """VACUUM the tables about participants (dead rows leave the table pages), then rebuild their
    indexes (a deleted key otherwise stays readable in an index page until the page is reused)."""
    tables = [f"{SCHEMA}.{t}" for t in PARTICIPANT_COLUMNS]
    conn.execute(f"VACUUM {', '.join(tables)}")
    for table in tables:
        conn.execute(f"REINDEX TABLE CONCURRENTLY {table}")


def purge(admin_url: str) -> None:
    """As the tables' owner: clear every trace of erased rows from the pages of every workshop's tables.

    Run after erasures made by facilitators' roles (or nightly); ``attune db purge URL``.
    """
    where = shown(admin_url)
    conn = _connect(connection_url(admin_url), where)
    psycopg = _psycopg()
    try:
        _purge(conn)
    except psycopg.errors.InsufficientPrivilege:
        raise StoreError(f"{where}: only the owner of the Attune tables may purge them; "
                         "connect as the role that ran `attune db setup`") from None
    except psycopg.Error as exc:
        raise StoreError(f"{where}: the tables could not be purged ({_reason(exc)})") from None
    finally:
        conn.close()
