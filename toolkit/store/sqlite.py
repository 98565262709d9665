"""The response store: one SQLite file holding what participants answered, and nothing else.

A thin shell around SQLite. It keeps consent, answers, submissions and check-in flags,
checks that an answer is one the instrument allows, and hands data back as plain Python
values and pandas DataFrames; scoring lives in ``toolkit.core.scoring``.

Rules it keeps:

* Nothing is written about a participant who has not consented to storage: not even
  their code. ``register(code, storage_consent=False)`` writes nothing.
* Every write is its own ``BEGIN IMMEDIATE`` transaction with ``synchronous=FULL`` in WAL
  mode, so an answer that was acknowledged (the method returned) survives the kernel
  killing the process, and many processes (one Voila kernel per participant) can write
  to the same file at once; a writer waits up to 30 s for another one to finish.
* One connection per store object, shared by threads under a lock.
* ``erase`` removes every row about a code in one transaction, with ``secure_delete`` on
  so the deleted text is overwritten in the file, then tries to empty the write-ahead log.
* A file that is not an Attune store is never changed: it is recognised by its ``meta``
  table (key ``attune_store``) before anything is written.

Times are UTC, ISO 8601 (``2025-03-01T18:04:05.123456+00:00``).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.core.pseudonyms import is_valid_code, normalise_code, parse_code
from toolkit.errors import AttuneError, ConsentError, ResponseDataError, StoreError, UnknownParticipantError
from toolkit.instruments import MISSING_CODES, Instrument, load_instrument
from toolkit.instruments.model import LEVEL_ORDER, Item

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1
STORE_KEY = "attune_store"
BUSY_TIMEOUT_MS = 30_000
SQLITE_HEADER = b"SQLite format 3\x00"
MEMORY = ":memory:"

_MISSING_SQL = ", ".join(f"'{code}'" for code in MISSING_CODES)

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

#: Every table that holds rows about a participant, with the columns that can name one.
PARTICIPANT_COLUMNS = {
    "checkins": ("participant",),
    "submissions": ("participant",),
    "answers": ("participant",),
    "couple_requests": ("code", "partner"),
    "participants": ("code",),
}

ANSWER_COLUMNS = ["participant", "instrument", "instrument_version", "timepoint", "item",
                  "value", "text", "missing", "answered_at"]
PARTICIPANT_FIELDS = ["code", "storage_consent", "storage_consent_at", "checkin_consent",
                      "checkin_consent_at", "created_at"]


class CoupleRequestError(AttuneError):
    """A couple request that cannot be recorded (a code naming itself)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _pandas():
    import pandas  # imported on first use: a writer process (one per participant) never needs it

    return pandas


def _instrument_id(instrument: Instrument | str) -> str:
    return instrument.id if isinstance(instrument, Instrument) else str(instrument)


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    dtype = getattr(value, "dtype", None)  # a numpy boolean scalar, as widgets may hand over
    if getattr(dtype, "kind", None) == "b" and getattr(value, "ndim", None) == 0:
        return bool(value)
    raise ConsentError(f"{name} must be True or False, not {value!r}; nothing was saved")


def _shown(code: object) -> str:
    """A code as it may appear in a message: only something shaped like a code is repeated."""
    return repr(normalise_code(code)) if is_valid_code(code) else "this participant"


def _fmt(x: float) -> str:
    return f"{x:g}"


