"""What every store holds, whatever its back end: the version of its tables and their shared facts.

The tables themselves are written once per back end (``sqlite.py``, ``postgres.py``), step by
step: version 1 (participants, answers, submissions, check-ins, couple requests), version 2
(devices and recovery phrases), version 3 (couple-comparison consent, how to be reached, pairing
holds). A store is brought up to ``SCHEMA_VERSION`` when it is opened.
"""

from __future__ import annotations

from datetime import UTC, datetime

from toolkit.instruments import MISSING_CODES

SCHEMA_VERSION = 3
STORE_KEY = "attune_store"

MISSING_SQL = ", ".join(f"'{code}'" for code in MISSING_CODES)

#: Every table that holds rows about a participant, with the columns that can name one
#: (erasure deletes from each, in this order).
PARTICIPANT_COLUMNS = {
    "checkins": ("participant",),
    "pairing_holds": ("code",),
    "submissions": ("participant",),
    "answers": ("participant",),
    "couple_requests": ("code", "partner"),
    "devices": ("code",),
    "participants": ("code",),
}

ANSWER_COLUMNS = ["participant", "instrument", "instrument_version", "timepoint", "item",
                  "value", "text", "missing", "answered_at"]
PARTICIPANT_FIELDS = ["code", "storage_consent", "storage_consent_at", "checkin_consent",
                      "checkin_consent_at", "created_at", "couple_consent", "couple_consent_at", "checkin_reach"]


def now() -> str:
    """The current UTC time, ISO 8601: every time the store keeps."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
