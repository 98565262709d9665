"""Test-wide settings that notebook kernels inherit (they are child processes of pytest)."""

import os
import tempfile

# Notebooks run under nbval write to a throw-away store, never to the facilitator's.
os.environ.setdefault("ATTUNE_STORE", os.path.join(tempfile.mkdtemp(prefix="attune-tests-"), "store.sqlite"))
os.environ.setdefault("ATTUNE_LOCALE", "en-GB")
