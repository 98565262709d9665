"""The participant server: the session notebooks as a Voilà web app on the facilitator's laptop.

A thin shell. It prepares participant copies of the session notebooks (facilitator notes
removed), starts Voilà on them with preheated kernels, a workshop token and a template
that fetches nothing from the internet, and prints the link (and a QR code) to share.
Kernels find the store and locale through environment variables read by
``toolkit.session``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AttuneError, StoreError

PACKAGE_DIR = Path(__file__).parent
SERVER_DATA = PACKAGE_DIR / "server_data"  # holds voila/templates/attune (added to JUPYTER_PATH)
FACILITATOR_TAG = "facilitator"


class ServerError(AttuneError):
    """The participant server cannot start as asked (port taken, store not writable, no notebooks)."""


def participant_notebook(nb: dict) -> dict:
    """A copy of a notebook for participants: facilitator cells, outputs and widget state removed."""
    out = json.loads(json.dumps(nb))
    out["cells"] = [c for c in out["cells"] if FACILITATOR_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in out["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    out.get("metadata", {}).pop("widgets", None)
    return out


def prepare_notebooks(sources: list[Path], target: Path) -> list[Path]:
    """Write participant copies of ``sources`` into ``target``; only those files are served."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        try:
            nb = json.loads(src.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ServerError(f"{src}: cannot read this notebook ({exc})") from None
        dest = target / src.name
        dest.write_text(json.dumps(participant_notebook(nb), indent=1), encoding="utf-8")
        written.append(dest)
    return written


def lan_address() -> str:
    """This machine's address on the local network (for phones in the room), else loopback.

    Read from the host's own name resolution: no packet is sent anywhere.
    """
    candidates = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            candidates.append(info[4][0])
    except OSError:
        pass
    for address in candidates:
        if not address.startswith("127."):
            return address
    return "127.0.0.1"


def check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ServerError(f"port {port} on {host} is not available ({exc.strerror}): another program uses it; "
                              f"choose another with --port") from None


def check_store(path: Path) -> None:
    from .store import ResponseStore

    try:
        ResponseStore(path).close()
    except StoreError as exc:
        raise ServerError(f"the store cannot be used: {exc}") from None


@dataclass
class ServerPlan:
    notebooks: list[Path]
    store: Path
    host: str = "127.0.0.1"
    port: int = 8866
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    locale: str = "international"
    language: str = "en"
    pool_size: int = 2

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/?token={self.token}"

    def voila_command(self, root: Path) -> list[str]:
        return [
            sys.executable, "-m", "voila", str(root),
            "--no-browser", f"--port={self.port}", f"--Voila.ip={self.host}", f"--token={self.token}",
            "--template=attune", "--preheat_kernel=True", f"--pool_size={self.pool_size}",
            "--strip_sources=True", "--show_tracebacks=False",
            "--VoilaConfiguration.file_allowlist=[]",
            "--Voila.tornado_settings={'headers': {'X-Frame-Options': 'DENY'}}",
        ]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["ATTUNE_STORE"] = str(self.store)
        env["ATTUNE_LOCALE"] = self.locale
        env["ATTUNE_LANGUAGE"] = self.language
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(SERVER_DATA), env.get("JUPYTER_PATH")]))
        return env


def qr_text(url: str) -> str:
    """The link as a QR code drawn with characters, for the terminal."""
    import io

    import segno

    buffer = io.StringIO()
    segno.make(url, error="m").terminal(out=buffer, compact=True)
    return buffer.getvalue()


def projector_page(url: str, title: str = "Join the workshop") -> str:
    """A self-contained page with the QR code and link, to put on the projector (no network needed)."""
    import html
    import io

    import segno

    svg = io.BytesIO()
    segno.make(url, error="m").save(svg, kind="svg", scale=12, dark="#000", light="#fff")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;text-align:center;padding:2em;font-size:28px}"
        "code{font-size:22px;word-break:break-all}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Scan with your phone's camera, or type the link.</p>"
        f"<div>{svg.getvalue().decode()}</div><p><code>{html.escape(url)}</code></p></body></html>"
    )


def serve(plan: ServerPlan, *, workdir: Path | None = None, on_ready=None, stop_after: float | None = None) -> int:
    """Run Voilà until Ctrl-C (or ``stop_after`` seconds); shut kernels down cleanly."""
    check_port(plan.host, plan.port)
    check_store(plan.store)
    if not plan.notebooks:
        raise ServerError("there are no participant notebooks to serve")
    root = Path(workdir or tempfile.mkdtemp(prefix="attune-serve-"))
    served = root / "workshop"
    if served.exists():
        shutil.rmtree(served)
    prepare_notebooks(plan.notebooks, served)
    (root / "join.html").write_text(projector_page(plan.url), encoding="utf-8")
    process = subprocess.Popen(plan.voila_command(served), env=plan.environment(), cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        _wait_until_listening(plan, process)
        if on_ready:
            on_ready(plan, root)
        deadline = None if stop_after is None else time.monotonic() + stop_after
        while process.poll() is None and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.2)
        if process.poll() not in (None, 0):
            raise ServerError(f"the participant server stopped unexpectedly (exit {process.returncode})")
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        stop(process)


def _wait_until_listening(plan: ServerPlan, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise ServerError("the participant server did not start:\n" + output[-2000:])
        try:
            with socket.create_connection((plan.host, plan.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise ServerError(f"the participant server did not answer on port {plan.port} within {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """Ask Voilà to shut down (it stops its kernels), then make sure it has."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)
