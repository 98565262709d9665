"""The facilitator's laptop crashes mid-session: nothing saved is lost, and everyone picks up again.

Four participants are half-way through the questionnaire (one on a real phone, three through
Voilà's protocol) when ``attune serve``, Voilà and every kernel are killed with SIGKILL at
once: no shutdown, no chance to flush anything. The store is then read as the crash left
it: every answer that had been acknowledged on a page is there. The server is started again
on the same store, port and token; each participant reloads, enters their code, finds their
consent and answers back, and finishes.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

import pytest
from harness import (
    CLOSENESS,
    ECR_ITEMS,
    PHONE,
    AttuneServer,
    ProtocolParticipant,
    play_room,
    progress_of,
    run_async,
    stored_answers,
    workshop_folder,
)
from playwright.sync_api import expect

from toolkit.apps.processes import running

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_CODE = "sturdy-oak-71"
OTHERS = {"sturdy-elm-72": 2, "sturdy-ash-73": 4, "sturdy-yew-74": 7}  # code: items answered before the crash
PHONE_ANSWERS = {1: "2", 2: "5", 3: "1 – Strongly disagree", 4: "7 – Strongly agree", 5: "3",
                 6: "4", 7: "6", 8: "Prefer not to say", 9: "2"}
PHONE_VALUES = {1: 2, 2: 5, 3: 1, 4: 7, 5: 3, 6: 4, 7: 6, 8: "prefer_not_to_say", 9: 2}


def other_answers(code: str) -> dict[int, int]:
    """Option indexes; each of the three stops after its own number of items."""
    seat = int(code[-2:])
    return {n: (seat + n) % 7 for n in range(1, OTHERS[code] + 1)}


def as_stored(answers: dict[int, int]) -> dict[str, int]:
    return {f"ecr_rs_{n}": index + 1 for n, index in answers.items()}


async def resume(server: AttuneServer, code: str) -> dict:
    """Come back after the crash: new page, same code; returns what the form showed, then finishes."""
    import httpx

    person = ProtocolParticipant(server, code)
    try:
        async with httpx.AsyncClient(timeout=120) as http:
            await person.open(http)
        await person.join()
        restored = {number: person.models[mid].get("index") for number, mid in person.items
                    if person.models[mid].get("index") is not None}
        for number in range(OTHERS[code] + 1, ECR_ITEMS + 1):
            await person.answer(number, 3)
        await person.submit()
        return restored
    finally:
        await person.close()


def test_a_hard_kill_loses_no_saved_answer_and_everyone_continues(workdir, participant_factory):
    srv = AttuneServer(notebooks=workshop_folder(workdir / "fault"), store=workdir / "fault.sqlite", pool_size=1).start()
    try:
        phone = participant_factory(srv, PHONE)
        phone.open(CLOSENESS)
        phone.join(PHONE_CODE)
        for number in range(1, 6):
            phone.answer(number, PHONE_ANSWERS[number], answered_after=number)
        phone.shot("half-way-before-crash")
        _, errors = run_async(play_room, srv, list(OTHERS), arrive_within=2.0, answers=other_answers, submit=False)
        assert errors == {}

        killed = srv.kill_hard()
        assert len(killed) >= 2 + 1 + len(OTHERS)  # the command, Voilà, and a kernel per open page
        assert not [proc for proc in killed if running(proc)]

        # The store exactly as the crash left it (no process of the server is running now).
        with closing(sqlite3.connect(srv.store)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert stored_answers(srv.store, PHONE_CODE) == {f"ecr_rs_{n}": PHONE_VALUES[n] for n in range(1, 6)}
        for code in OTHERS:
            assert stored_answers(srv.store, code) == as_stored(other_answers(code))
        phone.shot("server-gone")

        srv.start()  # the same store, port and token: the link on the projector still works
        phone.reload()
        phone.join(PHONE_CODE, expect_returning=True)
        for number in range(1, 6):
            expect(phone.item(number).get_by_role("radio", name=PHONE_ANSWERS[number], exact=True)).to_be_checked()
        expect(phone.page.get_by_text(re.compile(r"^5 of 9 answered$"))).to_be_visible()
        phone.shot("back-after-restart")
        for number in range(6, ECR_ITEMS + 1):
            phone.answer(number, PHONE_ANSWERS[number], answered_after=number)
        phone.submit()
        phone.shot("feedback-after-restart")
        assert stored_answers(srv.store, PHONE_CODE) == {f"ecr_rs_{n}": v for n, v in PHONE_VALUES.items()}
        # The dashboard counts items with an answer; "prefer not to say" is a choice, not an answer.
        assert progress_of(srv.store, PHONE_CODE) == (ECR_ITEMS - 1, True)

        for code in OTHERS:
            restored = run_async(resume, srv, code)
            assert restored == other_answers(code)  # the form showed their earlier answers again
            expected = as_stored(other_answers(code)) | {f"ecr_rs_{n}": 4 for n in range(OTHERS[code] + 1, ECR_ITEMS + 1)}
            assert stored_answers(srv.store, code) == expected
            assert progress_of(srv.store, code) == (ECR_ITEMS, True)
    finally:
        srv.stop()
