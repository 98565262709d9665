"""What a participant's browser can and cannot reach on the facilitator's laptop.

* Without the workshop token nothing of the workshop is served: no session, no kernel.
* The facilitator's dashboard, the facilitator notes and the notebooks' code are not reachable
  from the participant app, whatever address is typed.
* Whatever a participant types (``<img src=x onerror=alert(1)>``) is shown back as text,
  never run, on every page where it appears.
* A page makes no request to any address other than the server (every test checks this too,
  in the ``participant_factory`` fixture; here the whole path is walked on purpose).
* The kernel's websocket takes widget messages only: a page cannot run code in its kernel.
* Voilà's kernels run the project's own Python (the venv's ``python3`` kernelspec).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from harness import CLOSENESS, FREE_TEXT, PAGE_TIMEOUT_MS, PHONE, RECOGNIZING, open_store, run_async, stored_answers
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]

PAYLOAD = "<img src=x onerror=alert(1)>"
SESSIONS = [RECOGNIZING, CLOSENESS, FREE_TEXT]


def kernel_id_of(person) -> str:
    config = person.page.locator("#jupyter-config-data").text_content()
    return json.loads(config)["kernelId"]


def test_a_request_without_the_token_is_refused(participant_factory, server):
    person = participant_factory(server, PHONE)
    for url in (server.base + "/", server.page_url(CLOSENESS, token=False),
                f"{server.page_url(CLOSENESS, token=False)}?token=not-the-token"):
        response = person.page.goto(url)
        assert urlsplit(person.page.url).path == "/login", url  # sent away from the workshop
        assert response.status == 403
        expect(person.page.get_by_role("heading", name="Use the workshop link")).to_be_visible()
        expect(person.page.get_by_text("Join the workshop")).to_have_count(0)
        expect(person.page.get_by_role("button", name="Continue")).to_have_count(0)
    person.shot("no-token")
    kernels_before = len(server.kernels())

    # With a kernel that exists (another participant's page), its websocket is still closed to us.
    insider = participant_factory(server, PHONE, label="insider")
    insider.open(CLOSENESS)
    kernel = kernel_id_of(insider)
    outcome = person.page.evaluate(
        """url => new Promise(done => {
               const ws = new WebSocket(url);
               ws.onopen = () => { done("open"); ws.close(); };
               ws.onerror = () => done("refused");
               setTimeout(() => done("timeout"), 15000);
           })""",
        f"ws://127.0.0.1:{server.port}/api/kernels/{kernel}/channels?session_id={uuid.uuid4().hex}")
    assert outcome == "refused"
    status = person.page.request.get(f"{server.base}/api/kernels/{kernel}", max_redirects=0).status
    assert status in (302, 403, 404)
    assert len(server.kernels()) <= kernels_before + 1  # only the insider's page started a kernel


def test_dashboard_notes_and_code_are_not_reachable(participant_factory, server):
    person = participant_factory(server, PHONE)
    person.open_link()
    sessions = [a.get_attribute("href") for a in person.page.get_by_role("link").all()]
    assert sorted(Path(urlsplit(h).path).name for h in sessions) == sorted([RECOGNIZING, CLOSENESS, FREE_TEXT,
                                                                           "12_all_item_types.ipynb"])
    person.shot("session-list")

    # The dashboard sits in the facilitator's notebooks folder, but only session copies are served.
    for path in ("/voila/render/facilitator_dashboard.ipynb", "/voila/files/facilitator_dashboard.ipynb",
                 "/voila/api/contents/facilitator_dashboard.ipynb", "/voila/tree/facilitator_dashboard.ipynb",
                 "/voila/render/..%2Ffacilitator_dashboard.ipynb", "/voila/render/../workshop.sqlite",
                 f"/voila/files/{CLOSENESS}", "/lab", "/tree", "/api/contents", "/api/kernels",
                 f"/notebooks/{CLOSENESS}", f"/files/{CLOSENESS}", "/voila/api/shutdown/x"):
        response = person.page.request.get(server.base + path, max_redirects=0)
        body = response.text()
        assert response.status in (403, 404, 405), f"{path}: {response.status}"
        assert "FACILITATOR-DASHBOARD" not in body and "Facilitator notes" not in body
    listing = person.page.request.get(f"{server.base}/voila/api/contents/").json()
    assert "facilitator_dashboard.ipynb" not in {item["name"] for item in listing["content"]}
    model = person.page.request.get(f"{server.base}/voila/api/contents/{CLOSENESS}").json()
    assert model["content"] is None  # the contents API never hands out a notebook's cells

    for notebook in SESSIONS:
        person.open(notebook)  # a page's budget, not a step's: its kernel may still be running the notebook
        page_html = person.page.content()
        assert "Facilitator notes" not in page_html and "FACILITATOR-NOTE" not in page_html
        assert "from toolkit.widgets.session import Session" not in page_html  # the code is stripped
        assert "session.questionnaire(" not in page_html
        raw = person.page.request.get(server.page_url(notebook), timeout=PAGE_TIMEOUT_MS).text()
        assert "Facilitator notes" not in raw and "session.questionnaire(" not in raw
    person.shot("session-1-without-notes")


def assert_no_markup_ran(person) -> None:
    """The payload became no element anywhere on the page, and no script of it ran."""
    assert person.page.locator("img[src='x'], b:text-is('bold')").count() == 0
    assert "<img src=x" not in person.page.content().replace("&lt;img src=x", "")
    assert person.dialogs == []


def test_participant_free_text_shows_as_text_everywhere(participant_factory, server):
    person = participant_factory(server, PHONE)
    person.open(FREE_TEXT)
    code = "brave-lynx-31"

    # Typed where a code goes (one's own, a partner's): refused with a fixed message, never echoed.
    continue_button = person.page.get_by_role("button", name="Continue")
    partner_box = person.page.get_by_label(re.compile("^Optional: my partner's code"))
    person.code_box.fill(PAYLOAD)
    continue_button.click()
    expect(person.page.get_by_role("alert")).to_have_text(re.compile("^That code does not look right"))
    person.code_box.fill(code)
    partner_box.fill(PAYLOAD)
    person.save_box.check()
    continue_button.click()
    expect(person.page.get_by_role("alert")).to_have_text(re.compile("^That code does not look right"))
    assert_no_markup_ran(person)
    partner_box.fill("")
    person.join(code)

    # Typed into both free-text answers, then submitted.
    own_words = person.page.get_by_role("textbox", name=re.compile("^3\\. Other feeling words"))
    picked = person.page.get_by_role("textbox", name=re.compile("^2\\. Feeling words you picked"))
    picked.fill(PAYLOAD)
    picked.blur()
    expect(person.page.get_by_text("1 of 3 answered")).to_be_visible()
    own_words.fill(f"calm {PAYLOAD} & <b>bold</b>")
    own_words.blur()
    expect(person.page.get_by_text("2 of 3 answered")).to_be_visible()
    person.submit()
    person.shot("submitted")

    # Reloaded and rejoined: the text comes back as the text it was.
    person.reload()
    person.join(code, expect_returning=True)
    expect(picked).to_have_value(PAYLOAD)
    expect(own_words).to_have_value(f"calm {PAYLOAD} & <b>bold</b>")
    person.shot("restored-as-text")
    assert_no_markup_ran(person)

    # Voilà's own error page echoes a path: typed as an address, the payload stays text there too.
    person.page.goto(f"{server.base}/voila/render/{quote(PAYLOAD)}.ipynb")
    person.shot("error-page")

    expect(person.page.get_by_role("heading", name=re.compile("404"))).to_be_visible()
    assert_no_markup_ran(person)
    assert stored_answers(server.store, code, "emotion_checkin", "pre") == {
        "words": PAYLOAD, "own_words": f"calm {PAYLOAD} & <b>bold</b>"}  # kept exactly as typed


def test_the_page_makes_no_request_to_any_other_address(participant_factory, server):
    person = participant_factory(server, PHONE)
    sockets: list[str] = []
    person.page.on("websocket", lambda ws: sockets.append(ws.url))
    person.open_link()
    person.page.get_by_role("link", name=re.compile("Closeness")).click()
    person.wait_until_usable()
    person.join("gentle-wren-41")
    for number in range(1, 10):
        person.answer(number, "4", answered_after=number)
    person.submit()
    person.page.wait_for_load_state("networkidle")
    person.page.goto(f"{server.base}/voila/render/missing.ipynb")  # an error page too
    person.page.goto(f"{server.base}/login")  # and the login form

    assert len(person.requests) > 20  # the pages, scripts, styles and kernel calls were all seen
    hosts = {urlsplit(url).netloc for url in person.requests + sockets if not url.startswith(("data:", "blob:"))}
    assert hosts == {f"127.0.0.1:{server.port}"}
    assert sockets and all(url.startswith(f"ws://127.0.0.1:{server.port}/") for url in sockets)


def test_a_page_cannot_run_code_in_its_kernel(server):
    """The kernel websocket carries widget (comm) messages only; an execute request goes nowhere."""
    import httpx
    import websockets

    async def attempt() -> list[dict]:
        async with httpx.AsyncClient(timeout=120) as http:
            page = (await http.get(server.page_url(CLOSENESS))).text
        kernel = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">\s*(\{.*?\})\s*</script>',
                                      page, re.S).group(1))["kernelId"]
        session = uuid.uuid4().hex
        url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel}/channels?session_id={session}&token={server.token}"
        seen = []
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({
                "header": {"msg_id": uuid.uuid4().hex, "username": "x", "session": session, "msg_type": "execute_request",
                           "version": "5.3", "date": "2026-01-01T00:00:00.000000Z"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": "import os; print('RAN', os.environ.get('ATTUNE_STORE'))", "silent": False,
                            "store_history": False, "user_expressions": {}, "allow_stdin": False}}))
            with pytest.raises(asyncio.TimeoutError):
                while True:
                    seen.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=5)))
        return seen

    messages = run_async(attempt)
    assert not any(m.get("msg_type") in ("execute_reply", "execute_input", "stream") for m in messages)
    assert "RAN" not in json.dumps(messages)


def test_kernels_run_the_projects_python(participant_factory, server):
    person = participant_factory(server)
    person.open(CLOSENESS)
    kernels = server.kernels()
    assert kernels
    venv_python = Path(sys.executable)
    for kernel in kernels:
        assert Path(kernel.cmdline()[0]) == venv_python, kernel.cmdline()
    listing = subprocess.run([str(venv_python.parent / "jupyter"), "kernelspec", "list", "--json"],
                             capture_output=True, text=True, check=True)
    specs = json.loads(listing.stdout)["kernelspecs"]
    assert Path(specs["python3"]["resource_dir"]).is_relative_to(Path(sys.prefix))
    with open_store(server.store):
        pass  # the store the kernels write is the one the server was given (they read ATTUNE_STORE)
