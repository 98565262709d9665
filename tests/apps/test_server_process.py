"""The participant server as a process: it stops on any stop signal, leaves nothing behind, and a
restart keeps participants signed in.

CI and service managers start commands without a terminal and with SIGINT ignored; these
tests start ``attune serve`` that way on purpose. A hard kill (SIGKILL to every process, as
a crash does) is followed by a start on the same store, port and token, as a facilitator
would after rebooting.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psutil

from toolkit.apps.private_state import SOCKETS_PREFIX, cookie_secret_file, private_dir, run_folder
from toolkit.apps.processes import descendants, kill_all, running, stop_group
from toolkit.apps.server import projector_page, refusal_page
from toolkit.content.text import ui, ui_files
from toolkit.store.sqlite import PRIVATE_SUFFIX

REPO = Path(__file__).resolve().parents[2]
CLOSENESS = REPO / "tests" / "browser" / "notebooks" / "10_closeness.ipynb"
PAGES = REPO / "toolkit" / "content" / "pages"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- private state -------------------------------------------------------------------------------


def test_the_cookie_secret_is_made_once_and_readable_by_its_owner_only(tmp_path):
    state = private_dir(tmp_path / "workshop.sqlite")
    assert state == tmp_path / f"workshop.sqlite{PRIVATE_SUFFIX}" and mode(state) == 0o700
    path = cookie_secret_file(state)
    secret = path.read_text()
    assert mode(path) == 0o600 and len(bytes.fromhex(secret.strip())) == 32
    assert cookie_secret_file(private_dir(tmp_path / "workshop.sqlite")).read_text() == secret  # a restart keeps it
    path.write_text("damaged")
    assert cookie_secret_file(state).read_text() not in ("damaged", secret)


def test_a_new_start_removes_the_working_folders_of_dead_servers_only(tmp_path):
    state = private_dir(tmp_path / "workshop.sqlite")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for pid in (dead.pid, alive.pid):
            (state / f"run-{pid}" / "workshop").mkdir(parents=True)
        mine = run_folder(state)
        assert mine == state / f"run-{os.getpid()}" and mode(mine) == 0o700
        assert sorted(p.name for p in state.iterdir()) == sorted([f"run-{alive.pid}", mine.name])
    finally:
        alive.kill()
        alive.wait()


# -- pages -------------------------------------------------------------------------------------


def test_pages_hold_no_text_of_their_own():
    """Every word a participant reads comes from content/ui/pages.yaml, so it can be translated."""
    for template in PAGES.glob("*.html"):
        body = re.sub(r"<style>.*?</style>|<[^>]+>|\$\w+", " ", template.read_text(encoding="utf-8"), flags=re.S)
        assert re.findall(r"[A-Za-z]{2,}", body) == [], template.name


def test_page_strings_are_in_english_and_spanish_and_clash_with_no_other_ui_file():
    import yaml

    pages = yaml.safe_load((REPO / "toolkit" / "content" / "ui" / "pages.yaml").read_text(encoding="utf-8"))
    assert pages and all(key.startswith("page_") and {"en", "es"} <= set(texts) for key, texts in pages.items())
    for path in ui_files():
        if path.name != "pages.yaml":
            assert not set(pages) & set(yaml.safe_load(path.read_text(encoding="utf-8")) or {}), path.name


def test_the_refusal_page_speaks_the_workshops_language():
    spanish = refusal_page("es")
    assert '<html lang="es">' in spanish and f"<h1>{ui('page_refusal_title', 'es')}</h1>" in spanish
    assert "Use the workshop link" in refusal_page("en") and "$" not in spanish


def test_the_projector_page_escapes_the_link_and_draws_the_code():
    page = projector_page("http://10.0.0.2:8866/?token=a&b=<c>", "es")
    assert "<code>http://10.0.0.2:8866/?token=a&amp;b=&lt;c&gt;</code>" in page
    assert "<svg" in page and ui("page_projector_title", "es") in page and "$" not in page


# -- stopping ----------------------------------------------------------------------------------

STUBBORN = textwrap.dedent("""
    import signal, subprocess, sys, time
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # like a kernel: a session of its own, out of reach of a signal to our group
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    print("ready", flush=True)
    time.sleep(120)
