"""The participant server: the session notebooks as a Voilà web app on the facilitator's laptop.

A thin shell. It prepares participant copies of the session notebooks (facilitator notes
removed), starts Voilà on them with preheated kernels, a workshop token and a template
that fetches nothing from the internet, and prints the link (and a QR code) to share.
Kernels find the store and locale through environment variables read by
``toolkit.widgets.session``. What outlives a process (cookie secret, working folders,
kernel sockets) is ``private_state``.

Longer than 400 lines on purpose: Voilà's configuration, identity provider, warm-room kernel
manager and the process that runs them are one shell around one Voilà process, each piece
small and leaning on the others' settings.
"""

from __future__ import annotations

import contextlib
import html
import inspect
import json
import os
import secrets
import shutil
import socket
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from toolkit.apps.private_state import cookie_secret_file, private_dir, run_folder, sockets_folder, write_private_text
from toolkit.apps.processes import catch_stop_signals, hold, restore, stop_group, stop_with_parent
from toolkit.content import CONTENT_DIR
from toolkit.content.text import ui
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
VOILA_CONFIG_DIR = "config"  # in the server's working folder
ECHO_VARIABLE = "ATTUNE_SERVE_ECHO"  # "1": Voilà's log goes to our output too


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


def check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ServerError(f"port {port} on {host} is not available ({exc.strerror}): another program uses it; "
                              f"choose another with --port") from None


def check_store(path: Path) -> None:
    from toolkit.store.responses import ResponseStore

    try:
        ResponseStore(path).close()
    except StoreError as exc:
        raise ServerError(f"the store cannot be used: {exc}") from None


#: The whole server's memory for a room (Voilà and every kernel, PSS), and what its parts measured
#: on the 2-core VM (bench/room_bench.py): a kernel with a session page ready, one that has also
#: loaded pandas and plotly for the feedback, Voilà itself.
MEMORY_BUDGET_MB = 3000
KERNEL_MB = 50
KERNEL_WITH_FEEDBACK_MB = 100
VOILA_MB = 150
#: Environment of Voilà and its kernels for a room (``RoomKernelManager``, ``toolkit.widgets.session``).
ENV_WARM_SESSION, ENV_WARM_POOL, ENV_WARM_SMALL = "ATTUNE_WARM_SESSION", "ATTUNE_WARM_POOL", "ATTUNE_WARM_SMALL"
ENV_WARM_IMPORTS = "ATTUNE_WARM_IMPORTS"  # "preheat": load the feedback's libraries before anyone comes; "join": at the join
WARM_MARK = "attune-warm"  # Voilà's output line: "attune-warm <notebook> <ready> <target> <taken>"


