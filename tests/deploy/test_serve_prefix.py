"""`attune serve --base-url`: the participant pages under a proxy's prefix (JupyterHub's /user/NAME/SERVER/)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from toolkit.apps import server
from toolkit.apps.cli import build_parser
from toolkit.apps.server import DEVICE_COOKIE, ServerPlan, device_header


def test_the_printed_link_and_voila_carry_the_prefix(tmp_path):
    plan = ServerPlan(notebooks=[Path("10_closeness.ipynb")], store=tmp_path / "s.sqlite", host="127.0.0.1",
                      port=8866, token="t0k", base_url="/user/alice/spring/")
    assert plan.url == "http://127.0.0.1:8866/user/alice/spring/?token=t0k"
    assert "--Voila.base_url=/user/alice/spring/" in plan.voila_command(tmp_path, tmp_path)


def test_on_a_laptop_nothing_changes(tmp_path):
    plan = ServerPlan(notebooks=[Path("10_closeness.ipynb")], store=tmp_path / "s.sqlite", host="127.0.0.1",
                      port=8866, token="t0k")
    assert plan.url == "http://127.0.0.1:8866/?token=t0k"
    assert "--Voila.base_url=/" in plan.voila_command(tmp_path, tmp_path)


def test_the_refusal_page_lives_under_the_prefix_too():
    # Voilà adds the sign-in routes without its prefix; a visitor without the token is sent to PREFIX/login.
    from traitlets.config import Configurable

    class Voila(Configurable):
        server_url = "/user/alice/spring/"

    provider = server.WorkshopIdentityProvider(parent=Voila())
    paths = [path for path, _ in provider.get_handlers()]
    assert "/user/alice/spring/login" in paths and all(p.startswith("/user/alice/spring/") for p in paths)
    assert "/login" in [path for path, _ in server.WorkshopIdentityProvider().get_handlers()]


def test_the_device_cookie_stays_with_its_workshop():
    sent = {}
    headers = {}
    handler = SimpleNamespace(request=SimpleNamespace(headers=headers, protocol="http"), base_url="/user/alice/spring/",
                              get_cookie=lambda name: None,
                              set_cookie=lambda name, value, **options: sent.update(options, name=name))
    device_header(handler)
    assert sent["name"] == DEVICE_COOKIE and sent["path"] == "/user/alice/spring/"


def test_the_command_takes_the_prefix():
    args = build_parser().parse_args(["serve", "--base-url", "user/alice/spring"])
    assert args.base_url == "user/alice/spring" and args.token is None
