"""Servers in processes of their own (Voilà, JupyterLab), stopped and reaped whatever happens.

The servers run in sessions of their own so that a Ctrl-C in the terminal reaches only
``attune``, which then stops them in order. That leaves ``attune`` responsible for them:
every signal that ends it must stop them first, and stopping must work whatever the signal
dispositions they inherited (a script or service manager starts things with SIGINT ignored).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time

#: What stops a server like Ctrl-C: a service manager's or ``kill``'s SIGTERM, a closed terminal's SIGHUP.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def catch_stop_signals() -> dict:
    """Turn SIGTERM, SIGHUP and SIGINT into KeyboardInterrupt; returns the handlers replaced.

    A signal ignored by whoever started us (SIGINT from a script, SIGHUP under nohup) stays
    ignored; SIGTERM never is. After the first one they are all held (ignored) so that the
    cleanup it starts is not cut short; ``restore`` puts the old handlers back. Nothing is
    replaced outside the main thread, where handlers cannot be set.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict = {}

    def interrupt(signum, frame):
        hold(previous)
        raise KeyboardInterrupt

    for sig in STOP_SIGNALS:
        if sig == signal.SIGTERM or signal.getsignal(sig) is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, interrupt)
    return previous


def hold(previous: dict) -> None:
    """Ignore the caught signals for a while (during a cleanup)."""
    for sig in previous:
        signal.signal(sig, signal.SIG_IGN)


def restore(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def wait_then_stop(process: subprocess.Popen, stop) -> int:
    """Wait for ``process``; on its end, or Ctrl-C, SIGTERM or SIGHUP here, call ``stop()``.

    A server runs in a session of its own: a signal that ended only this process would leave it
    running, token and all, with nobody to stop it. A second signal cannot cut the cleanup short.
    """
    previous = catch_stop_signals()
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        hold(previous)
        stop()
        restore(previous)


def stop_with_parent() -> None:
    """``preexec_fn`` of a server: SIGTERM it when ``attune`` dies, even by SIGKILL, so that it shuts
    its kernels down rather than running on with nobody to stop it (Linux; elsewhere nothing)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_group(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop a server started with ``start_new_session``: SIGTERM its group, wait, SIGKILL, wait, reap.

    SIGTERM rather than SIGINT: a server started in the background inherits SIGINT ignored,
    and Voilà and JupyterLab handle SIGTERM by shutting their kernels down. Kernels run in
    sessions of their own (jupyter_client), out of reach of a signal to the server's group,
    so those still running once the server has gone (it was killed, or left one) are killed.
    """
    kernels = descendants(process.pid)
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=timeout)
    kill_all(kernels)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def descendants(pid: int) -> list:
    """The processes below ``pid`` (psutil objects), those that have ended already left out."""
    import psutil

    try:
        return [proc for proc in psutil.Process(pid).children(recursive=True) if running(proc)]
    except psutil.Error:
        return []


def running(proc) -> bool:
    """Whether a psutil process still runs: a zombie (ended, not yet reaped by its parent) does not."""
    import psutil

    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def kill_all(processes: list, timeout: float = 10.0) -> None:
    """SIGKILL those of ``processes`` still running and wait until they have ended."""
    import psutil

    alive = [proc for proc in processes if running(proc)]
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [proc for proc in alive if running(proc)]
        if not alive:
            return
        psutil.wait_procs(alive, timeout=0.2)  # reaps our own children; others are reaped by init