""")


def test_a_server_that_ignores_sigint_and_sigterm_is_killed_with_its_kernels_and_reaped():
    process = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    assert process.stdout.readline() == "ready\n"
    family = descendants(process.pid)
    assert len(family) == 1
    started = time.monotonic()
    stop_group(process, timeout=2)
    assert process.returncode == -signal.SIGKILL  # reaped: no zombie left
    assert not [p for p in family if running(p)]
    assert time.monotonic() - started < 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a script or service manager starts us


class Serve:
    """``attune serve`` started as CI starts it: no terminal, SIGINT ignored, a session of its own."""

    def __init__(self, tmp_path: Path, port: int, token: str, *options: str):
        self.options = options
        self.store = tmp_path / "workshop.sqlite"
        self.notebooks = tmp_path / "notebooks"
        self.notebooks.mkdir(exist_ok=True)
        shutil.copy(CLOSENESS, self.notebooks)
        self.log = tmp_path / f"serve-{port}.log"
        self.port, self.token = port, token

    def start(self) -> Serve:
        with open(self.log, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "toolkit.apps.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--store", str(self.store), "--token", self.token, "--notebooks", str(self.notebooks),
                 "--pool-size", "1", "--no-browser", *self.options],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                env=dict(os.environ, PYTHONUNBUFFERED="1"), start_new_session=True, preexec_fn=ignore_sigint)
        deadline = time.monotonic() + 90
        while "Participants join at" not in self.log.read_text(encoding="utf-8"):
            assert self.process.poll() is None and time.monotonic() < deadline, self.log.read_text(encoding="utf-8")
            time.sleep(0.2)
        return self

    def everyone(self) -> list:
        return [psutil.Process(self.process.pid), *descendants(self.process.pid)]

    def kill_hard(self) -> None:
        everyone = self.everyone()
        for proc in everyone:
            proc.kill()
        self.process.wait(timeout=30)
        psutil.wait_procs(everyone, timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            stop_group(self.process, timeout=30)


def test_serve_started_with_sigint_ignored_stops_on_sigterm_and_leaves_nothing_behind(tmp_path):
    server = Serve(tmp_path, free_port(), "t0k3n-for-this-test").start()
    try:
        deadline = time.monotonic() + 60
        while len(everyone := server.everyone()) < 3:  # the command, Voilà, a preheated kernel (started after)
            assert time.monotonic() < deadline, everyone
            time.sleep(0.2)
        voila = next(p for p in everyone if "voila" in " ".join(p.cmdline()))
        assert server.token not in " ".join(voila.cmdline())  # not in ps: in an owner-only config file
        run = private_dir(server.store) / f"run-{server.process.pid}"
        assert (run / "workshop" / CLOSENESS.name).exists()
        sockets = kernel_sockets_folders(server.process.pid)
        assert len(sockets) == 1 and mode(sockets[0]) == 0o700
        kernels = [p for p in everyone if "ipykernel" in " ".join(p.cmdline())]
        # Kernels listen on Unix sockets in that folder, not on TCP ports something else could take first:
        # each kernel's connection file (``-f FILE`` on its command line) says which transport it binds.
        files = [Path(k.cmdline()[k.cmdline().index("-f") + 1]) for k in kernels]
        assert files and all(json.loads(f.read_text())["transport"] == "ipc" for f in files)
        assert all(f.is_relative_to(sockets[0]) for f in files)  # and gone with that folder
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0
        assert not [p for p in everyone if running(p)]
        assert not run.exists() and not list(private_dir(server.store).glob("run-*"))
        assert not kernel_sockets_folders(server.process.pid)
        assert (private_dir(server.store) / "cookie_secret").exists()  # kept for the next start
    finally:
        server.stop()


def kernel_sockets_folders(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{SOCKETS_PREFIX}{pid}-*"))


def get(url: str, jar: CookieJar) -> int:
    """The status of a GET sent with the cookies of ``jar`` (a participant's browser), redirects not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    try:
        with opener.open(url, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_after_a_hard_kill_and_a_restart_a_participant_is_still_signed_in(tmp_path):
    """The login cookie a participant got before the crash is still valid after the restart.

    With a secret drawn anew at each start it was not: the server answered the old page's
    requests by clearing the cookie, and the reloaded page lost its kernel connection.
    """
    server = Serve(tmp_path, free_port(), "t0k3n-for-this-test").start()
    base = f"http://127.0.0.1:{server.port}"
    browser = CookieJar()
    try:
        assert get(f"{base}/?token={server.token}", browser) == 200
        assert get(f"{base}/", browser) == 200  # signed in by the cookie alone
        first_run = private_dir(server.store) / f"run-{server.process.pid}"
        first_pid = server.process.pid
        server.kill_hard()
        assert first_run.exists() and kernel_sockets_folders(first_pid)  # nobody could clean up

        server.start()
        assert not first_run.exists() and not kernel_sockets_folders(first_pid)  # the new start did
        assert get(f"{base}/", browser) == 200  # still signed in: no login page, no cleared cookie
        assert get(f"{base}/", CookieJar()) in (302, 403)  # while a stranger is still refused
    finally:
        server.stop()


def test_voila_and_its_kernels_stop_when_attune_serve_is_killed(tmp_path):
    """Killed itself (SIGKILL: no cleanup possible), ``attune serve`` still leaves no server running:
    Voilà gets SIGTERM from the kernel when its parent dies, and shuts its kernels down."""
    server = Serve(tmp_path, free_port(), "t0k3n-for-this-test").start()
    others = descendants(server.process.pid)
    try:
        assert any("voila" in " ".join(p.cmdline()) for p in others)
        server.process.kill()
        server.process.wait(timeout=10)
        psutil.wait_procs(others, timeout=60)
        assert not [p for p in others if running(p)]
    finally:
        kill_all(others)


def test_a_spanish_workshop_refuses_and_projects_in_spanish(tmp_path):
    """The refusal page and the projector page come from content/pages in the workshop's language."""
    server = Serve(tmp_path, free_port(), "t0k3n-for-this-test", "--lang", "es").start()
    status, body = 200, ""
    try:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/voila/render/{CLOSENESS.name}", timeout=60)
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode("utf-8")
        assert status == 403 and '<html lang="es">' in body
        assert f"<h1>{ui('page_refusal_title', 'es')}</h1>" in body and "workshop link" not in body
        projector = private_dir(server.store) / f"run-{server.process.pid}" / "join.html"
        assert ui("page_projector_title", "es") in projector.read_text(encoding="utf-8")
    finally:
        server.stop()
