"""Attune for an organisation: a real JupyterHub, configurable-http-proxy and PostgreSQL on loopback.

deploy/jupyterhub/jupyterhub_config.py as an organisation would run it (dummy logins instead
of OAuth, servers as this user instead of each facilitator's): a facilitator signs in and
starts a workshop from the hub's home page; a participant opens the link the home page shows,
through the proxy, joins and answers in Chromium; the answer is a row in PostgreSQL, the
facilitator's dashboard (in their own JupyterLab, as their own database role) counts them,
and a second facilitator, in his own JupyterLab, sees none of it.

Everything started here (PostgreSQL, the hub, and through it the proxy, the culler, the
servers and their kernels) is stopped by process id at the end, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from harness import FIXTURE_NOTEBOOKS, SCREENSHOTS, SERVER_LOGS, Participant, free_port, run_async

from tests.postgres import PostgresServer, postgres_bin
from toolkit.apps.processes import kill_all, running

REPO = Path(__file__).resolve().parents[2]

CONFIG = REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py"
PROXY = REPO / ".ci" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
PASSWORD = "workshop-day"
CLOSENESS = "10_closeness.ipynb"
HUB_START_S = 60
SPAWN_MS = 150_000  # a workshop server warms its page before the hub calls it ready

pytestmark = [pytest.mark.browser, pytest.mark.over_a_minute]


class Hub:
    """``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`` on free loopback ports."""

    def __init__(self, state: Path, db_admin_url: str, notebooks: Path):
        self.state = state
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("ATTUNE_", "JUPYTER"))}
        self.env.update({
            "ATTUNE_HUB_STATE": str(state), "ATTUNE_HUB_DEMO_PASSWORD": PASSWORD,
            "ATTUNE_HUB_BIND_URL": self.base, "ATTUNE_HUB_HUB_BIND_URL": f"http://127.0.0.1:{free_port()}",
            "ATTUNE_HUB_PROXY_API_URL": f"http://127.0.0.1:{free_port()}", "ATTUNE_HUB_PROXY_COMMAND": str(PROXY),
            "ATTUNE_HUB_DB_ADMIN_URL": db_admin_url, "ATTUNE_HUB_NOTEBOOKS": str(notebooks),
            "ATTUNE_HUB_FACILITATORS": "alice,bob", "ATTUNE_HUB_POOL_SIZE": "1", "ATTUNE_HUB_ROOM": "5",
            "ATTUNE_HUB_KERNEL_MEMORY_MB": "900", "ATTUNE_SERVE_ECHO": "1", "ATTUNE_LOCALE": "en-GB",
        })
        self.log_path = SERVER_LOGS / f"hub-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.seen: dict[int, object] = {}  # every process of the hub's tree met so far, by pid

    def start(self) -> Hub:
        SERVER_LOGS.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed below, the child keeps it

        def child():  # SIGINT as JupyterHub expects it (a script may have started us with it ignored)
            signal.signal(signal.SIGINT, signal.SIG_DFL)

        self.process = subprocess.Popen([str(Path(sys.executable).with_name("jupyterhub")), "-f", str(CONFIG)],
                                        cwd=self.state, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True, preexec_fn=child)
        log.close()
        import httpx

        deadline = time.monotonic() + HUB_START_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"JupyterHub exited:\n{self.log()[-3000:]}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/hub/health", timeout=2).status_code == 200:
                    return self
            time.sleep(0.3)
        raise AssertionError(f"JupyterHub did not answer within {HUB_START_S} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def remember(self) -> list:
        """The hub's processes now (proxy, culler, servers, kernels), added to those seen before."""
        import psutil

        if self.process is not None:
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(self.process.pid)
                for proc in [root, *root.children(recursive=True)]:
                    self.seen.setdefault(proc.pid, proc)
        return [p for p in self.seen.values() if running(p)]

    def stop(self) -> list:
        """SIGTERM the hub (it stops its servers, culler and proxy), then SIGKILL anything of its tree
        still running. Returns what had to be killed."""
        self.remember()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        left = [p for p in self.seen.values() if running(p)]
        kill_all(left)
        return left


@pytest.fixture
def organisation():
    """PostgreSQL set up for Attune, the hub in front of it; both gone afterwards."""
    if not PROXY.exists():
        pytest.fail(f"{PROXY} is missing: `make test` installs configurable-http-proxy (make proxy)")
    if postgres_bin() is None:
        pytest.fail("PostgreSQL is not installed: `make test` installs Debian's postgresql package")
    from toolkit.store.postgres import setup

    folder = Path(tempfile.mkdtemp(prefix="attune-hub-"))
    notebooks = folder / "notebooks"
    notebooks.mkdir()
    shutil.copy(FIXTURE_NOTEBOOKS / CLOSENESS, notebooks / CLOSENESS)
    state = folder / "state"
    state.mkdir()
    hub = None
    try:
        with PostgresServer() as pg:
            database = pg.create_database("attune_org")
            setup(pg.url(database=database))
            hub = Hub(state, pg.url(database=database), notebooks).start()
            try:
                yield pg, database, hub
            finally:
                killed = hub.stop()
                assert killed == [], f"still running after the hub stopped: {[p.pid for p in killed]}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- what a facilitator does -------------------------------------------------------------------

