"""Fixtures of the browser suite: the real participant server, Debian's Chromium, participants.

The machinery lives in harness.py (bench/server_bench.py uses it too). Screenshots of each
step go to test-artifacts/screenshots/<test name>/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    NOWHERE_PROXY,
    SCREENSHOTS,
    SESSION_01,
    STEP_TIMEOUT_MS,
    AttuneServer,
    Participant,
    workshop_folder,
)


def pytest_configure(config):
    # The suite must stay within 10 minutes; a test that needs more than a minute says so, and why.
    config.addinivalue_line("markers", "over_a_minute: needs more than 60 s on a 2-core machine (its docstring says why)")


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="attune-browser-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def server(workdir):
    """The server most tests share: the fixture sessions, the real session 1, a private dashboard."""
    folder = workshop_folder(workdir / "workshop", session_notebooks=[SESSION_01], all_types=True)
    srv = AttuneServer(notebooks=folder, store=workdir / "workshop.sqlite", pool_size=2).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                      proxy=NOWHERE_PROXY)
        yield chromium
        chromium.close()


def _test_name(request) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)


@pytest.fixture
def participant_factory(browser, request):
    """``make(server, viewport=PHONE)`` -> Participant in a fresh browser context (no cookies)."""
    contexts = []
    made: list[Participant] = []

    def make(srv: AttuneServer, viewport: dict = DESKTOP, *, label: str | None = None, **context_options) -> Participant:
        context = browser.new_context(viewport=viewport, **context_options)
        contexts.append(context)
        folder = SCREENSHOTS / _test_name(request)
        if label:
            folder = folder / label
        person = Participant(context.new_page(), srv, folder)
        made.append(person)
        return person

    yield make
    try:
        for person in made:  # every test also proves the page asked nothing of any other address
            assert person.outside_requests() == [], f"requests to other addresses: {person.outside_requests()}"
            assert person.dialogs == [], f"the page opened dialogs: {person.dialogs}"
    finally:
        for context in contexts:
            for page in context.pages:  # lets Voilà shut the page's kernel down, as a closed tab does
                with contextlib.suppress(Exception):
                    page.close(run_before_unload=True)
            with contextlib.suppress(Exception):
                context.close()


@pytest.fixture
def participant(participant_factory, server):
    return participant_factory(server)


