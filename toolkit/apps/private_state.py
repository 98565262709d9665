"""What the participant server keeps between starts, in the workshop's private folder beside its store.

The cookie secret (so a restart keeps everyone signed in), a working folder per process (swept
when its process is gone), and the short-named folder where kernels listen on Unix sockets.
The folder itself is ``toolkit.store.location.private_dir``, shared with an SQLite store's own secret.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from toolkit.store.location import private_dir

__all__ = ["COOKIE_SECRET", "cookie_secret_file", "private_dir", "run_folder", "sockets_folder", "write_private_text"]

COOKIE_SECRET = "cookie_secret"


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only (0600), atomically: a crash leaves the old file or the new."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    os.replace(tmp, path)


def cookie_secret_file(state: Path) -> Path:
    """The secret that signs participants' login cookies, made once per workshop and kept (0600).

    Voilà draws a new one at every start. After a restart every browser's cookie was then
    invalid, and the old page's last requests (its kernel reconnecting, the shutdown beacon
    sent as it unloads) came back clearing the cookie the reload had just been given: the
    new page's kernel calls were refused and its join form never came. Kept, the cookie
    stays valid across a restart with the same store.
    """
    path = state / COOKIE_SECRET
    try:
        os.chmod(path, 0o600)
        if len(bytes.fromhex(path.read_text(encoding="ascii").strip())) >= 32:
            return path
    except (OSError, ValueError):
        pass  # none yet, or a damaged one: make a new one
    write_private_text(path, secrets.token_hex(32) + "\n")
    return path


RUN_PREFIX = "run-"


def run_folder(state: Path) -> Path:
    """A new working folder for this process in the private state, after removing those of dead processes.

    A server killed hard (a crash, a pulled plug) cannot clean up after itself; the next
    start does, so no copy of the notebooks, token or connection file stays behind for long.
    """
    for old in state.glob(f"{RUN_PREFIX}*"):
        pid = old.name.removeprefix(RUN_PREFIX)
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    path = state / f"{RUN_PREFIX}{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700)
    return path


SOCKETS_PREFIX = "attune-kernels-"
#: Longest folder for kernel sockets: Voilà adds voila_XXXXXXXX/kernel-<uuid>-ipc-N (65 characters)
#: and a Unix socket's path has at most 107.
SOCKETS_DIR_MAX = 107 - 65


def sockets_folder() -> Path | None:
    """A new owner-only folder where kernels listen on Unix sockets instead of loopback TCP ports.

    With TCP, Voilà picks five free ports for each kernel and the kernel binds them a moment
    later; if anything else took one in between (the machine opens ports all the time), the
    kernel died at start and the page it was preparing never became usable. Sockets in a
    folder of our own cannot be taken, and no other user of the machine can reach them. The
    folder is short-named in the temporary directory (socket paths are limited in length);
    those of dead servers are removed. None where sockets cannot be used (Windows, or a
    temporary directory with too long a path): kernels then use TCP.
    """
    import tempfile

    base = Path(tempfile.gettempdir())
    if os.name != "posix" or len(str(base)) + len(SOCKETS_PREFIX) + 20 > SOCKETS_DIR_MAX:
        return None
    for old in base.glob(f"{SOCKETS_PREFIX}*-*"):
        pid = old.name.removeprefix(SOCKETS_PREFIX).split("-")[0]
        if pid.isdigit() and not _alive(int(pid)) and old.stat().st_uid == os.getuid():
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{SOCKETS_PREFIX}{os.getpid()}-", dir=base))  # mode 0700


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
