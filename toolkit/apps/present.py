"""``attune present SESSION``: a session as live slides (jupyterlab-rise) on this computer, code run first.

What it does, and why each step is needed:

* The notebook is copied into a folder of its own, so that the outputs of the run never
  land in the workshop's notebooks (they are committed without outputs).
* JupyterLab starts on 127.0.0.1 with a token, on that folder, and the session's kernel runs
  every code cell in order, the parameters cell first (what "Run All" does). The widgets then
  live in that kernel; the slides connect to the same kernel and show them live.
* The browser opens on ``/rise/<notebook>``: the jupyterlab-rise slide view, with the
  notebook-level ``rise`` metadata (no code on the slides, start at the first slide).

jupyterlab-rise 0.43.1 (the newest release) shows widgets as text (``JoinForm(children=...``)
because its slide page is a separate app built against JupyterLab 4.3, whose shared modules
lack ``@jupyterlab/console``; the ipywidgets manager (jupyterlab_widgets 3.0.16 and later)
asks for it, fails to load there ("Shared module @jupyterlab/console doesn't exist in shared
scope default"), and no widget renderer is registered (jupyterlab-contrib/rise#119, #126).
``write_console_shim`` writes a tiny lab extension that puts a stand-in for that module
(only the ``IConsoleTracker`` token the manager names as optional) into the slide page's
shared scope; it is given to the slide app only, never to JupyterLab's main page.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.apps.processes import stop_group, stop_with_parent, wait_then_stop
from toolkit.errors import AttuneError

SHIM_NAME = "attune-rise-console-shim"
# A version below every real @jupyterlab/console: where the real one is shared (JupyterLab's
# main page), a singleton resolves to the real one, never to this stand-in.
SHIM_VERSION = "0.0.1"

# A webpack module-federation container, as `jupyter labextension build` makes one, by hand:
# init() adds the stand-in module to the shared scope; its extension has no plugins.
SHIM_REMOTE_ENTRY = """\
var _JUPYTERLAB;
(function () {
  "use strict";
  _JUPYTERLAB = _JUPYTERLAB || {};
  var NAME = "%(name)s", KEY = "@jupyterlab/console", VERSION = "%(version)s";
  function highest(versions) {
    return Object.keys(versions).sort(function (a, b) {
      var x = a.split(/[.-]/).map(Number), y = b.split(/[.-]/).map(Number);
      for (var i = 0; i < 3; i++) { if ((x[i] || 0) !== (y[i] || 0)) { return (x[i] || 0) - (y[i] || 0); } }
      return 0;
    }).pop();
  }
  _JUPYTERLAB[NAME] = {
    init: function (scope) {
      if (scope[KEY] && Object.keys(scope[KEY]).length) { return; }  // the real one is there
      var made = null;
      scope[KEY] = {};
      scope[KEY][VERSION] = {
        from: NAME, eager: false, loaded: 1,
        get: function () {
          var lumino = scope["@lumino/coreutils"];
          return lumino[highest(lumino)].get().then(function (factory) {
            var Token = factory().Token;
            made = made || { IConsoleTracker: new Token(KEY + ":IConsoleTracker", "stand-in (attune present)") };
            return function () { return made; };
          });
        }
      };
    },
    get: function (module) {
      return Promise.resolve(function () { return { __esModule: true, "default": [] }; });
    }
  };
})();
"""


class PresentError(AttuneError):
    pass


def write_console_shim(folder: Path) -> Path:
    """A lab-extensions folder holding the stand-in extension (see the module's docstring)."""
    target = folder / SHIM_NAME
    (target / "static").mkdir(parents=True, exist_ok=True)
    package = {"name": SHIM_NAME, "version": SHIM_VERSION,
               "description": "Shares a stand-in @jupyterlab/console with the jupyterlab-rise slide page",
               "jupyterlab": {"_build": {"load": "static/remoteEntry.js", "extension": "./extension"}}}
    (target / "package.json").write_text(json.dumps(package, indent=1), encoding="utf-8")
    (target / "static" / "remoteEntry.js").write_text(
        SHIM_REMOTE_ENTRY % {"name": SHIM_NAME, "version": SHIM_VERSION}, encoding="utf-8")
    return folder


def find_session(session: str, folder: Path) -> Path:
    """A notebook path, or a session's number or name in ``folder`` (``01``, ``01_recognizing``)."""
    path = Path(session)
    if path.suffix == ".ipynb" and path.is_file():
        return path
    if path.suffix == ".md" and path.with_suffix(".ipynb").is_file():
        return path.with_suffix(".ipynb")
    matches = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.stem == session or p.stem.startswith(session))
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(p.stem for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")))
    if not matches:
        raise PresentError(f"no session {session!r} in {folder} (sessions: {names})")
    raise PresentError(f"{session!r} names several sessions in {folder}: {', '.join(p.stem for p in matches)}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Presentation:
    """JupyterLab serving one session's copy, its kernel having run the code; ``url`` opens the slides."""

    notebook: Path  # the copy that is presented
    folder: Path
    port: int
    token: str
    process: subprocess.Popen
    kernel_id: str = ""
    log_path: Path | None = None
    ran: list[int] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/rise/{self.notebook.name}?token={self.token}"

    @property
    def lab_url(self) -> str:
        return f"{self.base}/lab/tree/{self.notebook.name}?token={self.token}"

    def _api(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PresentError(f"JupyterLab exited ({self.process.returncode}); see {self.log_path}")
            try:
                self._api("GET", "/api/status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        raise PresentError(f"JupyterLab did not start within {timeout:.0f} s; see {self.log_path}")

    def run_all(self, timeout: float = 180.0) -> None:
        """Start the notebook's kernel (a session for its path, which the slides then join) and run
        every code cell in order, as Run All does; the outputs go into the copy."""
        import nbformat
        from jupyter_client import BlockingKernelClient

        session = self._api("POST", "/api/sessions", {"path": self.notebook.name, "name": self.notebook.name,
                                                      "type": "notebook", "kernel": {"name": "python3"}})
        self.kernel_id = session["kernel"]["id"]
        connection = self.folder / "runtime" / f"kernel-{self.kernel_id}.json"
        deadline = time.monotonic() + 60
        while not connection.exists():
            if time.monotonic() > deadline:
                raise PresentError(f"the kernel's connection file {connection} did not appear")
            time.sleep(0.1)
        client = BlockingKernelClient(connection_file=str(connection))
        client.load_connection_file()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            nb = nbformat.read(self.notebook, as_version=4)
            count = 0
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                outputs: list = []

                def collect(msg, outputs=outputs):
                    kind = msg["header"]["msg_type"]
                    if kind == "clear_output":
                        outputs.clear()
                    elif kind in ("stream", "display_data", "execute_result", "error"):
                        outputs.append(nbformat.v4.output_from_msg(msg))

                reply = client.execute_interactive(cell.source, timeout=timeout, output_hook=collect,
                                                   allow_stdin=False)
                count += 1
                cell.outputs = outputs
                cell.execution_count = reply["content"].get("execution_count", count)
                self.ran.append(index)
                if reply["content"]["status"] != "ok":
                    content = reply["content"]
                    raise PresentError(f"cell {index + 1} of {self.notebook.name} failed: "
                                       f"{content.get('ename')}: {content.get('evalue')}")
            # Outputs from a file show only if the notebook is trusted (signed), as after Run All and
            # Save in JupyterLab; unsigned, the widget views fall back to their text form.
            from nbformat.sign import NotebookNotary

            NotebookNotary().sign(nb)
            nbformat.write(nb, self.notebook)
        finally:
            client.stop_channels()

    def wait(self) -> int:
        """Until JupyterLab ends, or Ctrl-C, SIGTERM or SIGHUP here, which stop it."""
        return wait_then_stop(self.process, self.stop)

    def stop(self, timeout: float = 15.0) -> None:
        stop_group(self.process, timeout)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_presentation(notebook: Path, *, store: Path | None = None, port: int | None = None,
                       log: Path | None = None) -> Presentation:
    """Copy ``notebook``, start JupyterLab (loopback, token) with the slide view able to show widgets,
    and run the copy's code. The caller opens ``url`` and later calls ``stop`` (or ``wait``)."""
    if not notebook.is_file():
        raise PresentError(f"{notebook} not found")
    folder = Path(tempfile.mkdtemp(prefix="attune-present-"))
    (folder / "runtime").mkdir()
    copy = folder / "slides" / notebook.name
    copy.parent.mkdir()
    shutil.copy(notebook, copy)
    shim = write_console_shim(folder / "rise-extensions")
    port = port or _free_port()
    token = secrets.token_urlsafe(12)
    env = dict(os.environ, JUPYTER_TOKEN=token, JUPYTER_RUNTIME_DIR=str(folder / "runtime"))
    if store is not None:
        env["ATTUNE_STORE"] = str(store)
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={copy.parent}",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.open_browser=False",
               # the stand-in goes to the slide app only, served from its own address
               f"--RiseApp.extra_labextensions_path={shim}", "--RiseApp.labextensions_url=/rise-extensions/"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path = log or folder / "jupyterlab.log"
    with open(log_path, "ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, preexec_fn=stop_with_parent)
    presentation = Presentation(copy, folder, port, token, process, log_path=log_path)
    try:
        presentation.wait_ready()
        presentation.run_all()
    except BaseException:
        log_text = log_path.read_text(encoding="utf-8", errors="replace")[-2000:] if log_path.exists() else ""
        presentation.stop()
        if log_text and not isinstance(sys.exc_info()[1], KeyboardInterrupt):
            print(log_text, file=sys.stderr)
        raise
    return presentation
