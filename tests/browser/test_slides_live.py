"""``attune present`` shows a session as jupyterlab-rise slides with live widgets, no code, notes kept aside.

The real command runs in a process of its own (JupyterLab on loopback, the session's code run
first), Chromium opens the slides it prints, and a participant-facing widget on a slide is used:
its buttons reach the kernel and the kernel's answer appears on the slide. Screenshots go to
test-artifacts/screenshots/test_present_session_as_live_slides/.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time

from harness import SCREENSHOTS, SESSION_01, STEP_TIMEOUT_MS

from toolkit.apps.processes import descendants, kill_all, stop_with_parent

SHOTS = SCREENSHOTS / "test_present_session_as_live_slides"
START_TIMEOUT = 90.0


def _start_present(tmp_path) -> tuple[subprocess.Popen, str, object]:
    log = open(tmp_path / "present.log", "w+", encoding="utf-8")  # noqa: SIM115 - read back below
    command = [sys.executable, "-m", "toolkit.apps.cli", "present", str(SESSION_01),
               "--store", str(tmp_path / "store.sqlite"), "--no-browser"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"), preexec_fn=stop_with_parent)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = (tmp_path / "present.log").read_text(encoding="utf-8")
        found = re.search(r"^\s+(http://127\.0\.0\.1:\d+/rise/\S+)$", text, flags=re.M)
        if found:
            return process, found.group(1), log
        assert process.poll() is None, f"attune present exited ({process.returncode}):\n{text}"
        time.sleep(0.2)
    _stop(process)
    raise AssertionError(f"attune present printed no slides address within {START_TIMEOUT:.0f} s:\n{text}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the command's group (it stops JupyterLab and the kernel), wait, SIGKILL what is left."""
    everyone = descendants(process.pid)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    kill_all(everyone)


def _visible_code_inputs(page) -> list[str]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.reveal .jp-CodeCell .jp-InputArea'))
        .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
        .map(e => e.innerText.slice(0, 60))""")


def test_present_session_as_live_slides(browser, tmp_path):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    process, url, log = _start_present(tmp_path)
    base = url.split("/rise/")[0]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:", "blob:")) else None)
    try:
        page.goto(url, timeout=STEP_TIMEOUT_MS * 3)
        # The first slide: the session's title, no code.
        title = page.locator(".reveal section.present").get_by_role("heading", name="Session 1 · Recognising a lasting pattern")
        expect(title).to_be_visible(timeout=STEP_TIMEOUT_MS * 3)
        page.wait_for_selector(".reveal .jupyter-widgets", state="attached", timeout=STEP_TIMEOUT_MS)
        page.screenshot(path=SHOTS / "1-title.png")
        assert _visible_code_inputs(page) == []

        # Next: the join form, live (not its text form "JoinForm(children=...").
        page.keyboard.press("Space")
        join = page.get_by_role("button", name="Give me a new code")
        expect(join).to_be_visible()
        expect(page.locator(".reveal section.present").get_by_role("heading", name=re.compile("^Session 1"))).to_have_count(0)
        page.screenshot(path=SHOTS / "2-join-slide.png")
        assert page.locator(".reveal").get_by_text("JoinForm(children=").count() == 0
        assert page.locator(".reveal").get_by_text("NameError").count() == 0
        assert _visible_code_inputs(page) == []

        # Using it: the code comes from the kernel, the box's tick is the widget's state, and
        # Continue makes the kernel answer on the slide.
        code_box = page.get_by_label("I already have a code")
        expect(code_box).to_have_value("")
        join.click()
        expect(code_box).not_to_have_value("")
        code = code_box.input_value()
        save = page.get_by_role("checkbox", name=re.compile("^Save my answers"))
        expect(save).not_to_be_checked()
        save.check()
        expect(save).to_be_checked()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text(f"You have joined as {code}")).to_be_visible()
        page.screenshot(path=SHOTS / "3-joined.png")

        # Facilitator notes are speaker notes: in the deck, never on a projected slide.
        notes = page.locator(".reveal aside.notes")
        assert notes.count() >= 1
        assert "Facilitator notes" in " ".join(notes.all_text_contents())
        for _ in range(12):  # walk the deck: no slide shows them, nor any code
            page.keyboard.press("Space")
            page.wait_for_timeout(400)
            shown = page.locator(".reveal .slides").inner_text()  # rendered text only
            assert shown.strip(), "a slide shows nothing"
            assert "Facilitator notes" not in shown
            assert _visible_code_inputs(page) == []
        page.screenshot(path=SHOTS / "4-later-slide.png")
        assert outside == [], f"the slides asked other addresses: {outside}"
    finally:
        with contextlib.suppress(Exception):
            context.close()
        _stop(process)
        log.close()
    assert process.returncode is not None
