"""The response store: what participants answered, and nothing else, on either back end.

Every statement about consent, answers, submissions and check-in flags, handing data back as
plain Python values and pandas DataFrames. The statements are written once and run on a back
end: an SQLite file (``sqlite.py``, the embedded default) or a workshop in an organisation's
PostgreSQL (``postgres.py``, for a ``postgresql://`` location); which one is ``location.py``'s
decision. What an answer may be is ``toolkit.instruments.answers``; long answers into wide
frames, ``reshape.py``; scoring, ``toolkit.core.scoring``.

Longer than 400 lines on purpose: every statement that reads or writes the store stays in this
one class, so its transaction and consent rules (below) can be checked in one place; the
pure parts already live elsewhere.

Rules it keeps:

* Nothing is written about a participant who has not consented to storage: not even
  their code. ``register(code, storage_consent=False)`` writes nothing.
* Every write is its own transaction, committed before the method returns (SQLite:
  ``BEGIN IMMEDIATE``, ``synchronous=FULL``, WAL; PostgreSQL: synchronous commit), so an answer
  that was acknowledged survives the kernel killing the process, and none is lost or doubled.
  Writes that count or remove run alone (SQLite runs every write alone; on PostgreSQL answers
  and submissions, upserts of their own rows, share a per-workshop advisory lock).
* ``erase`` removes every row about a code in one transaction, then clears what is left of
  the rows (SQLite: ``secure_delete`` and emptying the write-ahead log; PostgreSQL: VACUUM of
  the tables it touched).
* Whether two people may be paired for couple work is one yes or no for the pair
  (``pairing_advised``): never which of them, nor why. A partner-safety rule that fired
  leaves a pairing hold, whatever the check-in consent.
* A code opens nothing: who may act as a participant is decided by a device key or the
  recovery phrase (``enrol``, ``device_code``, ``owns``, ``resume``), of which only keyed
  hashes are kept (``toolkit.core.resume``).

Times are UTC, ISO 8601 (``2025-03-01T18:04:05.123456+00:00``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.core import resume as keys
from toolkit.core.pairing import PARTNER_SAFETY_RULES
from toolkit.core.pseudonyms import is_valid_code, normalise_code, parse_code
from toolkit.errors import AttuneError, ConsentError, StoreError, UnknownParticipantError
from toolkit.instruments import Instrument, load_instrument
from toolkit.instruments.answers import check_level, check_timepoint, decode_answer, encode_answer
from toolkit.store.location import as_location, shown
from toolkit.store.tables import ANSWER_COLUMNS, PARTICIPANT_COLUMNS, PARTICIPANT_FIELDS
from toolkit.store.tables import now as _now

if TYPE_CHECKING:
    import pandas as pd

Transaction = Any  # a back end's connection inside one write transaction: ``execute(sql, params)``


class CoupleRequestError(AttuneError):
    """A couple request that cannot be recorded (a code naming itself)."""


class CodeTakenError(AttuneError):
    """A new participant with a code someone already has (only a page's own new code is offered)."""


class RoomFullError(AttuneError):
    """The workshop has as many participants as its room allows."""


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


class ResponseStore:
    """Answers, consent and check-in flags at ``location``: a file path or a ``postgresql://`` URL.

    A file is created on first use; ``ResponseStore(":memory:")`` keeps everything in memory
    (for tests and demos). A URL names a workshop in an organisation's database
    (``postgresql://ROLE@HOST/DB?workshop=ID``; see ``toolkit.store.postgres``).
    Use it as a context manager, or call :meth:`close` when done.
    """

    def __init__(self, location: str | os.PathLike[str], *, create: bool = True):
        target = as_location(location)
        if isinstance(target, Path):
            from toolkit.store.sqlite import SQLiteBackend

            self._db = SQLiteBackend(target)
        else:
            from toolkit.store.postgres import PostgresBackend

            self._db = PostgresBackend(target, create=create)
        self.path = target  # the file, or the URL as given (``location`` shows it without a password)
        self.location = shown(target)
        self.kind = self._db.kind
        self.log_emptied = True  # set by erase: whether what was left of the erased rows was cleared

    def __repr__(self) -> str:
        return f"ResponseStore({self.location!r})"

    def __enter__(self) -> ResponseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store (safe to call twice)."""
        self._db.close()

    # -- transactions ------------------------------------------------------------------

    def _write(self, *, shared: bool = False):
        """One write transaction; nothing of it is kept unless the block ends normally.

        ``shared``: a write that may run beside other shared ones (an answer, a submission: each
        an upsert of its own rows), never beside an exclusive one (what counts or removes:
        joining against the room's cap, phrase attempts, erasure). SQLite runs every write alone.
        """
        return self._db.write(shared=shared)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._db.read(sql, params)

    @staticmethod
    def _consented(conn: Transaction, code: str) -> tuple[bool, bool]:
        """(storage consent, check-in consent) of ``code``; (False, False) if unknown."""
        row = conn.execute("SELECT storage_consent, checkin_consent FROM participants WHERE code = ?",
                           (code,)).fetchone()
        return (bool(row[0]), bool(row[1])) if row else (False, False)

    def _require_storage_consent(self, conn: Transaction, participant: object) -> str:
        code = normalise_code(participant) if isinstance(participant, str) else None
        if code is None or not self._consented(conn, code)[0]:
            raise ConsentError(f"nothing was saved: {_shown(participant)} did not consent to storage "
                               "(or has not registered with this code)")
        return code

    # -- participants and consent ------------------------------------------------------

    def register(self, participant: str, storage_consent: bool, checkin_consent: bool = False,
                 couple: str | None = None, couple_consent: bool | None = None) -> bool:
        """Record a participant's consent; return whether anything was stored.

        Without storage consent nothing at all is written (not even the code) and the
        result is False. Otherwise the participant is added or updated (consents and their
        times) and True is returned. Withdrawing check-in consent removes earlier check-in
        flags. ``couple`` also records a couple request toward that code; ``couple_consent``
        (None: unchanged) gives or withdraws consent to the couple comparison.
        """
        code = parse_code(participant)
        partner = parse_code(couple) if couple is not None else None
        storage = _as_bool(storage_consent, "storage_consent")
        checkin = _as_bool(checkin_consent, "checkin_consent")
        comparison = None if couple_consent is None else _as_bool(couple_consent, "couple_consent")
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
            if comparison is not None:
                self._set_couple_consent(conn, code, comparison, now)
            if partner is not None:
                self._upsert_couple(conn, code, partner, now)
        return True

    @staticmethod
    def _set_couple_consent(conn: Transaction, code: str, consent: bool, now: str) -> None:
        conn.execute("UPDATE participants SET couple_consent = ?, couple_consent_at = ? WHERE code = ?",
                     (int(consent), now, code))

    def set_checkin_reach(self, participant: str, reach: str | None) -> None:
        """How the participant wants to be reached for a check-in: "break", "screen", or None (not said)."""
        if reach not in (None, "break", "screen"):
            raise AttuneError(f"reach must be 'break', 'screen' or None, not {reach!r}; nothing was saved")
        with self._write() as conn:
            code = self._require_storage_consent(conn, participant)
            conn.execute("UPDATE participants SET checkin_reach = ? WHERE code = ?", (reach, code))

    def request_couple(self, participant: str, partner: str) -> None:
        """Record that ``participant`` wants to be linked with ``partner`` (replacing an earlier request)."""
        code, other = parse_code(participant), parse_code(partner)
        if code == other:
            raise CoupleRequestError("a couple links two different codes: give your partner's code, not your own")
        with self._write() as conn:
            self._require_storage_consent(conn, code)
            self._upsert_couple(conn, code, other, _now())

    @staticmethod
    def _upsert_couple(conn: Transaction, code: str, partner: str, now: str) -> None:
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

    def pairing_advised(self, participant: str, partner: str) -> bool:
        """Whether couple work is advised for these two codes: a yes or no for the pair, nothing else.

        No when a partner-safety rule fired for either (a pairing hold, or their saved answers
        meet such a rule now). Never says which of the two, nor why.
        """
        from toolkit.core.couples import PARTNER_SAFETY_RULES, partner_safety_fired

        codes = [normalise_code(c) for c in (participant, partner) if isinstance(c, str)]
        marks = ", ".join("?" for _ in codes)
        if self._read(f"SELECT 1 FROM pairing_holds WHERE code IN ({marks})", codes):
            return False
        screens = ", ".join("?" for _ in PARTNER_SAFETY_RULES)
        for code in codes:
            rows = self._read(f"""SELECT instrument, timepoint, item, value FROM answers
                                  WHERE participant = ? AND instrument IN ({screens})""",
                              (code, *PARTNER_SAFETY_RULES))
            if rows and partner_safety_fired(_pandas().DataFrame.from_records(
                    rows, columns=["instrument", "timepoint", "item", "value"]).astype({"value": float})):
                return False
        return True

    def paired_with(self, participant: str) -> str | None:
        """The partner for couple features: linked both ways, both agreed to the comparison, pairing advised.

        Otherwise None, exactly as for someone who never linked: what every couple feature asks.
        """
        partner = self.couple_of(participant)
        if partner is None:
            return None
        rows = self._read("SELECT COUNT(*) FROM participants WHERE code IN (?, ?) AND couple_consent = 1",
                          (normalise_code(participant), partner))
        return partner if rows[0][0] == 2 and self.pairing_advised(participant, partner) else None

    @staticmethod
    def _pairing_check(inst: Instrument):
        """The partner-safety test for answers to ``inst``, or None; imported before a write takes its lock."""
        if inst.id not in PARTNER_SAFETY_RULES:
            return None
        from toolkit.core.couples import partner_safety_fired  # pandas: only for the screens

        return partner_safety_fired

    @staticmethod
    def _hold_pairing(conn: Transaction, inst: Instrument, code: str, timepoint: str, fired) -> None:
        """After an answer to a partner-safety form: a pairing hold if one of its rules now fires."""
        if fired is None:
            return
        rows = conn.execute("""SELECT instrument, timepoint, item, value FROM answers
                               WHERE participant = ? AND instrument = ? AND timepoint = ?""",
                            (code, inst.id, timepoint)).fetchall()
        frame = _pandas().DataFrame.from_records(rows, columns=["instrument", "timepoint", "item", "value"])
        if fired(frame.astype({"value": float})):
            conn.execute("INSERT INTO pairing_holds (code, held_at) VALUES (?, ?) ON CONFLICT (code) DO NOTHING",
                         (code, _now()))

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
        record["couple_consent"] = bool(record["couple_consent"])
        return record

    def participants(self) -> pd.DataFrame:
        """Every stored participant (code, consents and their times, created_at)."""
        pd = _pandas()
        rows = self._read(f"SELECT {', '.join(PARTICIPANT_FIELDS)} FROM participants ORDER BY code")
        df = pd.DataFrame.from_records(rows, columns=PARTICIPANT_FIELDS)
        return df.astype({"storage_consent": bool, "checkin_consent": bool, "couple_consent": bool})

    # -- who may come back -------------------------------------------------------------

    @property
    def _secret(self) -> bytes:
        return self._db.secret()

    def _device(self, device: str) -> str:
        if not isinstance(device, str) or len(device) < 16:
            raise AttuneError("a device key is a long random text (toolkit.core.resume.new_device_key)")
        return keys.keyed_hash("attune-device", device, self._secret)

    def enrol(self, participant: str, *, device: str, phrase: str, checkin_consent: bool = False,
              couple: str | None = None, room: int | None = None, couple_consent: bool = False) -> None:
        """A new participant who consented to storage, on ``device``, who can come back with ``phrase``.

        ``phrase`` is a kept phrase (``toolkit.core.resume.new_phrase``). The device now belongs
        to this participant (another it held stays stored). Raises CodeTakenError if the code is
        stored already, RoomFullError if ``room`` participants are.
        """
        code = parse_code(participant)
        partner = parse_code(couple) if couple is not None else None
        checkin = _as_bool(checkin_consent, "checkin_consent")
        if partner == code:
            raise CoupleRequestError("a couple links two different codes: give your partner's code, not your own")
        hashed, device_hash, now = keys.phrase_hash(code, phrase, self._secret), self._device(device), _now()
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM participants WHERE code = ?", (code,)).fetchone():
                raise CodeTakenError(f"{_shown(code)} is already taken: ask for a new code")
            if room is not None and conn.execute("SELECT COUNT(*) FROM participants").fetchone()[0] >= room:
                raise RoomFullError(f"the workshop is full ({room} participants)")
            conn.execute("""INSERT INTO participants (code, storage_consent, storage_consent_at, checkin_consent,
                                                      checkin_consent_at, created_at, phrase_hash)
                            VALUES (?, 1, ?, ?, ?, ?, ?)""", (code, now, int(checkin), now, now, hashed))
            self._link(conn, device_hash, code, now)
            if couple_consent:
                self._set_couple_consent(conn, code, True, now)
            if partner is not None:
                self._upsert_couple(conn, code, partner, now)

    @staticmethod
    def _link(conn: Transaction, device_hash: str, code: str, now: str) -> None:
        conn.execute("""INSERT INTO devices (key_hash, code, added_at) VALUES (?, ?, ?)
                        ON CONFLICT (key_hash) DO UPDATE SET code = excluded.code, added_at = excluded.added_at""",
                     (device_hash, code, now))

    def device_code(self, device: str | None) -> str | None:
        """The code of the participant this device joined as, or None."""
        if not device:
            return None
        rows = self._read("SELECT code FROM devices WHERE key_hash = ?", (self._device(device),))
        return rows[0][0] if rows else None

    def owns(self, participant: str | None, device: str | None) -> bool:
        """Whether ``device`` may act for ``participant`` (change consent, link, erase, download)."""
        return bool(participant) and is_valid_code(participant) and self.device_code(device) == normalise_code(participant)

    def add_device(self, participant: str, device: str, *, holder: str) -> bool:
        """Let ``device`` act for ``participant`` too, if ``holder`` (a device key) already may; return whether it did."""
        code = parse_code(participant)
        holder_hash, device_hash = self._device(holder), self._device(device)
        with self._write() as conn:
            row = conn.execute("SELECT code FROM devices WHERE key_hash = ?", (holder_hash,)).fetchone()
            if not row or row[0] != code:
                return False
            self._link(conn, device_hash, code, _now())
            return True

    def set_phrase(self, participant: str, phrase: str) -> None:
        """Give a stored participant a new recovery phrase (kept form); the facilitator's tool, never a page's."""
        code = parse_code(participant)
        hashed = keys.phrase_hash(code, phrase, self._secret)
        with self._write() as conn:
            if conn.execute("UPDATE participants SET phrase_hash = ? WHERE code = ?", (hashed, code)).rowcount == 0:
                raise UnknownParticipantError(f"nothing is stored about {_shown(code)}")

    def resume(self, participant: str, phrase: str | None, device: str, *, now: datetime | None = None) -> str:
        """Come back as ``participant`` on a new ``device`` with their phrase: "resumed", "no_match" or "locked".

        Unknown codes and wrong phrases give the same answer, take the same time and count
        toward the same lock (MAX_FAILURES wrong phrases lock a code for LOCK_SECONDS), so
        nothing here tells which codes exist. A device that already holds the code needs none of this.
        """
        code = parse_code(participant)
        moment = now or datetime.now(UTC)
        code_hash = keys.keyed_hash("attune-attempt", code, self._secret)
        given = keys.phrase_hash(code, phrase or "-", self._secret)  # computed whatever the code, for equal time
        device_hash = self._device(device)
        with self._write() as conn:
            row = conn.execute("SELECT failures, locked_until FROM resume_attempts WHERE code_hash = ?",
                               (code_hash,)).fetchone()
            failures, locked_until = row if row else (0, None)
            if locked_until and datetime.fromisoformat(locked_until) > moment:
                return "locked"
            stored = conn.execute("SELECT phrase_hash FROM participants WHERE code = ? AND storage_consent = 1",
                                  (code,)).fetchone()
            if stored and keys.same(stored[0], given):
                conn.execute("DELETE FROM resume_attempts WHERE code_hash = ?", (code_hash,))
                self._link(conn, device_hash, code, moment.isoformat(timespec="microseconds"))
                return "resumed"
            failures += 1  # after a lock has passed, failures restarted from 0
            lock = (moment + timedelta(seconds=keys.LOCK_SECONDS)).isoformat() if failures >= keys.MAX_FAILURES else None
            conn.execute("""INSERT INTO resume_attempts (code_hash, failures, locked_until) VALUES (?, ?, ?)
                            ON CONFLICT (code_hash) DO UPDATE SET failures = excluded.failures,
                                                                 locked_until = excluded.locked_until""",
                         (code_hash, 0 if lock else failures, lock))
        return "no_match"

    def participant_count(self) -> int:
        """How many participants are stored (for the room's cap)."""
        return self._read("SELECT COUNT(*) FROM participants")[0][0]

    # -- answers -----------------------------------------------------------------------

    def record_answer(self, participant: str, instrument: Instrument | str, item: str, value: Any,
                      timepoint: str = "pre") -> None:
        """Save one answer, replacing an earlier answer to the same item at the same timepoint.

        ``value`` is a number from the item's response scale; None (saved as "skipped");
        one of MISSING_CODES; text for a free-text item (kept as given, never interpreted);
        or a list of option values for a multiple-choice item.
        """
        inst = load_instrument(instrument)
        timepoint = check_timepoint(timepoint)
        number, text, missing = encode_answer(inst, item, value)
        fired = self._pairing_check(inst)
        with self._write(shared=True) as conn:
            code = self._require_storage_consent(conn, participant)
            conn.execute(
                """INSERT INTO answers (participant, instrument, instrument_version, item, timepoint,
                                        value, text, missing, answered_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (participant, instrument, item, timepoint) DO UPDATE SET
                       instrument_version = excluded.instrument_version, value = excluded.value,
                       text = excluded.text, missing = excluded.missing, answered_at = excluded.answered_at""",
                (code, inst.id, inst.version, item, timepoint, number, text, missing, _now()))
            self._hold_pairing(conn, inst, code, timepoint, fired)

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
        return {item_id: decode_answer(inst, item_id, value, text, missing) for item_id, value, text, missing in rows}

    def wide(self, instrument: Instrument | str, timepoint: str | None = None) -> pd.DataFrame:
        """One row per consenting participant and timepoint, one column per scored item (see ``reshape.wide_frame``)."""
        from toolkit.store.reshape import wide_frame  # pandas only when a frame is asked for

        inst = load_instrument(instrument)
        sql = """SELECT a.participant, a.timepoint, a.item, a.value, a.missing
                 FROM answers a JOIN participants p ON p.code = a.participant AND p.storage_consent = 1
                 WHERE a.instrument = ?"""
        params: list[Any] = [inst.id]
        if timepoint is not None:
            sql += " AND a.timepoint = ?"
            params.append(timepoint)
        rows = self._read(sql + " ORDER BY a.id", params)
        order = [tp for (tp,) in self._read(
            "SELECT timepoint FROM answers WHERE instrument = ? GROUP BY timepoint ORDER BY MIN(id)", (inst.id,))]
        long = _pandas().DataFrame.from_records(rows, columns=["participant", "timepoint", "item", "value", "missing"])
        return wide_frame(inst, long, order)

    def scores(self, instrument: Instrument | str, timepoint: str = "pre") -> pd.DataFrame:
        """``toolkit.core.scoring.score`` applied to :meth:`wide` at one timepoint."""
        from toolkit.core.scoring import score  # imported here: the store works without the scoring module
        from toolkit.store.reshape import empty_scores

        inst = load_instrument(instrument)
        wide = self.wide(inst, timepoint)
        return empty_scores(inst) if wide.empty else score(inst, wide)  # empty: nobody has answered yet

    # -- submissions and check-ins -----------------------------------------------------

    def submit(self, participant: str, instrument: Instrument | str, timepoint: str,
               level: str | None = None, rules: Iterable[str] = ()) -> bool:
        """Record that a form was submitted; return whether a check-in flag was recorded.

        A flag (``level`` with the ids of the safety ``rules`` that fired) is recorded only
        if the participant consented to check-ins.
        """
        inst = load_instrument(instrument)
        timepoint, level = check_timepoint(timepoint), check_level(level)
        rule_ids = [rules] if isinstance(rules, str) else [str(r) for r in rules]
        now = _now()
        fired = self._pairing_check(inst)
        with self._write(shared=True) as conn:
            code = self._require_storage_consent(conn, participant)
            conn.execute("""INSERT INTO submissions (participant, instrument, instrument_version, timepoint, submitted_at)
                            VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT (participant, instrument, timepoint) DO UPDATE SET
                                instrument_version = excluded.instrument_version,
                                submitted_at = excluded.submitted_at""",
                         (code, inst.id, inst.version, timepoint, now))
            self._hold_pairing(conn, inst, code, timepoint, fired)
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
        self.log_emptied = self._db.after_erase()
        return removed

    def withdraw_consent(self, participant: str) -> int:
        """Withdrawal of consent: everything about the participant is erased (see :meth:`erase`)."""
        return self.erase(participant)


def open_existing(path: str | os.PathLike[str]) -> ResponseStore:
    """Open a store that must already exist (export, erase): a missing file or workshop is refused, not created."""
    target = as_location(path)
    if not isinstance(target, Path):
        return ResponseStore(target, create=False)
    if not target.is_file():
        raise StoreError(f"{target}: there is no Attune response store here; give the path of the store the "
                         "workshop used (attune serve prints it)")
    return ResponseStore(target)
