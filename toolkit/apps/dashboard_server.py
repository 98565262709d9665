"""The facilitator's dashboard: JupyterLab on this computer only (127.0.0.1), opened on the dashboard notebook."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import AttuneError

DASHBOARD = "facilitator_dashboard.ipynb"


class DashboardError(AttuneError):
    pass


@dataclass
class DashboardHandle:
    process: subprocess.Popen
    url: str

    def wait(self) -> int:
        try:
            return self.process.wait()
        except KeyboardInterrupt:
            self.stop()
            return 0

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGINT)
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_dashboard(store: Path, notebooks: Path, *, open_browser: bool = True, port: int | None = None) -> DashboardHandle:
    notebook = notebooks / DASHBOARD
    if not notebook.exists():
        raise DashboardError(f"{notebook} not found: run this from the workshop folder, or give --notebooks")
    port = port or _free_port()
    token = secrets.token_urlsafe(12)
    env = dict(os.environ, ATTUNE_STORE=str(store))
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={notebooks.resolve()}",
               "--ServerApp.ip=127.0.0.1", f"--LabApp.default_url=/lab/tree/{DASHBOARD}",
               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
               "--ServerApp.open_browser=" + ("True" if open_browser else "False")]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root otherwise (containers, CI machines)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}/lab/tree/{DASHBOARD}?token={token}"
    return DashboardHandle(process, url)
