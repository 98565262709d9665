"""The participant server: the session notebooks as a Voilà web app on the facilitator's laptop.

A thin shell. It prepares participant copies of the session notebooks (facilitator notes
removed), starts Voilà on them with preheated kernels, a workshop token and a template
that fetches nothing from the internet, and prints the link (and a QR code) to share.
Kernels find the store and locale through environment variables read by
``toolkit.widgets.session``.
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

from toolkit.errors import AttuneError, StoreError

PACKAGE_DIR = Path(__file__).parent
SERVER_DATA = PACKAGE_DIR / "server_data"  # holds voila/templates/attune (added to JUPYTER_PATH)
FACILITATOR_TAG = "facilitator"
#: Seconds Voilà waits for a cell's output (the join form, a questionnaire) while building a page.
IOPUB_TIMEOUT_S = 120
#: The only JupyterLab extensions loaded into participant pages: the widgets and charts. Others
#: installed for the facilitator (jupytext, ...) would only add downloads and console errors.
PARTICIPANT_EXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8",
                          "jupyterlab-plotly")


class ServerError(AttuneError):
    """The participant server cannot start as asked (port taken, store not writable, no notebooks)."""


def participant_notebook(nb: dict) -> dict:
    """A copy of a notebook for participants: facilitator cells, outputs and widget state removed.

    The page title (the browser tab, what a screen reader announces first) is the notebook's
    first heading rather than its file name.
    """
    out = json.loads(json.dumps(nb))
    out["cells"] = [c for c in out["cells"] if FACILITATOR_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in out["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    metadata = out.setdefault("metadata", {})
    metadata.pop("widgets", None)
    title = _first_heading(out["cells"])
    if title and not metadata.get("title"):
        metadata["title"] = title
    return out


def _first_heading(cells: list[dict]) -> str | None:
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        for line in (source if isinstance(source, str) else "".join(source)).splitlines():
            if line.startswith("#"):
                text = line.lstrip("#").strip().replace("*", "").replace("`", "")
                if text:
                    return text
    return None


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
    from toolkit.store.sqlite import ResponseStore

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
            f"--VoilaConfiguration.extension_allowlist={list(PARTICIPANT_EXTENSIONS)!r}",
            f"--VoilaExporter.language_code={self.language}",
            "--Voila.identity_provider_class=toolkit.apps.server.WorkshopIdentityProvider",
            # nbclient waits only 4 s for a cell's output once the kernel says the cell ran; with
            # a room of kernels starting on two cores that is too short, and the page came without
            # its join form. A page that takes longer is still a page.
            f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT_S}",
            "--Voila.tornado_settings={'headers': {'X-Frame-Options': 'DENY'}}",
        ]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["ATTUNE_STORE"] = str(self.store)
        env["ATTUNE_LOCALE"] = self.locale
        env["ATTUNE_LANGUAGE"] = self.language
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(SERVER_DATA), env.get("JUPYTER_PATH")]))
        return env


REFUSED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Use the workshop link</title><link rel="icon" href="data:;base64,=">
<style>body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff;font-size:18px;line-height:1.5}
main{max-width:640px;margin:0 auto;padding:24px 16px}h1{font-size:26px}</style></head>
<body><main><h1>Use the workshop link</h1>
<p>This page only opens through the link your facilitator shares, for example by scanning the QR code
on the screen in the room.</p>
<p>Scan the code again, or ask the facilitator for the link. Nothing you saved is lost.</p>
</main></body></html>
"""


def _identity_provider():
    """Voilà's token check, with a plain refusal instead of Jupyter's login form.

    Without the workshop token a participant would otherwise meet a "Password or token" form
    that talks about ``jupyter server list``; they get a short page telling them to use the
    link (HTTP 403). A request with the token signs in as before.
    """
    from voila.voila_identity_provider import VoilaIdentityProvider, VoilaLoginHandler

    class WorkshopLoginHandler(VoilaLoginHandler):
        def _render(self, message=None):
            if self.get_status() == 200:
                self.set_status(403)
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.finish(REFUSED_PAGE)

    class WorkshopIdentityProvider(VoilaIdentityProvider):
        def get_handlers(self):
            return [(path, WorkshopLoginHandler if path == r"/login" else handler)
                    for path, handler in super().get_handlers()]

    return WorkshopIdentityProvider


def __getattr__(name: str):
    # Voilà imports the class by name (--Voila.identity_provider_class); built on first use so
    # that importing toolkit.apps.server does not import Voilà.
    if name == "WorkshopIdentityProvider":
        value = globals()[name] = _identity_provider()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    log = _drain(process)
    previous_term = _stop_on_sigterm()
    try:
        _wait_until_listening(plan, process, log)
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
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
        if workdir is None:  # our own temporary folder: participant copies and the projector page
            shutil.rmtree(root, ignore_errors=True)


def _stop_on_sigterm():
    """While serving, SIGTERM (a service manager, ``kill``) stops Voilà and its kernels as Ctrl-C does.

    Returns the handler it replaced (None when not in the main thread, where it cannot be set).
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _drain(process: subprocess.Popen, keep: int = 200):
    """Read Voilà's output as it comes, keeping the last ``keep`` lines.

    Nobody reads the pipe otherwise: once its buffer is full, Voilà would block on its next
    log line and every participant's page with it.
    """
    import collections
    import threading

    lines: collections.deque[str] = collections.deque(maxlen=keep)

    def read():
        for line in process.stdout:
            lines.append(line)

    if process.stdout is not None:
        threading.Thread(target=read, name="voila-output", daemon=True).start()
    return lines


def _wait_until_listening(plan: ServerPlan, process: subprocess.Popen, log=(), timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            try:
                process.wait(timeout=5)
                time.sleep(0.2)  # let the reader take the last lines
            except subprocess.TimeoutExpired:
                pass
            output = "".join(log)
            raise ServerError("the participant server did not start:\n" + output[-2000:])
        try:
            with socket.create_connection((plan.host, plan.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise ServerError(f"the participant server did not answer on port {plan.port} within {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """Ask Voilà to shut down (it stops its kernels), then make sure it has.

    SIGTERM rather than SIGINT: a process started in the background inherits SIGINT ignored,
    and Voilà handles SIGTERM the same way (stop serving, shut every kernel down).
    """
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)
