"""A full room against the real server on loopback: 40 participants arrive within 30 seconds.

Each one opens the session page over HTTP, connects to its kernel's websocket as the page's
JavaScript does, joins with a code and consent and answers the nine ECR-RS items; every fifth
also submits and waits for the feedback (``harness.ProtocolParticipant``). While the room arrives, one real phone (Chromium at
360 x 740) goes through the same path, so the page is shown to work under load, not only
the protocol. The test asserts that everyone got a working page and that every answer is in
the store exactly once, with the value that was given. Bounded: 40 + 1 participants, and
the room must be done within ``TIME_LIMIT`` seconds.

Over a minute (about 75 s on a 2-core machine, the longest test of the suite): 40 kernels
start, and a room of people arriving is what it measures, so it cannot be made smaller.
"""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
import time
from contextlib import closing

import pytest
from harness import (
    CLOSENESS,
    ECR_ITEMS,
    PHONE,
    REPO,
    AttuneServer,
    Background,
    ProtocolParticipant,
    play_room,
    progress_of,
    run_async,
    stored_answers,
    workshop_folder,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.over_a_minute]

ROOM = 40
ARRIVE_WITHIN = 30.0  # seconds from the first to the last arrival
TIME_LIMIT = 300.0  # for the whole room, arrivals included
PHONE_CODE = "room-phone-41"


def submits(code: str) -> bool:
    """Every fifth seat also asks for feedback (scoring loads pandas and plotly: seconds of CPU each)."""
    return int(code[-2:]) % 5 == 0


def seat_answers(code: str) -> dict[int, int]:
    """Each seat's answers (option index 0..6 is ECR-RS value 1..7), different from seat to seat."""
    seat = int(code[-2:])
    return {number: (seat * 3 + number) % 7 for number in range(1, ECR_ITEMS + 1)}


def ecr_label(index: int) -> str:
    return {0: "1 – Strongly disagree", 6: "7 – Strongly agree"}.get(index, str(index + 1))


READY_WITHIN = 300.0  # seconds for a server to warm a room of 40 pages on a busy 2-core machine


def wait_for_ready(server: AttuneServer, ready: int, of: int, timeout: float = READY_WITHIN) -> None:
    """Wait for the terminal's "ready for N of M" line, as a facilitator waits before showing the code."""
    deadline = time.monotonic() + timeout
    while f"ready for {ready} of {of} " not in server.log():
        assert time.monotonic() < deadline, f"never 'ready for {ready} of {of}':\n{server.log()[-3000:]}"
        assert server.process.poll() is None, server.log()[-3000:]
        time.sleep(0.5)


def ready_counts(server: AttuneServer) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"^Warm pages for \S+: ready for (\d+) of (\d+) ", server.log(), re.M)]


@pytest.fixture(scope="module")
def room_server(workdir):
    """Today's session (10, the ECR-RS) warm for a room of 40; one warm page for every other session."""
    folder = workshop_folder(workdir / "room")
    srv = AttuneServer(notebooks=folder, store=workdir / "room.sqlite", pool_size=1,
                       options=("--room", str(ROOM), "--session", "10")).start()
    try:
        wait_for_ready(srv, ROOM, ROOM)
        yield srv
    finally:
        srv.stop()


