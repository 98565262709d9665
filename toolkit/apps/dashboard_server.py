"""The facilitator's dashboard: JupyterLab on this computer only (127.0.0.1), opened on the dashboard notebook."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from toolkit.apps.processes import stop_group, stop_with_parent, wait_then_stop
from toolkit.errors import AttuneError

DASHBOARD = "facilitator_dashboard.ipynb"


class DashboardError(AttuneError):
    pass


@dataclass
class DashboardHandle:
    process: subprocess.Popen
    url: str

    def wait(self) -> int:
        """Until JupyterLab ends, or until Ctrl-C, SIGTERM or SIGHUP here, which stop it."""
        return wait_then_stop(self.process, self.stop)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, wait, SIGKILL, wait: JupyterLab and its kernels stop whatever signals they ignore.

        Not SIGINT: started from a script, JupyterLab inherits SIGINT ignored (and without a
        terminal it would only ask for a confirmation that never comes).
        """
        stop_group(self.process, timeout)


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
    # The token goes in the environment (readable by its owner only), not on the command line
    # (readable by every user of the machine through ps).
    env = dict(os.environ, ATTUNE_STORE=str(store), JUPYTER_TOKEN=token)
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={notebooks.resolve()}",
               "--ServerApp.ip=127.0.0.1", f"--LabApp.default_url=/lab/tree/{DASHBOARD}", f"--ServerApp.port={port}",
               "--ServerApp.open_browser=" + ("True" if open_browser else "False")]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root otherwise (containers, CI machines)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, preexec_fn=stop_with_parent)
    url = f"http://127.0.0.1:{port}/lab/tree/{DASHBOARD}?token={token}"
    return DashboardHandle(process, url)
