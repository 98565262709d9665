"""`attune dashboard` starts JupyterLab on this computer only, opened on the dashboard notebook."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from toolkit.apps.dashboard_server import start_dashboard

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def test_dashboard_answers_on_loopback_with_its_token(tmp_path):
    handle = start_dashboard(tmp_path / "store.sqlite", NOTEBOOKS, open_browser=False)
    try:
        assert handle.url.startswith("http://127.0.0.1:") and "token=" in handle.url
        status = None
        for _ in range(60):
            try:
                with urllib.request.urlopen(handle.url, timeout=2) as response:
                    status = response.status
                break
            except OSError:
                assert handle.process.poll() is None, "JupyterLab exited instead of serving the dashboard"
                time.sleep(1)
        assert status == 200
    finally:
        handle.stop()
    assert handle.process.poll() is not None
