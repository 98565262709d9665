"""`attune dashboard` starts JupyterLab on this computer only, opened on the dashboard notebook,
and stops it whatever signals it was started with (a script or CI ignores SIGINT)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from toolkit.apps.dashboard_server import start_dashboard
from toolkit.apps.processes import descendants, running

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


def answers(url: str, process: subprocess.Popen, timeout: float = 60.0) -> int:
    """The dashboard's HTTP status once JupyterLab answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            assert process.poll() is None, "JupyterLab exited instead of serving the dashboard"
            assert time.monotonic() < deadline, f"JupyterLab did not answer within {timeout:.0f} s"
            time.sleep(0.5)


def test_dashboard_answers_on_loopback_with_its_token_and_stops_though_sigint_is_ignored(tmp_path):
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # JupyterLab inherits it, as from a script
    try:
        handle = start_dashboard(tmp_path / "store.sqlite", NOTEBOOKS, open_browser=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        assert handle.url.startswith("http://127.0.0.1:") and "token=" in handle.url
        token = handle.url.rsplit("token=", 1)[1]
        assert token not in " ".join(handle.process.args)  # not on a command line others can read with ps
        assert answers(handle.url, handle.process) == 200
    finally:
        started = time.monotonic()
        handle.stop()
    assert handle.process.returncode is not None  # stopped and reaped
    assert time.monotonic() - started < 15  # by SIGTERM, not by the SIGKILL fallback


def test_attune_dashboard_stops_jupyterlab_on_sigterm(tmp_path):
    """A service manager or ``kill`` stops the command with SIGTERM; JupyterLab must not outlive it."""
    command = subprocess.Popen(
        [sys.executable, "-m", "toolkit.apps.cli", "dashboard", "--notebooks", str(NOTEBOOKS), "--no-browser",
         "--store", str(tmp_path / "store.sqlite")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        env=dict(os.environ, PYTHONUNBUFFERED="1"), start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        output = ""
        while "token=" not in output:
            line = command.stdout.readline()
            assert line, f"attune dashboard ended: {output}"
            output += line
        url = re.search(r"http://\S+", output).group(0)
        jupyterlab = descendants(command.pid)
        assert jupyterlab and answers(url, command) == 200
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=30) == 0
        assert not [p for p in jupyterlab if running(p)]
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