@dataclass(frozen=True)
class WarmPlan:
    session: str  # the notebook's file name
    pool: int  # warm pages for it before anyone arrives
    small: int  # warm pages kept for it once the room is in, and for every other session
    imports: str  # "preheat" or "join"


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
    room: int = 40  # participants the store takes (workshop.yaml's room, --room)
    session: Path | None = None  # today's session (--session): its pages are kept warm for the room
    #: The URL prefix the pages live under (--base-url): "/" on a laptop, the hub's route behind JupyterHub's proxy.
    base_url: str = "/"

    def warm_plan(self) -> WarmPlan | None:
        """How many warm pages today's session keeps, and when its kernels load the feedback's
        libraries; None without a session (every notebook keeps ``pool_size``)."""
        if self.session is None:
            return None
        others = max(self.pool_size, 0) * (len(self.notebooks) - 1)
        fits = (MEMORY_BUDGET_MB - VOILA_MB - others * KERNEL_MB) // KERNEL_MB
        warm = max(min(self.room, fits), self.pool_size, 1)
        # Loading pandas and plotly in every warm kernel doubles it; only when the room's pool still fits.
        preheat = (warm + others) * KERNEL_WITH_FEEDBACK_MB + VOILA_MB <= MEMORY_BUDGET_MB
        return WarmPlan(self.session.name, warm, max(self.pool_size, 0), "preheat" if preheat else "join")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.base_url}?token={self.token}"

    def voila_command(self, served: Path, workdir: Path, sockets: Path | None = None) -> list[str]:
        """Voilà's command line. The token and cookie secret are in ``write_voila_config``'s file, not
        here: a command line is visible to every user of the machine."""
        from jupyter_core.paths import jupyter_config_path

        config_paths = [str(workdir / VOILA_CONFIG_DIR), *jupyter_config_path()]  # ours first: it wins
        return [
            sys.executable, "-m", "voila", str(served),
            "--no-browser", f"--port={self.port}", f"--Voila.ip={self.host}", f"--Voila.base_url={self.base_url}",
            f"--Voila.config_file_paths={config_paths!r}",
            # Kernels' connection files (and, with ``sockets``, their Unix sockets): gone with the folder.
            f"--Voila.connection_dir_root={sockets or workdir}",
            *(["--KernelManager.transport=ipc"] if sockets else []),
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
            # No page of ours in a frame; no websocket message larger than a participant could send.
            f"--Voila.tornado_settings={{'headers': {{'X-Frame-Options': 'DENY'}}, "
            f"'websocket_max_message_size': {MAX_WS_MESSAGE}}}",
            # A page left alone (a phone locked through a break) keeps its kernel this long; answers are
            # saved per change, so a page whose kernel was culled resumes from the device key.
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}", "--MappingKernelManager.cull_interval=300",
            # The browser's device key, set by WorkshopIdentityProvider, reaches the page's kernel.
            f"--VoilaConfiguration.http_header_envs={[DEVICE_HEADER]!r}",
            *([f"--VoilaConfiguration.multi_kernel_manager_class={__name__}.RoomKernelManager"]
              if self.session is not None else []),
        ]

    def write_voila_config(self, workdir: Path, secret_file: Path) -> Path:
        """Voilà's config file, owner-only: the token, and the cookie secret read from the workshop's
        private state when Voilà starts. Not in Voilà's working folder, where ``python -m voila``
        would import it as Voilà itself."""
        folder = workdir / VOILA_CONFIG_DIR
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / "voila.py"
        write_private_text(path, f"c.Voila.token = {self.token!r}\n"
                             f"with open({str(secret_file)!r}, encoding='ascii') as f:\n"
                             f"    c.Voila.cookie_secret = bytes.fromhex(f.read().strip())\n"
                             f"{self._pool_config()}")
        return path

    def _pool_config(self) -> str:
        """Voilà's preheated pool per notebook (``VoilaKernelManager.kernel_pools_config``): today's
        session sized to the room, a small pool for the others."""
        warm = self.warm_plan()
        if warm is None:
            return ""
        pools = {"default": {"pool_size": warm.small}, warm.session: {"pool_size": warm.pool}}
        return f"c.VoilaKernelManager.kernel_pools_config = {ascii(pools)}\n"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["ATTUNE_STORE"] = str(self.store)
        env["ATTUNE_LOCALE"] = self.locale
        env["ATTUNE_LANGUAGE"] = self.language
        env["ATTUNE_ROOM"] = str(self.room)
        warm = self.warm_plan()
        if warm is not None:
            env.update({ENV_WARM_SESSION: warm.session, ENV_WARM_POOL: str(warm.pool),
                        ENV_WARM_SMALL: str(warm.small), ENV_WARM_IMPORTS: warm.imports})
        # A preheated kernel asks Voilà for its page's request (and device key) at this address.
        env["VOILA_APP_IP"] = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(SERVER_DATA), env.get("JUPYTER_PATH")]))
        return env


# -- the workshop's private state ------------------------------------------------------------

#: What a server keeps beside the store, in a folder only its owner can open (0700): the cookie
#: secret and, while it runs, its working folder (participant copies, projector page, Voilà's
#: config and kernels' connection files). Never in the repository, never printed.


# -- pages -------------------------------------------------------------------------------------

PAGES_DIR = CONTENT_DIR / "pages"


def page(name: str, markup: dict[str, str] | None = None, **values: str) -> str:
    """``content/pages/<name>.html`` with its ``$placeholders`` filled: ``values`` HTML-escaped,
    ``markup`` (markup this module drew itself) as it is."""
    template = string.Template((PAGES_DIR / f"{name}.html").read_text(encoding="utf-8"))
    return template.substitute({key: html.escape(value) for key, value in values.items()}, **(markup or {}))


