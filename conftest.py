"""Test-wide settings that notebook kernels inherit (they are child processes of pytest)."""

import os
import shutil
import tempfile

# Notebooks run under nbval write to a throw-away store, never to the facilitator's. The folder is
# made once, by the first pytest process (xdist workers inherit the variable), and removed by it.
_MADE = None
if "ATTUNE_STORE" not in os.environ:
    _MADE = tempfile.mkdtemp(prefix="attune-tests-")
    os.environ["ATTUNE_STORE"] = os.path.join(_MADE, "store.sqlite")
os.environ.setdefault("ATTUNE_LOCALE", "en-GB")


def pytest_sessionfinish(session, exitstatus):
    if _MADE is not None and not hasattr(session.config, "workerinput"):
        shutil.rmtree(_MADE, ignore_errors=True)
