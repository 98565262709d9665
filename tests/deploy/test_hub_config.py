"""deploy/jupyterhub: the hub's pieces without a hub (names, the start form, kernel limits, the configuration)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "jupyterhub"))
import attune_hub  # noqa: E402
from attune_hub import HubSettings  # noqa: E402


def test_workshops_and_roles_are_named_after_the_facilitator():
    assert attune_hub.workshop_id("alice", "spring") == "alice-spring"
    assert attune_hub.workshop_id("Ana.María@example.org", "Tuesday group") == "ana-mar-a-example-org-tuesday-group"
    assert attune_hub.facilitator_role("Ana.María@example.org") == "attune_ana_mar_a_example_org"
    assert len(attune_hub.workshop_id("a" * 80, "b" * 80)) <= 63


def test_servers_get_a_url_without_the_password_and_passwords_differ_per_role(tmp_path):
    settings = HubSettings(state=tmp_path, db_admin_url="postgresql://owner:s3cret@db.internal:5432/attune")
    url = attune_hub.server_db_url(settings, "attune_alice", "alice-spring")
    assert url == "postgresql://attune_alice@db.internal:5432/attune?workshop=alice-spring"
    secret = attune_hub.hub_secret(settings)
    assert attune_hub.hub_secret(settings) == secret and (tmp_path / "role_secret").stat().st_mode & 0o077 == 0
    assert attune_hub.role_password(secret, "attune_alice") != attune_hub.role_password(secret, "attune_bob")


def test_the_start_form_is_checked(tmp_path):
    settings = HubSettings(state=tmp_path, room=30)
    options = attune_hub.options_from_form({"session": ["01"], "lang": ["es"], "room": ["12"], "next": ["/hub/home"]})
    assert attune_hub._checked_options(options, settings) == {"session": "01", "lang": "es", "room": 12}
    assert attune_hub._checked_options({}, settings) == {"session": "", "lang": "en", "room": 30}
    for bad in ({"session": "1; rm"}, {"lang": "fr"}, {"room": "0"}):
        with pytest.raises(ValueError):
            attune_hub._checked_options(bad, settings)


def test_participant_kernels_run_under_limits(tmp_path):
    settings = HubSettings(state=tmp_path, kernel_memory_mb=700, kernel_files=128, python="/opt/attune/bin/python")
    spec = json.loads((attune_hub.kernel_spec_dir(settings) / "kernels" / "python3" / "kernel.json").read_text())
    argv = spec["argv"]
    assert argv[0].endswith("prlimit") and f"--data={700 * 1024 * 1024}" in argv and "--core=0" in argv
    assert argv[argv.index("--") + 1:] == ["/opt/attune/bin/python", "-m", "ipykernel_launcher", "-f",
                                           "{connection_file}"]
    assert spec["env"]["OMP_NUM_THREADS"] == "1"


def test_the_configuration_culls_idle_servers_and_allows_workshops(tmp_path, monkeypatch):
    from traitlets.config import Config

    for key in [k for k in __import__("os").environ if k.startswith("ATTUNE_HUB_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ATTUNE_HUB_STATE", str(tmp_path))
    monkeypatch.setenv("ATTUNE_HUB_CULL_AFTER", "1800")
    monkeypatch.setenv("ATTUNE_HUB_SSL_CERT", "/etc/attune/hub.crt")
    monkeypatch.setenv("ATTUNE_HUB_SSL_KEY", "/etc/attune/hub.key")
    c = Config()
    attune_hub.configure(c)
    assert c.JupyterHub.allow_named_servers is True
    culler = c.JupyterHub.services[0]
    assert culler["name"] == "idle-culler" and "--timeout=1800" in culler["command"]
    assert c.JupyterHub.ssl_cert == "/etc/attune/hub.crt" and c.JupyterHub.bind_url.startswith("https://")
    assert "authenticator_class" not in c.JupyterHub  # no demo logins unless asked for