def refusal_page(language: str) -> str:
    """What a request without the workshop token gets, in the workshop's language."""
    return page("refusal", lang=language, title=ui("page_refusal_title", language),
                explanation=ui("page_refusal_explanation", language),
                what_to_do=ui("page_refusal_what_to_do", language))




#: Largest websocket message (bytes): a page's messages are answers and clicks, far smaller.
MAX_WS_MESSAGE = 2 * 1024 * 1024
#: Seconds a page's kernel may sit idle before it is shut down (a phone locked through a 15-minute break survives).
CULL_IDLE_S = 20 * 60


def end_of_day(now: datetime | None = None) -> datetime:
    """Midnight after ``now`` (local time): when the workshop day's sign-in cookie expires."""
    now = now if now is not None and now.tzinfo is not None else (now or datetime.now()).astimezone()
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


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
            self.finish(refusal_page(os.environ.get("ATTUNE_LANGUAGE", "en")))

    class WorkshopIdentityProvider(VoilaIdentityProvider):
        def get_handlers(self):
            # Voilà 0.5 adds these routes without its URL prefix (every other route has it): behind a
            # proxy prefix (--base-url) a request without the token would be sent to a page that is not there.
            from jupyter_server.utils import url_path_join

            prefix = getattr(self.parent, "server_url", None) or "/"
            return [(url_path_join(prefix, path), WorkshopLoginHandler if path == r"/login" else handler)
                    for path, handler in super().get_handlers()]

        def set_login_cookie(self, handler, user):
            """The workshop sign-in lasts the workshop day (not Jupyter's 30 days) and is never sent cross-site."""
            self.cookie_options = {**self.cookie_options, "samesite": "Strict", "httponly": True,
                                   "expires": end_of_day()}
            super().set_login_cookie(handler, user)

        async def get_user(self, handler):
            user = super().get_user(handler)
            if inspect.isawaitable(user):
                user = await user
            if user is not None:
                device_header(handler)
            return user

    return WorkshopIdentityProvider


DEVICE_COOKIE = "attune_device"
DEVICE_HEADER = "X-Attune-Device"
DEVICE_COOKIE_DAYS = 60  # a workshop's weeks, so the next session's page knows the device too


def device_header(handler) -> None:
    """Give the browser a device key (an HttpOnly, SameSite=Strict cookie) and pass it on as X-Attune-Device.

    Page scripts cannot read the cookie and other sites' pages cannot send it; a value the
    client sent as the header itself is dropped. A cross-site navigation (Strict withholds the
    cookie) gets no new key, so the key the browser has is never replaced; its reload does.
    """
    from toolkit.core.resume import new_device_key

    headers = handler.request.headers
    if DEVICE_HEADER in headers:
        del headers[DEVICE_HEADER]
    key = handler.get_cookie(DEVICE_COOKIE)
    if not (key and 32 <= len(key) <= 128 and key.isascii() and key.replace("-", "").replace("_", "").isalnum()):
        key = None
        if headers.get("Sec-Fetch-Site") != "cross-site":
            key = new_device_key()
            # Only this server's pages get it: behind a hub, other workshops and JupyterLab share the host.
            handler.set_cookie(DEVICE_COOKIE, key, path=getattr(handler, "base_url", "/"),
                               expires_days=DEVICE_COOKIE_DAYS, httponly=True, samesite="Strict",
                               secure=handler.request.protocol == "https")
    if key:
        headers[DEVICE_HEADER] = key


