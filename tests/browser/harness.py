"""The browser suite's machinery: the real participant server, Debian's Chromium, a room of phones.

conftest.py's fixtures and bench/server_bench.py are built from these pieces.

* ``AttuneServer`` runs ``attune serve`` (the real command, so the real Voilà flags, template
  and notebook preparation) on 127.0.0.1 with a free port, a token and a temporary store.
* ``browser`` is Playwright driving /usr/bin/chromium headless (never a downloaded browser),
  with a proxy that goes nowhere for every address but loopback: nothing can leave the
  machine even if a page tried, and every request is recorded so tests can prove none did.
* ``Participant`` is one person on one page: open a session, join, answer, submit, screenshot.
* ``ProtocolParticipant`` is one person without a browser: it loads the page over HTTP and
  then speaks Voilà's kernel websocket (Jupyter messages carrying ipywidgets comm messages),
  exactly what the page's JavaScript does when a participant taps. The load test plays a
  room of them; ``bench/server_bench.py`` imports this module for the same machinery.

Screenshots go to test-artifacts/screenshots/<test name>/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from toolkit.apps.processes import kill_all, running, stop_with_parent

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURE_NOTEBOOKS = HERE / "notebooks"
SESSION_NOTEBOOKS = REPO / "notebooks"
SESSION_01 = SESSION_NOTEBOOKS / "01_recognizing.ipynb"
ALL_TYPES_YAML = REPO / "tests" / "fixtures" / "all_item_types.yaml"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
SERVER_LOGS = REPO / "test-artifacts" / "server-logs"  # each server's log (with Voilà's), kept after the run

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Anything not on loopback goes to a proxy port where nothing listens, so it fails on this machine.
NOWHERE_PROXY = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1,localhost"}
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

# Generous: the machine has 2 cores and may be busy; every wait is on a widget's state, never a sleep.
PAGE_TIMEOUT_MS = 180_000  # a page on a busy 2-core machine, all kernels of the server starting at once
STEP_TIMEOUT_MS = 30_000

ECR_ITEMS = 9
CLOSENESS = "10_closeness.ipynb"
FREE_TEXT = "11_free_text.ipynb"
ALL_TYPES = "12_all_item_types.ipynb"
RECOGNIZING = "01_recognizing.ipynb"


# -- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def all_item_types_notebook(target: Path) -> Path:
    """A session-shaped notebook with one item of every type (the widget tests' fixture instrument)."""
    nb = json.loads((FIXTURE_NOTEBOOKS / FREE_TEXT).read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "# Browser test · Every item type\n\nOne item of each kind the forms offer."
    nb["cells"][-1]["source"] = f"session.questionnaire({str(ALL_TYPES_YAML)!r}, timepoint=\"pre\")"
    path = target / ALL_TYPES
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def workshop_folder(target: Path, *, session_notebooks: list[Path] = (), all_types: bool = False) -> Path:
    """A notebooks folder as a facilitator has one: sessions, plus a dashboard that must stay private."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(FIXTURE_NOTEBOOKS.glob("*.ipynb")):
        shutil.copy(path, target / path.name)
    for path in session_notebooks:
        shutil.copy(path, target / path.name)
    if all_types:
        all_item_types_notebook(target)
    return target


@dataclass
class AttuneServer:
    """``attune serve`` in a process of its own, on loopback, until ``stop`` (or ``kill_hard``)."""

    notebooks: Path
    store: Path
    pool_size: int = 1
    options: tuple[str, ...] = ()  # more `attune serve` options, e.g. ("--locale", "en-GB")
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def link(self) -> str:
        """What the QR code holds: the session list, with the workshop token."""
        return f"{self.base}/?token={self.token}"

    def page_url(self, notebook: str, *, token: bool = True) -> str:
        url = f"{self.base}/voila/render/{notebook}"
        return f"{url}?token={self.token}" if token else url

    def start(self, timeout: float = 90.0) -> AttuneServer:
        self.log_path = self.log_path or self.store.with_suffix(f".serve-{self.port}.log")
        log = open(self.log_path, "a", encoding="utf-8")
        seen = self.log_path.stat().st_size  # a restart appends to the same log: look at what comes now
        command = [sys.executable, "-m", "toolkit.apps.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--store", str(self.store), "--token", self.token, "--notebooks", str(self.notebooks),
                   "--pool-size", str(self.pool_size), "--no-browser", *self.options]
        env = dict(os.environ, PYTHONUNBUFFERED="1", ATTUNE_SERVE_ECHO="1")  # Voilà's log in ours
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO,
                                        start_new_session=True, preexec_fn=stop_with_parent)  # SIGTERM if this run dies
        log.close()
        self.started_at = time.monotonic()
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"attune serve exited ({self.process.returncode}):\n{self.log()}")
            if b"Participants join at" in self.log_path.read_bytes()[seen:]:
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"attune serve did not come up within {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path else ""

    def processes(self):
        """The command, Voilà and its kernels (psutil objects) that still run; zombies left out."""
        import psutil

        if self.process is None or self.process.poll() is not None:
            return []
        try:
            root = psutil.Process(self.process.pid)
            return [p for p in [root, *root.children(recursive=True)] if running(p)]
        except psutil.Error:
            return []

    def voila(self):
        return next((p for p in self.processes() if "voila" in _cmdline(p)), None)

    def kernels(self):
        return [p for p in self.processes() if "ipykernel_launcher" in _cmdline(p)]

    def stop(self, timeout: float = 30.0) -> None:
        """Stop as a facilitator does (SIGTERM: the command shuts Voilà and every kernel down), then
        SIGKILL whatever is left, wait for it, and keep the log. Works whatever signals the test
        run ignores: SIGTERM is never ignored by ``attune serve``."""
        if self.process is not None and self.process.poll() is None:
            everyone = self.processes()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
            kill_all(everyone)
        self.keep_log()

    def kill_hard(self) -> list:
        """SIGKILL the command, Voilà and every kernel at once (a crash, a pulled plug).

        Returns the processes killed (psutil objects), all ended when this returns.
        """
        everyone = self.processes()
        for proc in everyone:
            with contextlib.suppress(Exception):
                proc.kill()
        if self.process is not None:
            self.process.wait(timeout=30)
        kill_all(everyone)
        return everyone

    def keep_log(self) -> None:
        """A copy of the server's log in test-artifacts/server-logs/, for whoever reads a failure."""
        if self.log_path and self.log_path.exists():
            SERVER_LOGS.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.log_path, SERVER_LOGS / self.log_path.name)


def _cmdline(proc) -> str:
    """A process's command line; empty once it has ended (a zombie has none to read)."""
    import psutil

    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def open_store(path: Path):
    from toolkit.store.responses import ResponseStore

    return ResponseStore(path)


def issue(store_path: Path, code: str) -> str:
    """A test's chosen code made real, with a recovery phrase to type (as a participant who joined elsewhere).

    Typed codes open only with their phrase, so a test that wants a code of its own choosing
    resumes it. Returns the phrase as a participant reads it.
    """
    from toolkit.core.resume import new_phrase, show_phrase

    kept = new_phrase()
    with open_store(store_path) as store:
        if store.participant(code) is None:
            store.register(code, storage_consent=True)
        store.set_phrase(code, kept)
    return show_phrase(kept, "en")


def stored_answers(store_path: Path, code: str, instrument: str = "ecr_rs", timepoint: str = "pre") -> dict:
    with open_store(store_path) as store:
        return store.saved_answers(code, instrument, timepoint)


def progress_of(store_path: Path, code: str, instrument: str = "ecr_rs", timepoint: str = "pre") -> tuple[int, bool]:
    """(items answered, submitted) for one code: the figures the facilitator's dashboard counts."""
    with open_store(store_path) as store:
        table = store.progress(instrument, timepoint)
    row = table[table["participant"] == code]
    return (0, False) if row.empty else (int(row["answered"].iloc[0]), bool(row["submitted"].iloc[0]))


# -- the browser -----------------------------------------------------------------------------

class Participant:
    """One participant's page. Every method waits on what the page shows, never on a clock."""

    def __init__(self, page, server: AttuneServer, shots: Path):
        self.page = page
        self.server = server
        self.shots = shots
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self._step = 0
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("dialog", self._dialog)
        page.set_default_timeout(STEP_TIMEOUT_MS)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    # -- pages --

    def open_link(self) -> None:
        """Open the link from the QR code: the list of sessions."""
        self.page.goto(self.server.link)
        self.page.get_by_role("heading", name="Workshop sessions").wait_for()

    def open(self, notebook: str, *, token: bool = True) -> None:
        self.page.goto(self.server.page_url(notebook, token=token), timeout=PAGE_TIMEOUT_MS)
        self.wait_until_usable()

    def wait_until_usable(self) -> None:
        """The page is usable when the join form's Continue button is live (the kernel is connected)."""
        try:
            self.page.get_by_role("button", name="Continue").wait_for(timeout=PAGE_TIMEOUT_MS)
        except Exception:
            with contextlib.suppress(Exception):  # evidence for whoever reads the failure
                self.shot("not-usable")
            raise

    def reload(self) -> None:
        self.page.reload(timeout=PAGE_TIMEOUT_MS)
        self.wait_until_usable()

    # -- joining --

    @property
    def code_box(self):
        return self.page.get_by_label("I already have a code")

    @property
    def save_box(self):
        return self.page.get_by_role("checkbox", name=re.compile("^Save my answers"))

    @property
    def phrase_box(self):
        return self.page.get_by_label(re.compile("^My recovery phrase"))

    def join(self, code: str | None = None, *, save: bool = True, expect_returning: bool = False,
             phrase: str | None = None) -> str:
        """Join: with a new code (``code=None``), the test's own ``code`` (issued, then resumed with
        its phrase), or, ``expect_returning``, as the participant this browser already is. Returns the code."""
        from playwright.sync_api import expect

        if expect_returning:  # the browser's device key brings the participant back by itself
            expect(self.page.get_by_text(f"Welcome back, {code}")).to_be_visible()
            expect(self.save_box).to_be_checked()
        elif code is None:
            self.page.get_by_role("button", name="Give me a new code").click()
            expect(self.code_box).not_to_have_value("")
            code = self.code_box.input_value()
            if save:
                self.save_box.check()
        else:
            self.code_box.fill(code)
            self.phrase_box.fill(phrase or issue(self.server.store, code))
            self.phrase_box.press("Enter")  # a change event: the kernel now sees the phrase
            self.page.get_by_role("button", name="Continue").click()
            expect(self.page.get_by_text(f"Welcome back, {code}")).to_be_visible()
            return code
        self.page.get_by_role("button", name="Continue").click()
        expect(self.page.get_by_text(f"You have joined as {code}")).to_be_visible()
        return code

    # -- answering --

    def form(self, title: str):
        """The questionnaire whose heading is ``title`` (a page may hold several)."""
        return self.page.locator(".attune", has=self.page.get_by_role("heading", name=title, exact=True))

    def item(self, number: int, within=None):
        """Item ``number``'s options: a radio group named by its question."""
        return (within or self.page).get_by_role("radiogroup", name=re.compile(rf"^{number}\. "))

    def answer(self, number: int, option: str, *, answered_after: int | None = None, total: int = ECR_ITEMS,
               within=None) -> None:
        from playwright.sync_api import expect

        self.item(number, within).get_by_role("radio", name=option, exact=True).check()
        if answered_after is not None:  # the kernel saved it, then updated the count
            expect((within or self.page).get_by_text(f"{answered_after} of {total} answered")).to_be_visible()

    def submit(self, within=None) -> None:
        from playwright.sync_api import expect

        scope = within or self.page
        scope.get_by_role("button", name="See my results").click()
        # Scoring and the chart load pandas and plotly in the kernel: seconds on a busy machine.
        expect(scope.get_by_role("heading", name=re.compile("^Your results"))).to_be_visible(timeout=PAGE_TIMEOUT_MS)

    # -- evidence --

    def shot(self, name: str) -> Path:
        """A full-page screenshot, numbered in the order taken."""
        self._step += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self._step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def outside_requests(self) -> list[str]:
        server = urlsplit(self.server.base).netloc
        return [url for url in self.requests
                if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).netloc != server]


