"""A participant's whole path in a real browser, against the real server, on a desktop and a phone.

Open the link from the QR code, pick the session, join with a code and consent, answer half
of a questionnaire, reload (a phone locks, a tab is closed by mistake) and find the answers
again, finish, submit and read the feedback. Along the way the store holds exactly what was
answered and the facilitator's dashboard figures (answered items, submitted) move.
"""

from __future__ import annotations

import re

import pytest
from harness import DESKTOP, ECR_ITEMS, PHONE, axe_check, progress_of, stored_answers
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]

# ECR-RS options are shown as "1 – Strongly disagree", "2" ... "6", "7 – Strongly agree".
ECR_LABELS = {1: "1 – Strongly disagree", 7: "7 – Strongly agree"}
ECR_ANSWERS = {1: 2, 2: 3, 3: 1, 4: 7, 5: 5, 6: 4, 7: 6, 8: 2, 9: 3}


def ecr_label(value: int) -> str:
    return ECR_LABELS.get(value, str(value))


def assert_fits(person, viewport: dict) -> None:
    """Nothing is cut off or needs sideways scrolling at this width."""
    width = person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page is {width} px wide on a {viewport['width']} px screen"
    for locator in (person.page.get_by_role("button", name="See my results"), person.item(9)):
        box = locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone_360x740"])
def test_join_answer_reload_submit_feedback(participant_factory, server, viewport):
    person = participant_factory(server, viewport)
    code = "amber-fox-11" if viewport is DESKTOP else "amber-owl-12"

    person.open_link()
    axe_check(person, "session-list")
    person.page.get_by_role("link", name=re.compile("Closeness")).click()
    person.wait_until_usable()
    axe_check(person, "opened")
    assert progress_of(server.store, code) == (0, False)

    person.join(code)
    axe_check(person, "joined")
    for number in range(1, 6):
        person.answer(number, ecr_label(ECR_ANSWERS[number]), answered_after=number)
    axe_check(person, "half-way")
    assert stored_answers(server.store, code) == {f"ecr_rs_{n}": ECR_ANSWERS[n] for n in range(1, 6)}
    assert progress_of(server.store, code) == (5, False)  # the dashboard's count moved

    person.reload()  # the browser's own device key brings the participant back without typing
    person.join(code, expect_returning=True)
    for number in range(1, 6):  # the answers came back, each on its option
        expect(person.item(number).get_by_role("radio", name=ecr_label(ECR_ANSWERS[number]), exact=True)).to_be_checked()
    expect(person.page.get_by_text(f"5 of {ECR_ITEMS} answered")).to_be_visible()
    axe_check(person, "after-reload-answers-back")

    for number in range(6, ECR_ITEMS + 1):
        person.answer(number, ecr_label(ECR_ANSWERS[number]), answered_after=number)
    if viewport is PHONE:
        assert_fits(person, viewport)
    person.submit()
    feedback = person.page.locator(".attune-feedback")
    expect(feedback.first).to_contain_text("Attachment avoidance")
    expect(feedback.nth(1)).to_contain_text("Attachment anxiety")
    # The participant's point on the plane, drawn by plotly from the local extension.
    expect(person.page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
    expect(person.page.get_by_text("not a diagnosis")).to_be_visible()
    axe_check(person, "feedback")

    assert stored_answers(server.store, code) == {f"ecr_rs_{n}": v for n, v in ECR_ANSWERS.items()}
    assert progress_of(server.store, code) == (ECR_ITEMS, True)


def test_session_1_as_written_join_checklist_and_who5(participant_factory, server):
    """The real session 1 notebook: two questionnaires on one page, each saving and giving feedback."""
    person = participant_factory(server, PHONE)
    code = "quiet-heron-21"
    person.open_link()
    person.page.get_by_role("link", name=re.compile("Recognizing")).click()
    person.wait_until_usable()
    expect(person.page.get_by_role("heading", name=re.compile("Recognising a lasting pattern"))).to_be_visible()
    axe_check(person, "opened")
    person.join(code)

    checklist = person.form("Signs of persistent emotional distance – a reflection checklist")
    person.answer(1, "Yes", within=checklist, answered_after=1, total=7)
    person.answer(2, "Prefer not to say", within=checklist)

    who5 = person.form("WHO-5 Well-Being Index")
    for number, label in enumerate(["0 – At no time", "1 – Some of the time", "0 – At no time", "0 – At no time",
                                    "1 – Some of the time"], start=1):  # WHO-5 shows each option's number
        person.answer(number, label, within=who5, answered_after=number, total=5)
    person.submit(within=who5)
    expect(who5.locator(".attune-feedback").first).to_contain_text("Well-being")
    # A very low score: support contacts and a check-in offer, shown to this participant alone.
    expect(who5.locator(".attune-private")).to_be_visible()
    expect(who5.get_by_role("button", name=re.compile("check-in", re.I))).to_be_visible()
    axe_check(person, "who5-feedback-and-support")

    assert stored_answers(server.store, code, "who5", "pre") == {"who5_1": 0, "who5_2": 1, "who5_3": 0,
                                                                 "who5_4": 0, "who5_5": 1}
    assert stored_answers(server.store, code, "eu_signs", "session1") == {"avoids_closeness": 1,
                                                                           "avoids_feelings_talk": "prefer_not_to_say"}
    assert progress_of(server.store, code, "who5", "pre") == (5, True)
