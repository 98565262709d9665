"""axe-core, in the browser, on every page a participant sees: no serious or critical violation.

Pages are checked as a participant meets them (opened, joined, answered, with feedback and
private support showing), on a desktop and on a 360 x 740 phone; the session list, the error
and login pages too; and every session notebook in notebooks/ as it is today. The
questionnaire path of test_participant_path.py (session list, the ECR-RS page, session 1 with
its support panel) runs the same check at every step, so it is not repeated here. Where ipywidgets
falls short (a question not naming its options, icon-only buttons) the participant template
and our CSS fill the gap; no axe rule is switched off. The full axe results are written to
test-artifacts/axe/ for a person to read (moderate and minor findings included).
"""

from __future__ import annotations

import re
import shutil

import pytest
from harness import (
    ALL_TYPES,
    CLOSENESS,
    DESKTOP,
    FREE_TEXT,
    PHONE,
    SESSION_NOTEBOOKS,
    AttuneServer,
    axe_check,
    stored_answers,
)
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]

VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone_360x740"])
REAL_SESSIONS = sorted(p.name for p in SESSION_NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@VIEWPORTS
def test_free_text_page(participant_factory, server, viewport):
    person = participant_factory(server, viewport)
    person.open(FREE_TEXT)
    axe_check(person, "opened")
    person.join("steady-oak-53" if viewport is DESKTOP else "steady-oak-54")
    person.page.get_by_role("group", name=re.compile("^1\\. Families")).get_by_role("checkbox", name="Joy").check()
    expect(person.page.get_by_text("1 of 3 answered")).to_be_visible()
    person.page.get_by_role("textbox", name=re.compile("^3\\. ")).fill("tired, hopeful")
    person.page.get_by_role("textbox", name=re.compile("^3\\. ")).blur()
    expect(person.page.get_by_text("2 of 3 answered")).to_be_visible()
    person.submit()
    axe_check(person, "feedback")


@VIEWPORTS
def test_every_item_type_and_the_private_support_panel(participant_factory, server, viewport):
    """One item of every type the forms offer; a slider at 10 fires the fixture's check-in rule."""
    person = participant_factory(server, viewport)
    person.open(ALL_TYPES)
    axe_check(person, "opened")
    person.join("steady-ash-55" if viewport is DESKTOP else "steady-ash-56")
    person.answer(1, "4")
    person.answer(4, "Yes")
    slider = person.page.get_by_role("slider", name=re.compile("^6\\. Stress today"))
    slider.focus()
    slider.press("End")
    expect(person.page.get_by_text(re.compile(r"^\d of 7 answered"))).to_have_text("3 of 7 answered")
    axe_check(person, "answered")
    person.submit()
    expect(person.page.locator(".attune-private")).to_be_visible()  # private support, for this person only
    axe_check(person, "private-support")


def test_error_and_login_pages(participant_factory, server):
    person = participant_factory(server, PHONE)
    person.page.goto(server.base + "/")  # no token: Jupyter's login form
    axe_check(person, "login")
    person.page.goto(server.link)
    person.page.goto(f"{server.base}/voila/render/no-such-session.ipynb")
    axe_check(person, "not-found")


def test_options_can_be_chosen_with_the_keyboard(participant_factory, server):
    """A question's options are one group: Tab reaches it once, arrow keys move the answer."""
    person = participant_factory(server, PHONE)
    person.open(CLOSENESS)
    person.join("steady-fir-59")
    first = person.item(1).get_by_role("radio", name="1 – Strongly disagree", exact=True)
    first.focus()
    person.page.keyboard.press("Space")
    expect(person.page.get_by_text("1 of 9 answered")).to_be_visible()
    person.page.keyboard.press("ArrowDown")
    expect(person.item(1).get_by_role("radio", name="2", exact=True)).to_be_checked()
    person.page.keyboard.press("Tab")  # leaves the group: the next stop is not option 3 of the same item
    assert person.page.evaluate("document.activeElement.closest('[role=radiogroup]')?.getAttribute('aria-labelledby')") != \
        person.item(1).get_attribute("aria-labelledby")
    expect(person.page.get_by_text("1 of 9 answered")).to_be_visible()
    assert stored_answers(person.server.store, "steady-fir-59") == {"ecr_rs_1": 2}


# -- every session notebook in notebooks/, as the facilitator would serve it -------------------

@pytest.fixture(scope="module")
def sessions_server(workdir):
    folder = workdir / "all-sessions"
    folder.mkdir(exist_ok=True)
    for name in REAL_SESSIONS:
        shutil.copy(SESSION_NOTEBOOKS / name, folder / name)
    srv = AttuneServer(notebooks=folder, store=workdir / "all-sessions.sqlite", pool_size=0).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("notebook", REAL_SESSIONS)
def test_session_notebook_as_written(participant_factory, sessions_server, notebook):
    person = participant_factory(sessions_server, PHONE)
    person.open(notebook)
    axe_check(person, "opened")
    person.join(f"steady-bay-{REAL_SESSIONS.index(notebook) + 60:02d}")
    axe_check(person, "joined")