# -- accessibility --------------------------------------------------------------------------

BLOCKING = {"serious", "critical"}
AXE_RESULTS = REPO / "test-artifacts" / "axe"




def settle(person) -> None:
    """Wait until the widgets stop appearing (the page has drawn everything the kernel sent)."""
    person.page.wait_for_function(
        """() => new Promise(done => {
               let last = -1, quiet = 0;
               const tick = () => {
                   const now = document.querySelectorAll('.jupyter-widgets, .widget-radio, .js-plotly-plot').length;
                   quiet = now === last ? quiet + 1 : 0; last = now;
                   if (quiet >= 5) { done(true); } else { setTimeout(tick, 100); }
               };
               tick();
           })""", timeout=60_000)


def axe_check(person, label: str) -> None:
    """Run axe on the page as it is now; fail on any serious or critical violation."""
    settle(person)
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(person.page).response
    AXE_RESULTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{person.shots.name}-{label}")
    (AXE_RESULTS / f"{name}.json").write_text(json.dumps(results["violations"], indent=1), encoding="utf-8")
    blocking = [f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
                for v in results["violations"] if v["impact"] in BLOCKING]
    person.shot(label)
    assert blocking == [], f"{label}: " + "\n".join(blocking)


# -- a participant without a browser: Voilà's protocol -------------------------------------

