"""The SQLite back end: an Attune store file, its tables, and how a file is opened as one.

The embedded default (``make run``, a facilitator's laptop). ``SQLiteBackend`` is what
``toolkit.store.responses.ResponseStore`` runs its statements on; ``postgres.py`` is the other
back end, behind the same four methods (``write``, ``read``, ``secret``, ``after_erase``).

``connect`` gives a connection to a store, refusing anything that is not one before writing:

* A file that is not an Attune store is never changed: it is recognised by its ``meta``
  table (key ``attune_store``) before anything is written; a new, empty file is set up.
* The connection runs in WAL mode with ``synchronous=FULL``, so an acknowledged write
  survives the process being killed and many processes (one Voila kernel per participant)
  can write to one file; a writer waits up to 30 s for another one to finish.
* ``secure_delete`` is on, so erased text is overwritten in the file.
* A version 1 store (before resume keys) is brought up to version 2 when opened: its
  participants keep their answers but, having no phrase, can come back only on a device
  that joins again (see ``toolkit.core.resume``).
* A version 2 store is brought up to version 3 (the couple-comparison consent, how a
  participant chose to be reached for a check-in, and pairing holds): nobody has agreed to
  a couple comparison yet, and nobody has chosen how to be reached.
* The secret that keys the store's hashes lives beside the file, in the workshop's private
  folder (``workshop.sqlite.private/store_secret``, 0600), never in the file itself.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from toolkit.errors import StoreError
from toolkit.store.location import PRIVATE_SUFFIX, private_dir
from toolkit.store.tables import MISSING_SQL as _MISSING_SQL
from toolkit.store.tables import SCHEMA_VERSION, STORE_KEY, now

BUSY_TIMEOUT_MS = 30_000
SQLITE_HEADER = b"SQLite format 3\x00"
MEMORY = ":memory:"

SCHEMA = [
    """CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE participants (
        code               TEXT PRIMARY KEY,
        storage_consent    INTEGER NOT NULL CHECK (storage_consent IN (0, 1)),
        storage_consent_at TEXT NOT NULL,
        checkin_consent    INTEGER NOT NULL CHECK (checkin_consent IN (0, 1)),
        checkin_consent_at TEXT NOT NULL,
        created_at         TEXT NOT NULL
    )""",
    # One request per person (a new one replaces the old); a couple is linked only when
    # both have asked for each other. The partner need not have registered yet.
    """CREATE TABLE couple_requests (
        code         TEXT PRIMARY KEY REFERENCES participants (code),
        partner      TEXT NOT NULL CHECK (partner <> code),
        requested_at TEXT NOT NULL
    )""",
    "CREATE INDEX couple_requests_partner ON couple_requests (partner)",
    f"""CREATE TABLE answers (
        id                 INTEGER PRIMARY KEY,
        participant        TEXT NOT NULL REFERENCES participants (code),
        instrument         TEXT NOT NULL,
        instrument_version TEXT NOT NULL,
        item               TEXT NOT NULL,
        timepoint          TEXT NOT NULL,
        value              REAL NULL,
        text               TEXT NULL,
        missing            TEXT NULL CHECK (missing IN ({_MISSING_SQL})),
        answered_at        TEXT NOT NULL,
        UNIQUE (participant, instrument, item, timepoint),
        CHECK ((value IS NOT NULL) + (text IS NOT NULL) + (missing IS NOT NULL) = 1)
    )""",
    """CREATE TABLE submissions (
        id                 INTEGER PRIMARY KEY,
        participant        TEXT NOT NULL REFERENCES participants (code),
        instrument         TEXT NOT NULL,
        instrument_version TEXT NOT NULL,
        timepoint          TEXT NOT NULL,
        submitted_at       TEXT NOT NULL,
        UNIQUE (participant, instrument, timepoint)
    )""",
    # A log: each flagged submission adds a row, so a flag the facilitator saw never vanishes
    # because the form was submitted again.
    """CREATE TABLE checkins (
        id          INTEGER PRIMARY KEY,
        participant TEXT NOT NULL REFERENCES participants (code),
        instrument  TEXT NOT NULL,
        timepoint   TEXT NOT NULL,
        level       TEXT NOT NULL,
        rules       TEXT NOT NULL,
        flagged_at  TEXT NOT NULL
    )""",
    "CREATE INDEX checkins_participant ON checkins (participant)",
    "CREATE INDEX submissions_participant ON submissions (participant)",
]

#: Version 2: who may come back as a participant. Only keyed hashes are kept, never a key or a phrase.
SCHEMA_V2 = [
    "ALTER TABLE participants ADD COLUMN phrase_hash TEXT NULL",
    # One participant per device (browser) and workshop; a participant may have several devices.
    """CREATE TABLE devices (
        key_hash TEXT PRIMARY KEY,
        code     TEXT NOT NULL REFERENCES participants (code),
        added_at TEXT NOT NULL
    )""",
    "CREATE INDEX devices_code ON devices (code)",
    # Wrong phrases per typed code, kept for codes that exist and codes that do not alike, so
    # the lock says nothing about which codes exist. Keyed by a hash of the code.
    """CREATE TABLE resume_attempts (
        code_hash    TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,
        locked_until TEXT NULL
    )""",
]

#: Version 3: the couple comparison's own consent; how a participant chose to be reached for a
#: check-in; and pairing holds, one row per participant for whom a partner-safety rule fired
#: (kept whatever the check-in consent, read only as "is pairing advised for this pair?").
SCHEMA_V3 = [
    "ALTER TABLE participants ADD COLUMN couple_consent INTEGER NOT NULL DEFAULT 0 CHECK (couple_consent IN (0, 1))",
    "ALTER TABLE participants ADD COLUMN couple_consent_at TEXT NULL",
    "ALTER TABLE participants ADD COLUMN checkin_reach TEXT NULL CHECK (checkin_reach IN ('break', 'screen'))",
    """CREATE TABLE pairing_holds (
        code    TEXT PRIMARY KEY REFERENCES participants (code),
        held_at TEXT NOT NULL
    )""",
]

def connect(path: Path) -> sqlite3.Connection:
    """A connection to the store at ``path`` (created if new; ``:memory:`` for one in memory), or StoreError."""
    memory = str(path) == MEMORY
    if not memory:
        _check_location(path)
    previous = os.umask(0o077)  # the database, its log and shared-memory files are created owner-only
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.Error as exc:
        os.umask(previous)
        raise StoreError(f"{path}: the response store cannot be opened ({exc})") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_identity(conn, path)  # read only: a foreign database is never changed
        mode = _retry_when_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        if str(mode).lower() != "wal" and not memory:
            raise StoreError(f"{path}: the response store could not switch to write-ahead logging "
                             f"(journal mode {mode!r}); keep the store on a local disk, not a network folder")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
        _create_schema(conn, path)
        if not memory:
            keep_private(path)
    except StoreError:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        if "not a database" in str(exc):
            raise StoreError(_not_a_store(path, "it is not an SQLite database")) from None
        raise StoreError(f"{path}: the response store cannot be opened or written ({exc}); "
                         "check that the folder can be written and the disk is not full") from None
    finally:
        os.umask(previous)
    return conn


class StoreReadableWarning(UserWarning):
    """A store's files could be read by other users of this computer; their modes were made owner-only."""