class ResponseStore:
    """Answers, consent and check-in flags in one SQLite file at ``path`` (created on first use).

    ``ResponseStore(":memory:")`` keeps everything in memory (for tests and demos).
    Use it as a context manager, or call :meth:`close` when done.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self._memory = str(path) == MEMORY
        self.path = Path(path) if not self._memory else Path(MEMORY)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = self._open()

    # -- opening -----------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"ResponseStore({str(self.path)!r})"

    def __enter__(self) -> ResponseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (safe to call twice). The last connection to close folds the log into the file."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _open(self) -> sqlite3.Connection:
        if not self._memory:
            self._check_location()
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: the response store cannot be opened ({exc})") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._check_identity(conn)  # read only: a foreign database is never changed
            mode = self._retry_when_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            if str(mode).lower() != "wal" and not self._memory:
                raise StoreError(f"{self.path}: the response store could not switch to write-ahead logging "
                                 f"(journal mode {mode!r}); keep the store on a local disk, not a network folder")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
            self._create_schema(conn)
        except StoreError:
            conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "not a database" in str(exc):
                raise StoreError(self._not_a_store("it is not an SQLite database")) from None
            raise StoreError(f"{self.path}: the response store cannot be opened or written ({exc}); "
                             "check that the folder can be written and the disk is not full") from None
        return conn

    def _not_a_store(self, why: str) -> str:
        return (f"{self.path}: this file is not an Attune response store ({why}); it was left unchanged. "
                "Give the path of an existing store, or a new file name for a new one")

    def _check_location(self) -> None:
        try:
            self._check_location_or_oserror()
        except OSError as exc:  # e.g. a folder on the way that may not be entered
            raise StoreError(f"{self.path}: the response store cannot be opened here ({exc.strerror or exc}); "
                             "choose a folder you can write to") from None

    def _check_location_or_oserror(self) -> None:
        path, folder = self.path, self.path.parent
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
                raise StoreError(self._not_a_store("it is not an SQLite database"))
            if not os.access(path, os.R_OK | os.W_OK):
                raise StoreError(f"{path}: the response store cannot be written (permission denied)")
        else:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
                why = (f"{blocker} is a file, not a folder" if blocker is not None and not blocker.is_dir()
                       else exc.strerror or str(exc))
                raise StoreError(f"{path}: cannot create the folder {folder} for the response store "
                                 f"({why}); choose a folder you can write to") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StoreError(f"{path}: the folder {folder} cannot be written (permission denied), and the "
                             "response store keeps its files there; choose a folder you can write to")

    def _check_identity(self, conn: sqlite3.Connection) -> None:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return  # a new, empty database: ours to set up
        if "meta" not in tables:
            raise StoreError(self._not_a_store("it is an SQLite database of something else"))
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (STORE_KEY,)).fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is None:
            raise StoreError(self._not_a_store("it is an SQLite database of something else"))
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise StoreError(self._not_a_store(f"unknown store version {row[0]!r}")) from None
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: this response store was made by a newer version of Attune "
                             f"(store version {version}, this one reads up to {SCHEMA_VERSION}); update Attune")

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._check_identity(conn)  # again: another process may have set it up meanwhile
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
                for statement in SCHEMA:
                    conn.execute(statement)
                conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                                 [(STORE_KEY, str(SCHEMA_VERSION)), ("created_at", _now())])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @staticmethod
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

    # -- transactions ------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.path}: this response store has been closed; open it again")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; nothing of it is kept unless the block ends normally."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback(conn)
                raise StoreError(f"{self.path}: the response store could not be written ({exc}); "
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

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise StoreError(f"{self.path}: the response store could not be read ({exc})") from None

    @staticmethod
    def _consented(conn: sqlite3.Connection, code: str) -> tuple[bool, bool]:
        """(storage consent, check-in consent) of ``code``; (False, False) if unknown."""
        row = conn.execute("SELECT storage_consent, checkin_consent FROM participants WHERE code = ?",
                           (code,)).fetchone()
        return (bool(row[0]), bool(row[1])) if row else (False, False)

    def _require_storage_consent(self, conn: sqlite3.Connection, participant: object) -> str:
        code = normalise_code(participant) if isinstance(participant, str) else None
        if code is None or not self._consented(conn, code)[0]:
            raise ConsentError(f"nothing was saved: {_shown(participant)} did not consent to storage "
                               "(or has not registered with this code)")
        return code

    # -- participants and consent ------------------------------------------------------

    def register(self, participant: str, storage_consent: bool, checkin_consent: bool = False,
                 couple: str | None = None) -> bool:
        """Record a participant's consent; return whether anything was stored.

        Without storage consent nothing at all is written (not even the code) and the
        result is False. Otherwise the participant is added or updated (consents and their
        times) and True is returned. Withdrawing check-in consent removes earlier check-in
        flags. ``couple`` also records a couple request toward that code.
        """
        code = parse_code(participant)
        partner = parse_code(couple) if couple is not None else None
        storage = _as_bool(storage_consent, "storage_consent")
        checkin = _as_bool(checkin_consent, "checkin_consent")
        if partner == code:
            raise CoupleRequestError("a couple links two different codes: give your partner's code, not your own")
        if not storage:
            return False
        now = _now()
        with self._write() as conn:
            conn.execute(
                """INSERT INTO participants (code, storage_consent, storage_consent_at, checkin_consent,
                                             checkin_consent_at, created_at)
                   VALUES (?, 1, ?, ?, ?, ?)
                   ON CONFLICT (code) DO UPDATE SET
                       storage_consent = 1, storage_consent_at = excluded.storage_consent_at,
                       checkin_consent = excluded.checkin_consent, checkin_consent_at = excluded.checkin_consent_at""",
                (code, now, int(checkin), now, now))
            if not checkin:
                conn.execute("DELETE FROM checkins WHERE participant = ?", (code,))
            if partner is not None:
                self._upsert_couple(conn, code, partner, now)
        return True

    def request_couple(self, participant: str, partner: str) -> None:
        """Record that ``participant`` wants to be linked with ``partner`` (replacing an earlier request)."""
        code, other = parse_code(participant), parse_code(partner)
        if code == other:
            raise CoupleRequestError("a couple links two different codes: give your partner's code, not your own")
        with self._write() as conn:
            self._require_storage_consent(conn, code)
            self._upsert_couple(conn, code, other, _now())

    @staticmethod
    def _upsert_couple(conn: sqlite3.Connection, code: str, partner: str, now: str) -> None:
        conn.execute("""INSERT INTO couple_requests (code, partner, requested_at) VALUES (?, ?, ?)
                        ON CONFLICT (code) DO UPDATE SET partner = excluded.partner,
                                                        requested_at = excluded.requested_at""",
                     (code, partner, now))

    def couple_of(self, participant: str) -> str | None:
        """The partner's code if both have asked to be linked with each other, else None."""
        if not isinstance(participant, str):
            return None
        rows = self._read("""SELECT a.partner FROM couple_requests a
                             JOIN couple_requests b ON b.code = a.partner AND b.partner = a.code
                             WHERE a.code = ?""", (normalise_code(participant),))
        return rows[0][0] if rows else None

    def participant(self, code: str) -> dict[str, Any] | None:
        """The participant's consent record as a dict, or None if the code is not stored."""
        if not isinstance(code, str):
            return None
        rows = self._read(f"SELECT {', '.join(PARTICIPANT_FIELDS)} FROM participants WHERE code = ?",
                          (normalise_code(code),))
        if not rows:
            return None
        record = dict(zip(PARTICIPANT_FIELDS, rows[0], strict=False))
        record["storage_consent"] = bool(record["storage_consent"])
        record["checkin_consent"] = bool(record["checkin_consent"])
        return record

    def participants(self) -> pd.DataFrame:
        """Every stored participant (code, consents and their times, created_at)."""
        pd = _pandas()
        rows = self._read(f"SELECT {', '.join(PARTICIPANT_FIELDS)} FROM participants ORDER BY code")
        df = pd.DataFrame.from_records(rows, columns=PARTICIPANT_FIELDS)
        return df.astype({"storage_consent": bool, "checkin_consent": bool})

    # -- answers -----------------------------------------------------------------------

    def record_answer(self, participant: str, instrument: Instrument | str, item: str, value: Any,
                      timepoint: str = "pre") -> None:
        """Save one answer, replacing an earlier answer to the same item at the same timepoint.

        ``value`` is a number from the item's response scale; None (saved as "skipped");
        one of MISSING_CODES; text for a free-text item (kept as given, never interpreted);
        or a list of option values for a multiple-choice item.
        """
        inst = load_instrument(instrument)
        timepoint = self._timepoint(timepoint)
        number, text, missing = self._encode(inst, item, value)
        with self._write() as conn:
            code = self._require_storage_consent(conn, participant)
            conn.execute(
                """INSERT INTO answers (participant, instrument, instrument_version, item, timepoint,
                                        value, text, missing, answered_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (participant, instrument, item, timepoint) DO UPDATE SET
                       instrument_version = excluded.instrument_version, value = excluded.value,
                       text = excluded.text, missing = excluded.missing, answered_at = excluded.answered_at""",
                (code, inst.id, inst.version, item, timepoint, number, text, missing, _now()))

    @staticmethod
    def _timepoint(timepoint: object) -> str:
        if not isinstance(timepoint, str) or not timepoint.strip():
            raise ResponseDataError(f"a timepoint is a name such as 'pre' or 'post', not {timepoint!r}; "
                                    "nothing was saved")
        return timepoint

    def _encode(self, inst: Instrument, item_id: object, value: Any) -> tuple[float | None, str | None, str | None]:
        """(value, text, missing) columns for an answer, or ResponseDataError."""
        if not isinstance(item_id, str) or item_id not in inst.item_ids:
            raise ResponseDataError(f"{inst.id} has no item {item_id!r} (its items are "
                                    f"{', '.join(inst.item_ids)}); nothing was saved")
        item = inst.item(item_id)
        if value is None:
            return None, None, "skipped"
        if isinstance(value, str) and value in MISSING_CODES:
            return None, None, value
        if item.type == "free_text":
            if isinstance(value, str):
                return None, value, None
            raise ResponseDataError(f"item {item_id!r} of {inst.id} is a free-text item and takes text, "
                                    f"not {value!r}; nothing was saved")
        if item.type == "multiple_choice" and isinstance(value, (list, tuple, set, frozenset)):
            chosen = sorted({self._scale_value(inst, item, v) for v in value})
            return None, json.dumps(chosen), None
        if isinstance(value, str):
            raise ResponseDataError(f"item {item_id!r} of {inst.id} takes a value from its response scale or one "
                                    f"of {', '.join(MISSING_CODES)}, not the text {value!r}; nothing was saved")
        return float(self._scale_value(inst, item, value)), None, None

    @staticmethod
    def _scale_value(inst: Instrument, item: Item, value: Any) -> float:
        """The response-scale value equal to ``value`` (floats compared with a tolerance)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
            raise ResponseDataError(f"{value!r} is not a possible answer to item {item.id!r} of {inst.id}: "
                                    "give a number from its response scale, None or a missing code; nothing was saved")
        scale = inst.response_scale_of(item)
        values = scale.values if scale is not None else []
        for v in values:
            if math.isclose(v, value, rel_tol=1e-9, abs_tol=1e-9):
                return v
        if scale is not None and scale.slider is not None:
            lo, hi, step = scale.slider
            allowed = f"from {_fmt(lo)} to {_fmt(hi)} in steps of {_fmt(step)}"
        else:
            allowed = f"the values {', '.join(_fmt(v) for v in values)}"
        raise ResponseDataError(f"{_fmt(float(value))} is not a possible answer to item {item.id!r} of {inst.id}: "
                                f"its response scale has {allowed}; nothing was saved")

    def answers(self, participant: str | None = None, instrument: Instrument | str | None = None,
                timepoint: str | None = None) -> pd.DataFrame:
        """Saved answers, one row per answer (tidy), optionally filtered."""
        pd = _pandas()
        where, params = [], []
        if participant is not None:
            where.append("participant = ?")
            params.append(normalise_code(participant))
        if instrument is not None:
            where.append("instrument = ?")
            params.append(_instrument_id(instrument))
        if timepoint is not None:
            where.append("timepoint = ?")
            params.append(timepoint)
        # Timepoints in the order they were first used (pre before post), answers in the order given.
        sql = f"""SELECT {', '.join('a.' + c for c in ANSWER_COLUMNS)} FROM answers a
                  JOIN (SELECT instrument, timepoint, MIN(id) AS first FROM answers GROUP BY instrument, timepoint) f
                    ON f.instrument = a.instrument AND f.timepoint = a.timepoint"""
        if where:
            sql += " WHERE " + " AND ".join("a." + w for w in where)
        rows = self._read(sql + " ORDER BY a.participant, a.instrument, f.first, a.id", params)
        df = pd.DataFrame.from_records(rows, columns=ANSWER_COLUMNS)
        return df.astype({"value": float})

    def saved_answers(self, participant: str, instrument: Instrument | str, timepoint: str) -> dict[str, Any]:
        """{item id: answer} as the form gave it: option value, missing code, text or list of choices."""
        inst = load_instrument(instrument)
        rows = self._read("""SELECT item, value, text, missing FROM answers
                             WHERE participant = ? AND instrument = ? AND timepoint = ? ORDER BY id""",
                          (normalise_code(participant), inst.id, timepoint))
        out: dict[str, Any] = {}
        for item_id, value, text, missing in rows:
            item = inst.item(item_id) if item_id in inst.item_ids else None
            if missing is not None:
                out[item_id] = missing
            elif text is not None:
                out[item_id] = json.loads(text) if item is not None and item.type == "multiple_choice" else text
            else:
                out[item_id] = self._option_value(inst, item, value)
        return out

    @staticmethod
    def _option_value(inst: Instrument, item: Item | None, value: float) -> float:
        scale = inst.response_scale_of(item) if item is not None else None
        for v in scale.values if scale is not None else []:
            if math.isclose(v, value, rel_tol=1e-9, abs_tol=1e-9):
                return v  # the scale's own value (3, not 3.0), so widgets recognise their option
        return value

    def wide(self, instrument: Instrument | str, timepoint: str | None = None) -> pd.DataFrame:
        """One row per participant and timepoint: ``participant``, ``timepoint``, one column per scored item.

        A cell holds the number, a missing code (the column is then of object dtype), or NaN
        if the item was never answered. Only consenting participants appear.
        """
        pd = _pandas()
        inst = load_instrument(instrument)
        items = [i.id for i in inst.scored_items]
        sql = """SELECT a.participant, a.timepoint, a.item, a.value, a.missing
                 FROM answers a JOIN participants p ON p.code = a.participant AND p.storage_consent = 1
                 WHERE a.instrument = ?"""
        params: list[Any] = [inst.id]
        if timepoint is not None:
            sql += " AND a.timepoint = ?"
            params.append(timepoint)
        order = {tp: n for n, (tp,) in enumerate(self._read(
            "SELECT timepoint FROM answers WHERE instrument = ? GROUP BY timepoint ORDER BY MIN(id)", (inst.id,)))}
        cells: dict[tuple[str, str], dict[str, Any]] = {}
        for code, tp, item_id, value, missing in self._read(sql + " ORDER BY a.id", params):
            row = cells.setdefault((code, tp), {})
            if item_id in items:
                row[item_id] = missing if missing is not None else value
        keys = sorted(cells, key=lambda k: (k[0], order.get(k[1], len(order)), k[1]))
        data: dict[str, Any] = {
            "participant": pd.Series([k[0] for k in keys], dtype=object),
            "timepoint": pd.Series([k[1] for k in keys], dtype=object),
        }
        for item_id in items:
            column = [cells[k].get(item_id, math.nan) for k in keys]
            has_codes = any(isinstance(x, str) for x in column)
            data[item_id] = pd.Series(column, dtype=object if has_codes else float)
        return pd.DataFrame(data)

    def scores(self, instrument: Instrument | str, timepoint: str = "pre") -> pd.DataFrame:
        """``toolkit.core.scoring.score`` applied to :meth:`wide` at one timepoint."""
        from toolkit.core.scoring import score  # imported here: the store works without the scoring module

        inst = load_instrument(instrument)
        wide = self.wide(inst, timepoint)
        if wide.empty:  # nobody has answered yet: the same columns, no rows
            pd = _pandas()
            columns = {"participant": object, "timepoint": object}
            for scale in inst.scales:
                columns.update({scale.id: float, f"{scale.id}_answered": int, f"{scale.id}_band": object})
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
        return score(inst, wide)

    # -- submissions and check-ins -----------------------------------------------------

    def submit(self, participant: str, instrument: Instrument | str, timepoint: str,
               level: str | None = None, rules: Iterable[str] = ()) -> bool:
        """Record that a form was submitted; return whether a check-in flag was recorded.

        A flag (``level`` with the ids of the safety ``rules`` that fired) is recorded only
        if the participant consented to check-ins.
        """
        inst = load_instrument(instrument)
        timepoint = self._timepoint(timepoint)
        if level is not None and level not in LEVEL_ORDER:
            raise ResponseDataError(f"check-in level must be one of {', '.join(LEVEL_ORDER)}, not {level!r}; "
                                    "nothing was saved")
        rule_ids = [rules] if isinstance(rules, str) else [str(r) for r in rules]
        now = _now()
        with self._write() as conn:
            code = self._require_storage_consent(conn, participant)
            conn.execute("""INSERT INTO submissions (participant, instrument, instrument_version, timepoint, submitted_at)
                            VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT (participant, instrument, timepoint) DO UPDATE SET
                                instrument_version = excluded.instrument_version,
                                submitted_at = excluded.submitted_at""",
                         (code, inst.id, inst.version, timepoint, now))
            if level is None or not self._consented(conn, code)[1]:
                return False
            conn.execute("""INSERT INTO checkins (participant, instrument, timepoint, level, rules, flagged_at)
                            VALUES (?, ?, ?, ?, ?, ?)""",
                         (code, inst.id, timepoint, level, json.dumps(rule_ids), now))
            return True

    def submissions(self) -> pd.DataFrame:
        """Every submission: participant, instrument, instrument_version, timepoint, submitted_at."""
        columns = ["participant", "instrument", "instrument_version", "timepoint", "submitted_at"]
        rows = self._read(f"SELECT {', '.join(columns)} FROM submissions ORDER BY submitted_at, id")
        return _pandas().DataFrame.from_records(rows, columns=columns)

    def checkins(self) -> pd.DataFrame:
        """Every check-in flag: code, instrument, timepoint, level, rules (list of rule ids), flagged_at."""
        rows = self._read("""SELECT c.participant, c.instrument, c.timepoint, c.level, c.rules, c.flagged_at
                             FROM checkins c JOIN participants p ON p.code = c.participant AND p.checkin_consent = 1
                             ORDER BY c.flagged_at, c.id""")
        records = [(code, inst, tp, level, json.loads(rules), at) for code, inst, tp, level, rules, at in rows]
        return _pandas().DataFrame.from_records(
            records, columns=["code", "instrument", "timepoint", "level", "rules", "flagged_at"])

    def progress(self, instrument: Instrument | str, timepoint: str) -> pd.DataFrame:
        """Per consenting participant: items answered (typed missing codes do not count) and whether submitted."""
        inst_id = _instrument_id(instrument)
        rows = self._read(
            """SELECT p.code,
                      (SELECT COUNT(*) FROM answers a WHERE a.participant = p.code AND a.instrument = ?
                              AND a.timepoint = ? AND a.missing IS NULL),
                      EXISTS (SELECT 1 FROM submissions s WHERE s.participant = p.code AND s.instrument = ?
                              AND s.timepoint = ?)
               FROM participants p WHERE p.storage_consent = 1 ORDER BY p.code""",
            (inst_id, timepoint, inst_id, timepoint))
        df = _pandas().DataFrame.from_records(rows, columns=["participant", "answered", "submitted"])
        return df.astype({"answered": int, "submitted": bool})

    # -- erasure -----------------------------------------------------------------------

    def erase(self, participant: str) -> int:
        """Delete every row about ``participant`` in every table, at once; return how many rows went.

        Raises UnknownParticipantError if nothing about the code is stored.
        """
        code = normalise_code(participant) if isinstance(participant, str) else None
        removed = 0
        if code is not None:
            with self._write() as conn:
                for table, columns in PARTICIPANT_COLUMNS.items():
                    condition = " OR ".join(f"{c} = ?" for c in columns)
                    removed += conn.execute(f"DELETE FROM {table} WHERE {condition}", (code,) * len(columns)).rowcount
        if removed == 0:
            raise UnknownParticipantError(f"nothing is stored about {_shown(participant)}: "
                                          "check the code for typos (nothing was deleted)")
        self._empty_log()
        return removed

    def withdraw_consent(self, participant: str) -> int:
        """Withdrawal of consent: everything about the participant is erased (see :meth:`erase`)."""
        return self.erase(participant)

    def _empty_log(self) -> None:
        """Best effort: copy the log into the file and truncate it, so erased text is not left in the log."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("PRAGMA busy_timeout = 2000")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error:
                pass  # other readers hold the log; it is emptied by a later checkpoint
            finally:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def open_existing(path: str | os.PathLike[str]) -> ResponseStore:
    """Open a store that must already exist (export, erase): a missing file is refused, not created."""
    target = Path(path)
    if not target.is_file():
        raise StoreError(f"{target}: there is no Attune response store here; give the path of the store the "
                         "workshop used (attune serve prints it)")
    return ResponseStore(target)