def _room_kernel_manager():
    """Voilà's kernel manager for a room: today's session keeps a warm page for everyone still to come.

    Voilà wraps this class in its pooling manager (``voila_kernel_manager_factory``), which
    refills each notebook's pool to ``kernel_pools_config``'s size whenever a page takes a
    kernel. With the room's pool that would start a second room of kernels while the first
    arrives (two cores busy starting kernels nobody needs yet, twice the memory). Here the
    session's target is the room minus the pages already taken (never below the small pool),
    so the pool shrinks as people arrive and refills when they leave. Every change of the
    warm count goes to Voilà's output as ``attune-warm <notebook> <ready> <target> <taken>``,
    read by ``attune serve`` (terminal, projector page).
    """
    import asyncio

    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    class RoomKernelManager(AsyncMappingKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._room_session = os.environ.get(ENV_WARM_SESSION, "")
            self._room_pool = int(os.environ.get(ENV_WARM_POOL, "0") or 0)
            self._room_small = int(os.environ.get(ENV_WARM_SMALL, "1") or 0)
            self._taken: set = set()  # kernels (or takes under way) of the session's pages
            self._reported = None
            if not hasattr(self, "fill_if_needed"):  # not preheating: nothing to size
                return
            fill, take, shutdown = self.fill_if_needed, self.get_rendered_notebook, self.shutdown_kernel
            self._fill = fill

            def sized_fill(delay=None, notebook_name=None, **kw):
                if notebook_name == self._room_session:
                    self._set_target()
                return fill(delay=delay, notebook_name=notebook_name, **kw)

            async def counted_take(notebook_name=None, **kw):
                if notebook_name != self._room_session:
                    return await take(notebook_name=notebook_name, **kw)
                marker = object()
                self._taken.add(marker)  # counted before Voilà refills the pool
                try:
                    result = await take(notebook_name=notebook_name, **kw)
                finally:
                    self._taken.discard(marker)
                self._taken.add(result[2])
                return result

            async def counted_shutdown(kernel_id, *args, **kw):
                self._taken.discard(kernel_id)
                return await shutdown(kernel_id, *args, **kw)

            self.fill_if_needed, self.get_rendered_notebook = sized_fill, counted_take
            self.shutdown_kernel = counted_shutdown
            asyncio.get_event_loop().create_task(self._watch())

        def _target(self) -> int:
            return max(self._room_pool - len(self._taken), self._room_small)

        def _set_target(self) -> None:
            pools = dict(self.kernel_pools_config)
            pools[self._room_session] = {**pools.get(self._room_session, {}), "pool_size": self._target()}
            self.kernel_pools_config = pools

        async def _watch(self) -> None:
            while True:
                await asyncio.sleep(0.25)
                try:
                    pool = self._pools.get(self._room_session, [])
                    target = self._target()
                    if len(pool) < target:  # people left: warm pages for those who may still come
                        self.fill_if_needed(delay=0, notebook_name=self._room_session)
                    ready = sum(1 for item in pool if item.done() and not item.cancelled()
                                and item.exception() is None and item.result()["task"].done())
                    state = (ready, target, len(self._taken))
                    if state != self._reported:
                        self._reported = state
                        print(f"{WARM_MARK} {self._room_session} {ready} {target} {len(self._taken)}", flush=True)
                except Exception as exc:  # noqa: BLE001 - counting must never stop the server
                    self.log.warning("attune: warm pool count failed: %s", exc)

    return RoomKernelManager


def __getattr__(name: str):
    # Voilà imports the classes by name (--Voila.identity_provider_class, multi_kernel_manager_class);
    # built on first use so that importing toolkit.apps.server does not import Voilà.
    if name == "WorkshopIdentityProvider":
        value = globals()[name] = _identity_provider()
        return value
    if name == "RoomKernelManager":
        value = globals()[name] = _room_kernel_manager()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def qr_text(url: str) -> str:
    """The link as a QR code drawn with characters, for the terminal."""
    import io

    import segno

    buffer = io.StringIO()
    segno.make(url, error="m").terminal(out=buffer, compact=True)
    return buffer.getvalue()


def projector_page(url: str, language: str = "en", warm: tuple[int, int] | None = None) -> str:
    """A self-contained page with the QR code and link, to put on the projector (no network needed).

    ``warm`` (ready, target): how warm the room is, "Ready for 38 of 40 phones"; the page
    reloads itself every few seconds, and ``attune serve`` rewrites it as the count changes.
    """
    import io

    import segno

    svg = io.BytesIO()
    segno.make(url, error="m").save(svg, kind="svg", scale=12, dark="#000", light="#fff", xmldecl=False)
    warmth = "" if warm is None else ui("page_projector_warmth", language, ready=warm[0], target=warm[1])
    return page("projector", {"qr_svg": svg.getvalue().decode()}, lang=language, url=url, warmth=warmth,
                title=ui("page_projector_title", language), instructions=ui("page_projector_instructions", language))


class WarmReport:
    """Reads Voilà's ``attune-warm`` lines: one terminal line per change (at most every
    ``every`` seconds unless the pool is complete or has just stopped being), and the projector
    page rewritten with the count."""

    def __init__(self, plan: ServerPlan, projector: Path, every: float = 2.0):
        self.plan, self.projector, self.every = plan, projector, every
        self.last_print = 0.0
        self.was_complete = False
        self.state: tuple[int, int, int] | None = None

    def line(self, text: str) -> None:
        parts = text.split()
        if len(parts) != 5 or parts[0] != WARM_MARK or not all(p.isdigit() for p in parts[2:]):
            return
        ready, target, taken = (int(p) for p in parts[2:])
        self.state = (ready, target, taken)
        complete = ready >= target
        now = time.monotonic()
        if complete or self.was_complete or now - self.last_print >= self.every:
            print(f"Warm pages for {parts[1]}: ready for {ready} of {target} ({taken} taken)", flush=True)
            self.last_print = now
        self.was_complete = complete
        with contextlib.suppress(OSError):
            _write_text(self.projector, projector_page(self.plan.url, self.plan.language, (ready, target)))


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def serve(plan: ServerPlan, *, workdir: Path | None = None, on_ready=None, stop_after: float | None = None) -> int:
    """Run Voilà until Ctrl-C, SIGTERM or SIGHUP (or ``stop_after`` seconds); shut kernels down cleanly.

    Voilà works in ``workdir``, else in a folder of the workshop's private state that this
    process removes when it stops (and the next start removes if it was killed first).
    """
    check_port(plan.host, plan.port)
    check_store(plan.store)
    if not plan.notebooks:
        raise ServerError("there are no participant notebooks to serve")
    state = private_dir(plan.store)
    root = Path(workdir) if workdir else run_folder(state)
    previous = catch_stop_signals()
    process = sockets = None
    try:
        sockets = sockets_folder()
        served = root / "workshop"
        if served.exists():
            shutil.rmtree(served)
        prepare_notebooks(plan.notebooks, served)
        warm = plan.warm_plan()
        (root / "join.html").write_text(projector_page(plan.url, plan.language, (0, warm.pool) if warm else None),
                                        encoding="utf-8")
        plan.write_voila_config(root, cookie_secret_file(state))
        process = subprocess.Popen(plan.voila_command(served, root, sockets), env=plan.environment(), cwd=root,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True, preexec_fn=stop_with_parent)
        if warm is not None:
            print(f"Warming {warm.pool} pages of {warm.session} for a room of {plan.room} "
                  f"({warm.small} for each other session)", flush=True)
        log = _drain(process, WarmReport(plan, root / "join.html").line if warm else None)
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
        hold(previous)  # a second signal must not cut the cleanup short
        if process is not None:
            stop(process)
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
        restore(previous)


def _drain(process: subprocess.Popen, on_line=None, keep: int = 200):
    """Read Voilà's output as it comes, keeping the last ``keep`` lines.

    Nobody reads the pipe otherwise: once its buffer is full, Voilà would block on its next
    log line and every participant's page with it. With ``ATTUNE_SERVE_ECHO=1`` the lines are
    also passed on to our output (the browser tests keep them in the server's log).
    """
    import collections
    import threading

    lines: collections.deque[str] = collections.deque(maxlen=keep)
    echo = os.environ.get(ECHO_VARIABLE) == "1"

    def read():
        for line in process.stdout:
            lines.append(line)
            if echo:
                print(line, end="", flush=True)
            if on_line is not None and line.startswith(WARM_MARK):
                on_line(line)

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
    """Stop Voilà and every kernel, whatever signals they ignore (see ``processes.stop_group``)."""
    stop_group(process, timeout)
