"""Fixtures shared by the unit tests: a store, a participant who joined it with consent, PostgreSQL.

Browser fixtures (a served workshop, Chromium, participants on phones) live in
tests/browser/conftest.py; writing a file with one mistake is tests/badfile.py.
"""

from __future__ import annotations

import pytest

#: The code most tests join with; any valid pseudonym would do.
CODE = "amber-fox-42"


@pytest.fixture
def store(tmp_path):
    """An empty SQLite response store in a temporary folder, closed after the test."""
    from toolkit.store import ResponseStore

    with ResponseStore(tmp_path / "workshop.sqlite") as opened:
        yield opened


@pytest.fixture
def joined(store):
    """The join form of a participant (``CODE``) who agreed to have their answers saved, no check-in."""
    from toolkit.widgets import JoinForm

    form = JoinForm(store)
    form.join(CODE, storage_consent=True, checkin_consent=False)
    return form


#: Facilitators' database roles in the test PostgreSQL (members of attune_facilitator).
FACILITATORS = {"alice": "alice-pw-1", "bob": "bob-pw-2"}
TEMPLATE = "attune_template"


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL on loopback (one per test process), with the Attune tables in a template
    database (``TEMPLATE``) and two facilitators' roles; ``postgres.create_database(template=TEMPLATE)``
    gives a test its own database in a few milliseconds."""
    from tests.postgres import PostgresServer
    from toolkit.store import postgres as pg_store

    with PostgresServer() as server:
        server.create_database(TEMPLATE)
        pg_store.setup(server.url(database=TEMPLATE))
        for name, password in FACILITATORS.items():
            pg_store.add_facilitator(server.url(database=TEMPLATE), name, password)
        yield server