def sign_in(page, hub: Hub, name: str) -> None:
    page.goto(f"{hub.base}/hub/login?next=%2Fhub%2Fhome")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Start a workshop").wait_for()


def api_token(page, hub: Hub, name: str) -> str:
    """A token for the facilitator's own API calls, asked for from their signed-in page (as the Token page does)."""
    reply = page.evaluate("""async (name) => {
        const response = await fetch(window.jhdata.base_url + "api/users/" + name + "/tokens", {
            method: "POST", headers: {"X-XSRFToken": window.jhdata.xsrf_token, "Content-Type": "application/json"},
            body: JSON.stringify({note: "hub test", expires_in: 900})});
        return {status: response.status, body: await response.text()};
    }""", name)
    assert reply["status"] == 201, reply
    return json.loads(reply["body"])["token"]


def start_lab(hub: Hub, name: str, token: str) -> None:
    import httpx

    response = httpx.post(f"{hub.base}/hub/api/users/{name}/server", headers={"Authorization": f"token {token}"},
                          timeout=30)
    assert response.status_code in (201, 202), response.text


def wait_for_lab(hub: Hub, name: str, token: str, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = httpx.get(f"{hub.base}/hub/api/users/{name}", headers={"Authorization": f"token {token}"},
                          timeout=10).json()
        if model.get("servers", {}).get("", {}).get("ready"):
            return
        time.sleep(0.5)
    raise AssertionError(f"{name}'s JupyterLab did not start within {timeout:.0f} s:\n{hub.log()[-3000:]}")


def run_in_lab(hub: Hub, name: str, token: str, code: str, timeout: float = 90) -> str:
    """Run ``code`` in a new kernel of the facilitator's JupyterLab, as a notebook cell would; its output."""
    import httpx
    import websockets

    headers = {"Authorization": f"token {token}"}
    api = f"{hub.base}/user/{name}/api/kernels"
    kernel = httpx.post(api, headers=headers, json={"name": "python3"}, timeout=60).json()["id"]

    async def execute() -> str:
        url = f"ws://127.0.0.1:{hub.port}/user/{name}/api/kernels/{kernel}/channels"
        session, msg_id = uuid.uuid4().hex, uuid.uuid4().hex
        out: list[str] = []
        async with websockets.connect(url, additional_headers=headers, max_size=None, open_timeout=60) as ws:
            await ws.send(json.dumps({
                "header": {"msg_id": msg_id, "username": name, "session": session, "msg_type": "execute_request",
                           "version": "5.3", "date": "2026-01-01T00:00:00.000000Z"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                            "allow_stdin": False}}))
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind == "error":
                    out.append(f"ERROR {content['ename']}: {content['evalue']}")
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(out)

    try:
        return run_async(lambda: asyncio.wait_for(execute(), timeout))  # Playwright holds this thread's loop
    finally:
        with contextlib.suppress(Exception):
            httpx.delete(f"{api}/{kernel}", headers=headers, timeout=30)


def dashboard_code(store_line: str) -> str:
    """The dashboard notebook's two cells, with the store line the hub's home page gave the facilitator."""
    return (f"{store_line}\nimport re\nfrom toolkit.widgets.dashboard import open_dashboard\n"
            "dashboard = open_dashboard(store_path=store_path, use_example_data=False)\n"
            "print(re.sub(r'<[^>]+>', ' ', dashboard.attendance_box.value))\n")


class Link:
    """Where the participant's page lives: the hub's address, the workshop's route and token."""

    def __init__(self, base: str, href: str):
        self.base = base
        self.link = base + href
        self.prefix, self.token = re.match(r"^(/user/[^?]+/)\?token=(.+)$", href).groups()

    def page_url(self, notebook: str, *, token: bool = True) -> str:
        return f"{self.base}{self.prefix}voila/render/{notebook}" + (f"?token={self.token}" if token else "")


def test_a_facilitator_runs_a_workshop_through_the_hub_and_only_they_see_it(organisation, browser):
    """Over a minute on two cores: a hub, two JupyterLabs and a workshop server start, each importing
    the whole toolkit, and the participant's page runs its kernel through the proxy."""
    pg, database, hub = organisation
    shots = SCREENSHOTS / "test_hub"
    started = time.monotonic()
    timings = {}

    # Alice signs in and starts a workshop from the hub's home page; her JupyterLab starts meanwhile.
    alice_context = browser.new_context()
    alice = alice_context.new_page()
    alice.set_default_timeout(30_000)
    sign_in(alice, hub, "alice")
    alice_token = api_token(alice, hub, "alice")
    start_lab(hub, "alice", alice_token)
    alice.get_by_label(re.compile("^Name")).fill("Spring")
    alice.get_by_label("People expected (the room)").fill("5")
    alice.get_by_role("button", name="Start the workshop").click()
    link = alice.get_by_role("link", name="Participant link for spring")
    link.wait_for(timeout=SPAWN_MS)
    timings["workshop started"] = time.monotonic() - started
    shots.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(shots / "01-facilitator-home.png"), full_page=True)
    href = link.get_attribute("href")
    store_line = alice.locator("tr[data-workshop='spring'] code.attune-store").inner_text()
    assert "?workshop=alice-spring" in store_line and "attune_alice@" in store_line
    assert PASSWORD not in store_line and ":" not in store_line.split("@")[0].split("//")[1]  # no password shown
    hub.remember()

    # A participant, with no hub account, opens the link through the proxy, joins and answers.
    where = Link(hub.base, href)
    participant_context = browser.new_context()
    person = Participant(participant_context.new_page(), where, shots / "participant")
    person.open_link()
    assert "/hub/login" not in person.page.url  # never asked to sign in to the hub
    person.open(CLOSENESS)
    code = person.join()
    person.answer(1, "2", answered_after=1)
    person.shot("answered")
    timings["answered"] = time.monotonic() - started
    hub.remember()

    # Every participant kernel runs under the limits of the hub's kernel spec.
    # (No JupyterLab kernel has started yet: every kernel now is a participant page's.)
    kernels = [p for p in hub.remember() if "ipykernel_launcher" in " ".join(p.cmdline())]
    assert kernels, "no participant kernel found under the workshop server"
    for kernel in kernels:
        limits = Path(f"/proc/{kernel.pid}/limits").read_text()
        assert re.search(rf"Max data size\s+{900 * 1024 * 1024}\s", limits), limits
        assert re.search(r"Max core file size\s+0\s", limits), limits

    # Someone without the token meets the workshop's own refusal, not the hub's sign-in.
    stranger = browser.new_context().new_page()
    response = stranger.goto(where.link.split("?")[0])
    assert response.status == 403 and "/hub/login" not in stranger.url
    assert stranger.title() == "Use the workshop link"
    stranger.context.close()

    # The answer is a row of Alice's workshop in the organisation's PostgreSQL.
    rows = pg.sql(f"SELECT workshop, instrument, item, value FROM attune.answers WHERE participant = '{code}'",
                  database=database).strip().splitlines()
    assert rows == ["alice-spring|ecr_rs|ecr_1|2"] or (len(rows) == 1 and rows[0].startswith("alice-spring|ecr_rs|")), rows

    # Alice's dashboard, in her JupyterLab, as her own role, counts the participant.
    wait_for_lab(hub, "alice", alice_token)
    hub.remember()
    seen_by_alice = run_in_lab(hub, "alice", alice_token, dashboard_code(store_line))
    timings["alice's dashboard"] = time.monotonic() - started
    assert "Joined: 1" in seen_by_alice, seen_by_alice

    # Bob, another facilitator, in his own JupyterLab: his role sees no row of Alice's workshop,
    # neither through raw SQL nor through a dashboard pointed at her workshop.
    bob_context = browser.new_context()
    bob = bob_context.new_page()
    bob.set_default_timeout(30_000)
    sign_in(bob, hub, "bob")
    assert bob.get_by_role("link", name=re.compile("Participant link")).count() == 0
    bob_token = api_token(bob, hub, "bob")
    start_lab(hub, "bob", bob_token)
    wait_for_lab(hub, "bob", bob_token)
    hub.remember()
    raw = run_in_lab(hub, "bob", bob_token, (
        "import os, psycopg\n"
        "with psycopg.connect(os.environ['ATTUNE_DATABASE']) as conn:\n"
        "    print('answers', conn.execute('SELECT count(*) FROM attune.answers').fetchone()[0])\n"
        "    print('participants', conn.execute('SELECT count(*) FROM attune.participants').fetchone()[0])\n"))
    assert "answers 0" in raw and "participants 0" in raw, raw
    seen_by_bob = run_in_lab(hub, "bob", bob_token, dashboard_code(store_line.replace("attune_alice@", "attune_bob@")))
    assert "Joined: 1" not in seen_by_bob and code not in seen_by_bob, seen_by_bob
    timings["bob checked"] = time.monotonic() - started

    for context in (participant_context, alice_context, bob_context):
        with contextlib.suppress(Exception):
            context.close()
    print({step: round(seconds, 1) for step, seconds in timings.items()})
    assert person.outside_requests() == [], person.outside_requests()

