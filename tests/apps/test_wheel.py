"""The wheel runs a workshop on its own: built, installed in a fresh virtual environment, used outside the checkout.

One test, because each step needs the one before: list, check the packaged workshops, copy
one with ``attune new workshop``, then serve the packaged sessions and fetch a participant
page over HTTP with the printed link. Dependencies are installed as a user's pip would
(the machine's index and cache), so a file the package forgot fails here, not at a workshop.
"""

from __future__ import annotations

import http.cookiejar
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def run(*cmd, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """The server and its kernels share a process group: ask them all to stop, then make sure."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass


def test_the_wheel_lists_checks_copies_and_serves_a_workshop_without_the_checkout(tmp_path):
    assert not tmp_path.resolve().is_relative_to(ROOT)
    started = time.monotonic()
    dist, venv, work, home = (tmp_path / n for n in ("dist", "venv", "work", "home"))
    for folder in (work, home):
        folder.mkdir()

    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT, cwd=tmp_path)
    wheel, = dist.glob("attune_toolkit-*.whl")
    built = time.monotonic()
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", f"{wheel}[server]", cwd=tmp_path)
    installed = time.monotonic()

    # Nothing of the checkout may leak in: no PYTHONPATH, no Jupyter paths, a home of its own.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV", "ATTUNE_"))}
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    attune = venv / "bin" / "attune"

    where = run(venv / "bin" / "python", "-c", "import toolkit, toolkit.settings as s; print(toolkit.__file__); "
                "print(s.bundled_path('workshop.yaml')); print(s.bundled_path('workshops/es/workshop.yaml'))",
                cwd=work, env=env).stdout.split()
    package, default, spanish = map(Path, where)
    assert all(p.is_relative_to(venv) for p in (package, default, spanish)), where

    assert "who5" in run(attune, "list", cwd=work, env=env).stdout
    for workshop in (default, spanish):
        report = run(attune, "check", workshop, "--no-run", cwd=work, env=env).stdout.splitlines()
        assert re.fullmatch(r"0 errors, \d+ warnings?(, \d+ notes?)?", report[-1]), report

    copy = work / "spring_group"
    written = run(attune, "new", "workshop", copy, cwd=work, env=env).stdout.splitlines()
    assert str(copy / "notebooks" / "01_recognizing.md") in written
    guide = re.search(r"trainer guide explains each step: (\S+)", (copy / "README.md").read_text()).group(1)
    assert Path(guide).is_relative_to(venv) and Path(guide).is_file()
    report = run(attune, "check", copy, "--no-run", cwd=work, env=env).stdout.splitlines()
    assert re.fullmatch(r"0 errors, \d+ warnings?(, \d+ notes?)?", report[-1]), report

    port = free_port()
    server = subprocess.Popen([str(attune), "serve", "--host", "127.0.0.1", "--no-browser", "--port", str(port),
                               "--store", str(tmp_path / "store.sqlite")], cwd=work, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()
    try:
        seen, link, deadline = [], None, time.monotonic() + 180
        while link is None and time.monotonic() < deadline and server.poll() is None:
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            if m := re.search(rf"http://127\.0\.0\.1:{port}/\?token=\S+", seen[-1]):
                link = m.group(0)
        assert link, "".join(seen)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(link, timeout=60) as index:
            sessions = index.read().decode()
        assert index.status == 200 and 'href="/voila/render/00_welcome.ipynb"' in sessions
        with opener.open(f"http://127.0.0.1:{port}/voila/render/00_welcome.ipynb", timeout=120) as page:
            body = page.read().decode()
        assert page.status == 200 and "<title>Welcome to the workshop</title>" in body
    finally:
        stop(server)
    print(f"wheel built in {built - started:.0f} s, installed in {installed - built:.0f} s, "
          f"whole test {time.monotonic() - started:.0f} s")