def run_async(make_coroutine, *args, **kwargs):
    """Run ``make_coroutine(*args, **kwargs)`` to completion in a thread of its own.

    Playwright's sync API keeps an event loop in the main thread, so asyncio work (the
    protocol participants) gets a thread and a loop of its own. Exceptions come back here.
    """
    import threading

    outcome: dict = {}

    def main():
        try:
            outcome["value"] = asyncio.run(make_coroutine(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=main, name="protocol-participants")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class Background:
    """``run_async`` without waiting: start now, ``result()`` later (a room plays while a browser looks)."""

    def __init__(self, make_coroutine, *args, **kwargs):
        import threading

        self._outcome: dict = {}
        self._thread = threading.Thread(target=self._main, args=(make_coroutine, args, kwargs), daemon=True)
        self._thread.start()

    def _main(self, make_coroutine, args, kwargs):
        try:
            self._outcome["value"] = asyncio.run(make_coroutine(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001
            self._outcome["error"] = exc

    def result(self, timeout: float | None = None):
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("the background room did not finish in time")
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["value"]


class ProtocolError(AssertionError):
    pass


def _text(value) -> str:
    return value if isinstance(value, str) else ""


class ProtocolParticipant:
    """Loads a session page over HTTP, then answers through the kernel websocket as the page would.

    Widgets are found by what a participant reads (their descriptions), so the client follows
    the form rather than knowing its internals. ``timings`` records, in seconds:
    ``first_byte`` (request to the page's first bytes), ``page`` (to complete HTML), ``usable`` (to every widget's state fetched),
    ``answer_stored`` (one per item: sending the answer to the kernel confirming the new count,
    which it sends only after the answer is committed to the store) and ``feedback``.
    """

    def __init__(self, server: AttuneServer, code: str, notebook: str = CLOSENESS):
        self.server = server
        self.code = code
        self.notebook = notebook
        self.timings: dict = {"answer_stored": []}
        self.session = uuid.uuid4().hex
        self.device = uuid.uuid4().hex + uuid.uuid4().hex  # this client's own device cookie, never shared
        self.ws = None
        self.models: dict[str, dict] = {}  # model id -> state
        self.kernel_id: str | None = None
        self._control = uuid.uuid4().hex
        self._updates: asyncio.Queue | None = None
        self._reader: asyncio.Task | None = None

    # -- messages --

    def _message(self, msg_type: str, content: dict, metadata: dict | None = None) -> str:
        header = {"msg_id": uuid.uuid4().hex, "username": "participant", "session": self.session,
                  "msg_type": msg_type, "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())}
        return json.dumps({"header": header, "parent_header": {}, "metadata": metadata or {}, "content": content,
                           "channel": "shell", "buffers": []})

    async def _send_comm(self, comm_id: str, data: dict) -> None:
        await self.ws.send(self._message("comm_msg", {"comm_id": comm_id, "data": data}, {"version": "2.1.0"}))

    async def _read(self) -> None:
        async for raw in self.ws:
            if isinstance(raw, bytes):
                continue  # binary frames carry buffers; these forms send none
            msg = json.loads(raw)
            kind = msg.get("msg_type", msg.get("header", {}).get("msg_type"))
            if kind == "comm_open":  # a widget made after the page (the busy note, the feedback's)
                state = msg["content"].get("data", {}).get("state", {})
                self.models.setdefault(msg["content"]["comm_id"], {}).update(state)
                continue
            if kind != "comm_msg":
                continue
            data = msg["content"].get("data", {})
            method = data.get("method")
            if method == "update_states":
                for model_id, model in data["states"].items():
                    self.models[model_id] = dict(model["state"], _model_name=model["model_name"])
                await self._updates.put(("states", None))
            elif method in ("update", "echo_update"):
                comm_id = msg["content"]["comm_id"]
                self.models.setdefault(comm_id, {}).update(data.get("state", {}))
                await self._updates.put((comm_id, data.get("state", {})))

    async def _until(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError(f"{self.code}: timed out waiting for {what}")
            try:
                await asyncio.wait_for(self._updates.get(), timeout=left)
            except TimeoutError:
                continue
            if self._reader.done():
                self._reader.result()  # the connection closed: say why
                raise ProtocolError(f"{self.code}: the kernel connection closed while waiting for {what}")

    # -- finding widgets by what a participant reads --

    def _find(self, model_name: str, description=None, value=None) -> str:
        for model_id, state in self.models.items():
            if state.get("_model_name") != model_name:
                continue
            if description is not None and not re.search(description, state.get("description") or ""):
                continue
            if value is not None and not re.search(value, _text(state.get("value"))):
                continue
            return model_id
        raise ProtocolError(f"{self.code}: no {model_name} {description or value!r} on the page")

    def _html_with(self, text: str) -> str:
        return self._find("HTMLModel", value=re.escape(text))

    # -- the path --

    async def open(self, http, timeout: float = 120.0) -> None:
        started = time.monotonic()
        chunks = []
        async with http.stream("GET", self.server.page_url(self.notebook), timeout=timeout,
                               headers={"Cookie": f"attune_device={self.device}"}) as response:
            async for chunk in response.aiter_text():
                self.timings.setdefault("first_byte", time.monotonic() - started)  # Voilà has picked a kernel
                chunks.append(chunk)
        page = "".join(chunks)
        self.timings["page"] = time.monotonic() - started
        if response.status_code != 200:
            raise ProtocolError(f"{self.code}: the page answered {response.status_code}")
        config = re.search(r'<script id="jupyter-config-data" type="application/json">\s*(\{.*?\})\s*</script>',
                           page, re.S)
        if not config or "application/vnd.jupyter.widget-view+json" not in page:
            tail = re.sub(r"\s+", " ", page[-1500:])
            raise ProtocolError(f"{self.code}: the page has no kernel or no widgets ({len(page)} characters, "
                                f"ending {tail!r})")
        self.kernel_id = json.loads(html.unescape(config.group(1)))["kernelId"]

        import websockets

        url = (f"ws://127.0.0.1:{self.server.port}/api/kernels/{self.kernel_id}/channels"
               f"?session_id={self.session}&token={self.server.token}")
        self.ws = await websockets.connect(url, max_size=None, open_timeout=timeout, ping_interval=None)
        self._updates = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        await self.ws.send(self._message("comm_open", {"comm_id": self._control, "target_name": "jupyter.widget.control",
                                                       "data": {}}, {"version": "1.0.0"}))
        await self._send_comm(self._control, {"method": "request_states"})
        await self._until(lambda: any(s.get("_model_name") == "RadioButtonsModel" for s in self.models.values()),
                          timeout, "the widgets' state")
        self.timings["usable"] = time.monotonic() - started
        self.items = sorted(((int(re.match(r"(\d+)\.", s["description"]).group(1)), mid)
                             for mid, s in self.models.items()
                             if s.get("_model_name") == "RadioButtonsModel" and re.match(r"\d+\.", s.get("description") or "")))
        # The form's own count ("0 of 9 answered"), not any text that happens to say "answered".
        self.progress_id = self._find("HTMLModel", value=r"role='status'>\d+ of \d+ answered<")

    async def join(self, timeout: float = 60.0) -> None:
        code_box = self._find("TextModel", description="^I already have a code")
        save_box = self._find("CheckboxModel", description="^Save my answers")
        phrase_box = self._find("TextModel", description="^My recovery phrase")
        phrase = issue(self.server.store, self.code)  # the test's code, resumed with its phrase
        await self._send_comm(code_box, {"method": "update", "state": {"value": self.code}, "buffer_paths": []})
        await self._send_comm(phrase_box, {"method": "update", "state": {"value": phrase}, "buffer_paths": []})
        await self._send_comm(save_box, {"method": "update", "state": {"value": True}, "buffer_paths": []})
        await self._send_comm(self._find("ButtonModel", description="^Continue$"),
                              {"method": "custom", "content": {"event": "click"}})
        joined = f"Welcome back, {self.code}"
        await self._until(lambda: any(joined in _text(s.get("value")) for s in self.models.values()), timeout,
                          "the join to be confirmed")

    async def answer(self, number: int, option_index: int, timeout: float = 60.0) -> None:
        model_id = dict(self.items)[number]
        before = self.models[self.progress_id].get("value")
        answered = sum(1 for _, mid in self.items if self.models[mid].get("index") is not None)
        target = f"{answered + 1} of {len(self.items)} answered"
        started = time.monotonic()
        self.models[model_id]["index"] = option_index
        await self._send_comm(model_id, {"method": "update", "state": {"index": option_index}, "buffer_paths": []})
        await self._until(lambda: target in _text(self.models[self.progress_id].get("value")), timeout,
                          f"item {number} to be saved (count was {before!r})")
        self.timings["answer_stored"].append(time.monotonic() - started)

    async def submit(self, timeout: float = 180.0) -> None:
        results = [mid for mid, s in self.models.items() if s.get("_model_name") == "VBoxModel" and not s.get("children")]
        started = time.monotonic()
        await self._send_comm(self._find("ButtonModel", description="^See my results$"),
                              {"method": "custom", "content": {"event": "click"}})

        def shown(busy: bool) -> bool:  # the results' children: "Working out your results…", then the feedback
            for mid in results:
                children = [c.removeprefix("IPY_MODEL_") for c in self.models[mid].get("children") or ()]
                working = any("aria-busy='true'" in _text(self.models.get(c, {}).get("value")) for c in children)
                if children and working == busy:
                    return True
            return False

        with contextlib.suppress(ProtocolError):  # a fast kernel may send the feedback before we look
            await self._until(lambda: shown(True) or shown(False), timeout, "the busy state")
            self.timings["busy"] = time.monotonic() - started
        await self._until(lambda: shown(False), timeout, "the feedback")
        self.timings["feedback"] = time.monotonic() - started

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()


async def play_room(server: AttuneServer, codes: list[str], *, arrive_within: float, answers, notebook: str = CLOSENESS,
                    timeout: float = 240.0, submit=True):
    """Participants arrive evenly over ``arrive_within`` seconds; each joins, answers, and maybe submits.

    ``answers(code)`` gives {item number: option index}; ``submit`` is True, False, or a
    predicate on the code. Returns (participants, errors by code).
    """
    import httpx

    people = [ProtocolParticipant(server, code, notebook) for code in codes]
    errors: dict[str, str] = {}
    gap = arrive_within / max(len(people) - 1, 1)

    async def one(index: int, person: ProtocolParticipant, http) -> None:
        await asyncio.sleep(index * gap)
        person.timings["arrived"] = time.monotonic()
        try:
            await person.open(http)
            await person.join()
            for number, option in sorted(answers(person.code).items()):
                await person.answer(number, option)
            if submit(person.code) if callable(submit) else submit:
                await person.submit()
            person.timings["done"] = time.monotonic() - person.timings["arrived"]
        except Exception as exc:  # noqa: BLE001 - every failure is reported with its participant
            errors[person.code] = f"{type(exc).__name__}: {exc}"
        finally:
            await person.close()

    limits = httpx.Limits(max_connections=len(people) + 4)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:
        await asyncio.wait_for(asyncio.gather(*(one(i, p, http) for i, p in enumerate(people))), timeout)
    return people, errors
