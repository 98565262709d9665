"""Fixtures shared by the unit tests: a store, and a participant who joined it with consent.

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
