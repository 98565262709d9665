"""A code opens nothing, tried as people would: in Chromium, and over the page's kernel websocket.

Participant A joins on a phone and answers; B, in another browser, types A's code and gets
nothing; A's reload and A's second device (code + phrase) get everything back; wrong phrases
lock resuming; a script typing codes into the join form learns nothing and is slowed down.
The same on a Spanish session page.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from harness import (
    CLOSENESS,
    PHONE,
    SESSION_NOTEBOOKS,
    AttuneServer,
    ProtocolParticipant,
    _text,
    run_async,
    stored_answers,
    workshop_folder,
)

SPANISH = SESSION_NOTEBOOKS / "es" / "01_reconocer.ipynb"
WRONG = "acorn anchor apple arch 123"
UNKNOWN = "quiet-owl-17"


@pytest.fixture(scope="module")
def resume_server(workdir):
    folder = workshop_folder(workdir / "resume-workshop", session_notebooks=[SPANISH])
    srv = AttuneServer(notebooks=folder, store=workdir / "resume.sqlite", pool_size=1).start()
    yield srv
    srv.stop()


def phrase_on(person) -> str:
    text = person.page.locator(".attune-phrase").inner_text()
    return re.search(r"(?:recovery phrase|frase de recuperación): ([a-z ]+ \d+)", text).group(1)


def press_continue(person, code: str, phrase: str = "") -> None:
    """Type a code (and phrase) and press Continue; with a phrase, wait until the kernel took it off the page."""
    from playwright.sync_api import expect

    person.code_box.fill(code)
    person.phrase_box.fill(phrase)
    person.phrase_box.press("Enter")
    person.page.get_by_role("button", name="Continue").click()
    if phrase:
        expect(person.phrase_box).to_have_value("")


def test_a_code_alone_opens_nothing_the_owner_and_the_phrase_do(participant_factory, resume_server):
    from playwright.sync_api import expect

    a = participant_factory(resume_server, PHONE, label="a")
    a.open(CLOSENESS)
    code = a.join()
    expect(a.page.get_by_text("Write this down or take a photo now")).to_be_visible()
    phrase = phrase_on(a)
    a.answer(1, "1 – Strongly disagree", answered_after=1)
    a.answer(2, "3", answered_after=2)
    assert stored_answers(resume_server.store, code) == {"ecr_rs_1": 1, "ecr_rs_2": 3}

    # B, on another device, knows A's code.
    b = participant_factory(resume_server, label="b")
    b.open(CLOSENESS)
    press_continue(b, code)
    expect(b.page.get_by_text("also type the recovery phrase")).to_be_visible()
    expect(b.page.get_by_text("Welcome back")).to_have_count(0)
    expect(b.save_box).not_to_be_checked()
    expect(b.page.get_by_text("0 of 9 answered")).to_be_visible()
    expect(b.item(1).get_by_role("radio", checked=True)).to_have_count(0)
    expect(b.page.get_by_role("button", name="Erase everything about my code")).to_be_hidden()
    b.save_box.check()
    b.page.get_by_role("button", name="Continue").click()  # nothing to change, link or erase of A's
    expect(b.page.get_by_text("also type the recovery phrase")).to_be_visible()
    assert stored_answers(resume_server.store, code) == {"ecr_rs_1": 1, "ecr_rs_2": 3}

    # A's reload: recognised by the browser's own key, nothing typed.
    a.reload()
    expect(a.page.get_by_text(f"Welcome back, {code}")).to_be_visible()
    expect(a.item(1).get_by_role("radio", name="1 – Strongly disagree", exact=True)).to_be_checked()
    expect(a.page.get_by_text("2 of 9 answered")).to_be_visible()
    expect(a.page.locator(".attune-phrase")).to_have_count(0)  # the phrase was shown once

    # A on a new device: code and phrase.
    a2 = participant_factory(resume_server, label="a2")
    a2.open(CLOSENESS)
    a2.join(code, phrase=phrase)
    expect(a2.item(2).get_by_role("radio", name="3", exact=True)).to_be_checked()
    a2.reload()  # that device now remembers A too
    expect(a2.page.get_by_text(f"Welcome back, {code}")).to_be_visible()

    # Six wrong tries on yet another device: the sixth, even with the right phrase, is refused.
    c = participant_factory(resume_server, label="c")
    c.open(CLOSENESS)
    for _ in range(5):
        press_continue(c, code, WRONG)
        expect(c.page.get_by_text("do not go together")).to_be_visible()
    press_continue(c, code, phrase)
    expect(c.page.get_by_text("paused for 15 minutes")).to_be_visible()
    expect(c.page.get_by_text("0 of 9 answered")).to_be_visible()
    a.reload()  # the owner's own device is not locked out
    expect(a.page.get_by_text(f"Welcome back, {code}")).to_be_visible()


def test_on_a_spanish_session_page_too(participant_factory, resume_server):
    from playwright.sync_api import expect

    a = participant_factory(resume_server, PHONE, label="a")
    a.page.goto(resume_server.page_url(SPANISH.name), timeout=180_000)
    a.page.get_by_role("button", name="Continuar").wait_for(timeout=180_000)
    a.page.get_by_role("button", name="Dame un código nuevo").click()
    code_box = a.page.get_by_label("Ya tengo un código")
    expect(code_box).not_to_have_value("")
    code = code_box.input_value()
    a.page.get_by_role("checkbox", name=re.compile("^Guardar mis respuestas")).check()
    a.page.get_by_role("button", name="Continuar").click()
    expect(a.page.get_by_text("Apúntalo o hazle una foto ahora")).to_be_visible()
    phrase = phrase_on(a)

    b = participant_factory(resume_server, label="b")
    b.page.goto(resume_server.page_url(SPANISH.name), timeout=180_000)
    b.page.get_by_role("button", name="Continuar").wait_for(timeout=180_000)
    b.page.get_by_label("Ya tengo un código").fill(code)
    b.page.get_by_role("button", name="Continuar").click()
    expect(b.page.get_by_text("escribe también la frase de recuperación")).to_be_visible()
    expect(b.page.get_by_text("Hola de nuevo")).to_have_count(0)
    phrase_box = b.page.get_by_label(re.compile("^Mi frase de recuperación"))
    phrase_box.fill(phrase)
    phrase_box.press("Enter")
    b.page.get_by_role("button", name="Continuar").click()
    expect(b.page.get_by_text(f"Hola de nuevo, {code}")).to_be_visible()

    a.page.reload(timeout=180_000)
    expect(a.page.get_by_text(f"Hola de nuevo, {code}")).to_be_visible()


# -- a script on the page's kernel websocket ------------------------------------------------------

async def _probe(server: AttuneServer, attempts: list[tuple[str, str]]) -> list[str]:
    """Open a page as a script would and, for each (code, phrase), type them and press Continue.

    Returns the status the page showed after each press, and checks that typing alone
    answered nothing.
    """
    import httpx

    person = ProtocolParticipant(server, "probe")
    answers = []
    async with httpx.AsyncClient(timeout=180) as http:
        await person.open(http)
        code_box = person._find("TextModel", description="^I already have a code")
        phrase_box = person._find("TextModel", description="^My recovery phrase")
        button = person._find("ButtonModel", description="^Continue$")
        try:
            for code, phrase in attempts:
                for typed in (code[:-1], code[:-2] + "99", code):  # a script trying codes as fast as it can
                    await person._send_comm(code_box, {"method": "update", "state": {"value": typed},
                                                       "buffer_paths": []})
                await person._send_comm(phrase_box, {"method": "update", "state": {"value": phrase},
                                                     "buffer_paths": []})
                await person._send_comm(button, {"method": "custom", "content": {"event": "click"}})
                while True:  # the kernel answers in order: anything before the status is typing's
                    comm_id, state = await asyncio.wait_for(person._updates.get(), 60)
                    value = _text((state or {}).get("value"))
                    assert "Welcome back" not in value and " answered" not in value, value
                    if "role=" in value:
                        answers.append(re.sub(r"\b[a-z]+-[a-z]+-\d\d\b", "CODE", value))
                        break
            assert all(person.models[mid].get("index") is None for _, mid in person.items)
        finally:
            await person.close()
    return answers


def test_a_script_typing_codes_learns_nothing_and_is_slowed(participant_factory, resume_server):
    from playwright.sync_api import expect

    a = participant_factory(resume_server, label="a")
    a.open(CLOSENESS)
    code = a.join()
    a.answer(1, "1 – Strongly disagree", answered_after=1)
    expect(a.page.get_by_text("Write this down")).to_be_visible()

    attempts = [(code, ""), (UNKNOWN, ""), (code, WRONG), (UNKNOWN, WRONG)] * 2 + [(code, WRONG), (UNKNOWN, "")]
    answers = run_async(_probe, resume_server, attempts)
    assert answers[0] == answers[1] and answers[2] == answers[3]  # a real code reads like a code nobody has
    assert answers[:8] == answers[0:4] * 2
    assert all("wait a minute" in text for text in answers[8:])  # the page's budget is spent
    assert all("wait a minute" not in text for text in answers[:8])
    assert stored_answers(resume_server.store, code) == {"ecr_rs_1": 1}