def keep_private(path: Path) -> list[Path]:
    """Make the store's database, log and shared-memory files owner-only (0600); warn about any that were not."""
    import warnings

    fixed = []
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = file.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(file, 0o600)
            fixed.append(file)
    if fixed:
        warnings.warn(f"{path}: other users of this computer could read {', '.join(f.name for f in fixed)}; "
                      "they are now readable by you alone", StoreReadableWarning, stacklevel=3)
    return fixed


def _not_a_store(path: Path, why: str) -> str:
    return (f"{path}: this file is not an Attune response store ({why}); it was left unchanged. "
            "Give the path of an existing store, or a new file name for a new one")


def _check_location(path: Path) -> None:
    try:
        _check_location_or_oserror(path)
    except OSError as exc:  # e.g. a folder on the way that may not be entered
        raise StoreError(f"{path}: the response store cannot be opened here ({exc.strerror or exc}); "
                         "choose a folder you can write to") from None


def _check_location_or_oserror(path: Path) -> None:
    folder = path.parent
    if path.is_dir():
        raise StoreError(f"{path}: this is a folder; give a file name for the response store, "
                         f"such as {path / 'responses.sqlite'}")
    if path.exists():
        try:
            with open(path, "rb") as fh:
                head = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise StoreError(f"{path}: the response store cannot be read ({exc.strerror or exc})") from None
        if head and head != SQLITE_HEADER:
            raise StoreError(_not_a_store(path, "it is not an SQLite database"))
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(f"{path}: the response store cannot be written (permission denied)")
    else:
        try:
            if not folder.is_dir():
                folder.mkdir(mode=0o700, parents=True)  # answers about mental health: the owner only
        except OSError as exc:
            blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
            why = (f"{blocker} is a file, not a folder" if blocker is not None and not blocker.is_dir()
                   else exc.strerror or str(exc))
            raise StoreError(f"{path}: cannot create the folder {folder} for the response store "
                             f"({why}); choose a folder you can write to") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"{path}: the folder {folder} cannot be written (permission denied), and the "
                         "response store keeps its files there; choose a folder you can write to")


