"""The relationship-safety screen in Chromium, with two partners in two browser contexts.

B and A link their codes and both agree to the couple comparison in session 0; A, alone,
answers the screen so that it fires. A sees the partner-safety message and contacts; B's
pages (the join form, session 3's speaker-listener card) read exactly as for someone who
never linked; the facilitator's check-in list says only "pairing not advised" for the pair,
with how A chose to be reached; the export holds nothing of the screen.
"""

from __future__ import annotations

import re

import pytest
from harness import SESSION_NOTEBOOKS, AttuneServer, open_store, workshop_folder

WELCOME = "00_welcome.ipynb"
COMMUNICATION = "03_communication.ipynb"
SCREEN_TITLE = "Before any work with a partner – a private safety check"
LINKED = "Your codes are linked as a couple."
PENDING = "Couple link requested. It is used only when"
SOLO = "Today, practise this one on your own or with another participant"
PAIR = "You and your partner linked your codes"


@pytest.fixture(scope="module")
def screen_server(workdir):
    folder = workshop_folder(workdir / "screen-workshop",
                             session_notebooks=[SESSION_NOTEBOOKS / WELCOME, SESSION_NOTEBOOKS / COMMUNICATION])
    srv = AttuneServer(notebooks=folder, store=workdir / "screen.sqlite", pool_size=1,
                       options=("--locale", "en-GB")).start()
    yield srv
    srv.stop()


def choose(person, partner: str, *, checkin: bool = False, reach: str | None = None) -> None:
    """Link to ``partner`` with the couple-comparison consent (and a check-in choice), then Continue."""
    page = person.page
    if checkin:
        page.get_by_role("checkbox", name=re.compile("^If my answers suggest")).check()
    if reach:
        page.get_by_role("radio", name=re.compile(reach)).check()
    box = page.get_by_label(re.compile("^Optional: my partner's code"))
    box.fill(partner)
    box.press("Enter")
    page.get_by_role("checkbox", name=re.compile("^Couple comparison")).check()
    page.get_by_role("button", name="Continue").click()


def test_the_screen_is_private_to_the_person_and_silent_for_the_partner(participant_factory, screen_server):
    from playwright.sync_api import expect

    from toolkit.store.export import export_frames
    from toolkit.widgets.dashboard import read_frames

    b = participant_factory(screen_server, label="b")
    b.open(WELCOME)
    code_b = b.join()
    a = participant_factory(screen_server, label="a")
    a.open(WELCOME)
    a.page.get_by_role("button", name="Give me a new code").click()
    expect(a.code_box).not_to_have_value("")
    code_a = a.code_box.input_value()
    a.save_box.check()
    choose(a, code_b, checkin=True, reach="^Show my code on my screen")
    expect(a.page.get_by_text(f"You have joined as {code_a}")).to_be_visible()
    choose(b, code_a)
    expect(b.page.get_by_text(LINKED)).to_be_visible()  # linked, both agreed: before the screen

    # A, alone, answers the screen; the rule fires.
    form = a.form(SCREEN_TITLE)
    a.item(1, form).get_by_role("radio", name="Yes", exact=True).check()
    expect(form.get_by_text("1 of 4 answered")).to_be_visible()
    a.submit(form)
    expect(form.get_by_text("In this workshop you will do every exercise on your own")).to_be_visible()
    expect(form.get_by_text("Only you can see this message")).to_be_visible()
    expect(form.get_by_text("If you feel afraid of a partner or are being hurt").first).to_be_visible()
    a.shot("screen-fired")

    # B changes nothing and presses Continue: the link now reads as for a partner who never linked.
    b.page.get_by_role("button", name="Continue").click()
    expect(b.page.get_by_text(PENDING)).to_be_visible()
    expect(b.page.get_by_text(LINKED)).to_have_count(0)
    status = b.page.locator("div[role='status']", has_text=f"You have joined as {code_b}").inner_text()
    assert PENDING in status and not any(w in status.lower() for w in ("safety", "afraid", "advised", "violence"))
    expect(b.page.get_by_text("Only you can see this message")).to_have_count(0)

    # Session 3: both read the same neutral card, as anyone unlinked does.
    for person in (b, a):
        person.open(COMMUNICATION)
        expect(person.page.get_by_text(SOLO)).to_be_visible()
        expect(person.page.get_by_text(PAIR)).to_have_count(0)
    b.shot("session3-solo")

    # The facilitator: "pairing not advised" for the pair, how to reach A, and nothing else.
    with open_store(screen_server.store) as store:
        frames = read_frames(store)
        assert frames["partner_of"][code_a] is None and frames["partner_of"][code_b] is None
        from toolkit.core.checkins import checkin_list

        row = checkin_list(frames["checkins"], frames["participants"]).set_index("code").loc[code_a]
        assert row["pairing_not_advised"] and row["partner"] == code_b and row["reach"] == "screen"
        assert row["forms"] == [] and row["rules"] == []
        assert "relationship_safety" not in set(export_frames(store)["answers"]["instrument"])