def test_a_full_room_answers_and_every_answer_is_stored_once(room_server, participant_factory):
    codes = [f"room-seat-{seat:02d}" for seat in range(1, ROOM + 1)]
    room = Background(play_room, room_server, codes, arrive_within=ARRIVE_WITHIN, answers=seat_answers,
                      timeout=TIME_LIMIT, submit=submits)

    phone = participant_factory(room_server, PHONE)  # arrives with the room
    phone.open(CLOSENESS)
    phone.shot("opened-during-arrivals")
    phone.join(PHONE_CODE)
    for number, option in seat_answers(PHONE_CODE).items():
        phone.answer(number, ecr_label(option), answered_after=number)
    phone.submit()
    phone.shot("feedback-under-load")

    people, errors = room.result(timeout=TIME_LIMIT + 60)
    assert errors == {}, errors
    arrivals = [p.timings["arrived"] for p in people]
    assert max(arrivals) - min(arrivals) <= ARRIVE_WITHIN + 1.0
    for person in people:  # a working page: complete HTML with its widgets, a live kernel, every step confirmed
        assert {"page", "usable", "done"} <= person.timings.keys(), person.code
        assert ("feedback" in person.timings) == submits(person.code)
        assert len(person.timings["answer_stored"]) == ECR_ITEMS

    # Every answer exactly once, with the value given (ECR-RS values are option index + 1).
    with closing(sqlite3.connect(room_server.store)) as db:
        rows = db.execute("SELECT participant, item, value, COUNT(*) FROM answers WHERE instrument = 'ecr_rs' "
                          "GROUP BY participant, item").fetchall()
        submitted = {code for (code,) in db.execute("SELECT participant FROM submissions WHERE instrument = 'ecr_rs'")}
    assert all(count == 1 for *_, count in rows)
    stored = {}
    for code, item, value, _ in rows:
        stored.setdefault(code, {})[item] = value
    expected = {code: {f"ecr_rs_{n}": float(i + 1) for n, i in seat_answers(code).items()} for code in codes}
    expected[PHONE_CODE] = {f"ecr_rs_{n}": float(i + 1) for n, i in seat_answers(PHONE_CODE).items()}
    assert stored == expected
    assert submitted == {code for code in codes if submits(code)} | {PHONE_CODE}
    assert progress_of(room_server.store, codes[-1]) == (ECR_ITEMS, True)  # seat 40 submitted
    assert progress_of(room_server.store, codes[0]) == (ECR_ITEMS, False)
    assert stored_answers(room_server.store, PHONE_CODE) == {k: int(v) for k, v in expected[PHONE_CODE].items()}

    # For a person reading the run: how long things took (bench/server_bench.py measures properly).
    def summary(values):
        values = sorted(values)
        return {"median": round(statistics.median(values), 3), "p95": round(values[int(0.95 * (len(values) - 1))], 3),
                "max": round(values[-1], 3)}

    report = {"participants": ROOM + 1, "arrive_within_s": ARRIVE_WITHIN,
              "page_s": summary([p.timings["page"] for p in people]),
              "usable_s": summary([p.timings["usable"] for p in people]),
              "answer_stored_s": summary([t for p in people for t in p.timings["answer_stored"]]),
              "feedback_s": summary([p.timings["feedback"] for p in people if "feedback" in p.timings]),
              "whole_path_s": summary([p.timings["done"] for p in people])}
    out = REPO / "test-artifacts" / "load.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report, indent=1))


def test_the_warm_pool_refills_after_its_pages_are_taken(workdir):
    """A room of 3: once three pages are taken the next participant still gets one, and the
    terminal's ready count went down and came back up."""
    folder = workshop_folder(workdir / "refill")
    srv = AttuneServer(notebooks=folder, store=workdir / "refill.sqlite", pool_size=1,
                       options=("--room", "3", "--session", "10")).start()
    try:
        wait_for_ready(srv, 3, 3, timeout=180)

        async def arrive(count):
            import httpx

            people = [ProtocolParticipant(srv, f"refill-seat-{i:02d}") for i in range(1, count + 1)]
            async with httpx.AsyncClient(timeout=180) as http:
                for person in people:  # one after the other: the fourth comes after the pool's three are taken
                    await person.open(http, timeout=180)
                for person in people:
                    await person.close()
            return people

        people = run_async(arrive, 4)
        assert all("usable" in p.timings for p in people)
        assert len({p.kernel_id for p in people}) == 4  # a kernel of its own each
        deadline = time.monotonic() + 120
        while True:
            counts = ready_counts(srv)
            full = counts.index((3, 3))
            after = counts[full + 1:]
            if after and after[-1][0] == after[-1][1] and after[-1][0] >= 1 and any(r == 0 for r, _ in after):
                break
            assert time.monotonic() < deadline, f"the pool did not refill: {counts}"
            time.sleep(0.5)
        lowest = min(range(len(after)), key=lambda i: after[i][0])
        assert after[lowest][0] < 3 and any(r == t >= 1 for r, t in after[lowest + 1:]), counts
    finally:
        srv.stop()