def _check_identity(conn: sqlite3.Connection, path: Path) -> None:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return  # a new, empty database: ours to set up
    if "meta" not in tables:
        raise StoreError(_not_a_store(path, "it is an SQLite database of something else"))
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (STORE_KEY,)).fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise StoreError(_not_a_store(path, "it is an SQLite database of something else"))
    try:
        version = int(row[0])
    except (TypeError, ValueError):
        raise StoreError(_not_a_store(path, f"unknown store version {row[0]!r}")) from None
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: this response store was made by a newer version of Attune "
                         f"(store version {version}, this one reads up to {SCHEMA_VERSION}); update Attune")


def _create_schema(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        _check_identity(conn, path)  # again: another process may have set it up meanwhile
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
            for statement in SCHEMA:
                conn.execute(statement)
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                             [(STORE_KEY, "1"), ("created_at", now())])
        version = int(conn.execute("SELECT value FROM meta WHERE key = ?", (STORE_KEY,)).fetchone()[0])
        for since, statements in ((2, SCHEMA_V2), (3, SCHEMA_V3)):
            if version < since:
                for statement in statements:
                    conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute("UPDATE meta SET value = ? WHERE key = ?", (str(SCHEMA_VERSION), STORE_KEY))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


SECRET_FILE = "store_secret"
_MEMORY_SECRET = secrets.token_bytes(32)  # a store in memory lives and dies with this process


def store_secret(path: Path) -> bytes:
    """The secret that keys this store's hashes, made once (32 random bytes, 0600) beside the store.

    Kept out of the store file, so a copied store alone gives no way to test guessed phrases.
    Several kernels may ask at once: the first file written wins and every one reads it.
    """
    if str(path) == MEMORY:
        return _MEMORY_SECRET
    folder = path.parent / f"{path.name}{PRIVATE_SUFFIX}"
    try:
        folder = private_dir(path)
        target = folder / SECRET_FILE
        if not target.exists():
            tmp = folder / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            try:
                os.link(tmp, target)  # fails if another process was first: theirs is kept
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
        secret = bytes.fromhex(target.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: the store's private folder {folder} cannot be used ({exc}); "
                         "choose a folder you can write to") from None
    if len(secret) < 32:
        raise StoreError(f"{folder / SECRET_FILE}: this file is damaged; remove it (participants then join again)")
    return secret


def _retry_when_busy(step, seconds: float = BUSY_TIMEOUT_MS / 1000):
    # Switching the journal mode can report "locked" at once instead of waiting.
    deadline = time.monotonic() + seconds
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class SQLiteBackend:
    """One store file (or ``:memory:``): one connection, shared by threads under a lock.

    Every write is its own ``BEGIN IMMEDIATE`` transaction, so writers (one kernel per
    participant) take turns and an acknowledged write is on disk.
    """

    kind = "sqlite"

    def __init__(self, path: Path):
        self.path = path
        self.name = str(path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = connect(path)
        self._secret: bytes | None = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.name}: this response store has been closed; open it again")
        return self._conn

    @contextmanager
    def write(self, *, shared: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction (``shared`` or not, each runs alone); nothing is kept unless the block ends normally."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback(conn)
                raise StoreError(f"{self.name}: the response store could not be written ({exc}); "
                                 "nothing was saved") from None
            except BaseException:
                self._rollback(conn)
                raise

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def read(self, sql: str, params=()) -> list[tuple]:
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise StoreError(f"{self.name}: the response store could not be read ({exc})") from None

    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = store_secret(self.path)
        return self._secret

    def after_erase(self, wait: float = 10.0) -> bool:
        """Copy the log into the file and truncate it, so erased rows are left in no file; True once done.

        (``secure_delete`` already overwrote them in the file.) A reader in the middle of a read
        (the dashboard, a kernel) keeps the log from being truncated: retried for up to ``wait``
        seconds, then False.
        """
        deadline = time.monotonic() + wait
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("PRAGMA busy_timeout = 200")
                while True:
                    try:
                        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                    except sqlite3.Error:
                        busy = 1
                    if not busy:
                        return True
                    if time.monotonic() >= deadline:
                        return False
                    time.sleep(0.05)
            finally:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
