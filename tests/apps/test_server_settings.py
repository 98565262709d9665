"""What the participant server tells Voilà and the browser: a day-long Strict sign-in, limits, culling."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from toolkit.apps import server
from toolkit.apps.server import CULL_IDLE_S, MAX_WS_MESSAGE, ServerPlan, end_of_day


def test_the_sign_in_expires_at_the_end_of_the_workshop_day():
    local = timezone(timedelta(hours=1))
    assert end_of_day(datetime(2026, 11, 29, 14, 5, tzinfo=local)) == datetime(2026, 11, 30, 0, 0, tzinfo=local)
    assert end_of_day(datetime(2026, 11, 29, 23, 59, tzinfo=local)) == datetime(2026, 11, 30, 0, 0, tzinfo=local)


def test_the_sign_in_cookie_is_strict_http_only_and_ends_with_the_day():
    provider = server.WorkshopIdentityProvider()
    sent = {}
    handler = SimpleNamespace(request=SimpleNamespace(protocol="http", host="127.0.0.1:8866"), base_url="/",
                              cookie_name="attune-login",
                              set_secure_cookie=lambda name, value, **options: sent.update(options, name=name))
    from jupyter_server.auth import User

    provider.set_login_cookie(handler, User(username="participant"))
    assert sent["samesite"] == "Strict" and sent["httponly"] is True
    assert sent["expires"] == end_of_day()


def test_voila_is_told_the_message_limit_and_to_cull_idle_kernels(tmp_path):
    plan = ServerPlan(notebooks=[Path("10_closeness.ipynb")], store=tmp_path / "s.sqlite", host="127.0.0.1", port=8866)
    command = " ".join(plan.voila_command(tmp_path, tmp_path))
    assert f"'websocket_max_message_size': {MAX_WS_MESSAGE}" in command and MAX_WS_MESSAGE == 2 * 1024 * 1024
    assert f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}" in command and CULL_IDLE_S >= 20 * 60
