"""The printed link must reach the phones: the address is chosen from the interfaces, not the host name.

Faked interface tables only; nothing binds to a non-loopback address.
"""

from __future__ import annotations

import socket
from types import SimpleNamespace

from toolkit.apps import netinfo
from toolkit.core.address import Interface, choose_address

LO = Interface("lo", "127.0.0.1")


def test_only_loopback_says_so():
    choice = choose_address([LO], default_route=None)
    assert choice.address == "127.0.0.1" and choice.loopback_only and choice.others == ()


def test_loopback_and_a_lan_picks_the_lan():
    choice = choose_address([LO, Interface("wlan0", "192.168.1.23")], default_route="wlan0")
    assert choice.address == "192.168.1.23" and not choice.loopback_only


def test_the_default_route_wins_over_another_private_network_and_the_others_are_listed():
    table = [LO, Interface("docker0", "172.17.0.1"), Interface("wlan0", "192.168.1.23"), Interface("eth0", "10.0.0.5")]
    choice = choose_address(table, default_route="wlan0")
    assert choice.address == "192.168.1.23"
    assert choice.others == (("docker0", "172.17.0.1"), ("eth0", "10.0.0.5"))


def test_without_a_default_route_private_ranges_come_first():
    table = [Interface("eth0", "192.0.2.2"), Interface("wlan0", "192.168.4.7")]
    assert choose_address(table).address == "192.168.4.7"


def test_down_link_local_and_malformed_interfaces_are_never_chosen():
    table = [LO, Interface("wlan0", "192.168.1.23", up=False), Interface("eth1", "169.254.3.3"), Interface("x", "nope")]
    assert choose_address(table, default_route="wlan0").loopback_only


def test_a_host_name_on_127_0_1_1_does_not_hide_the_lan(monkeypatch):
    """Debian's /etc/hosts maps the host name to 127.0.1.1: the choice never asks it."""
    monkeypatch.setattr(socket, "gethostbyname", lambda name: "127.0.1.1")
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 0, 0, "", ("127.0.1.1", 0))])
    fake = SimpleNamespace(
        net_if_addrs=lambda: {"lo": [SimpleNamespace(family=socket.AF_INET, address="127.0.0.1")],
                              "wlp2s0": [SimpleNamespace(family=socket.AF_INET, address="192.168.0.42"),
                                         SimpleNamespace(family=socket.AF_INET6, address="fe80::1")]},
        net_if_stats=lambda: {"lo": SimpleNamespace(isup=True), "wlp2s0": SimpleNamespace(isup=True)})
    monkeypatch.setitem(__import__("sys").modules, "psutil", fake)
    monkeypatch.setattr(netinfo, "default_route_interface", lambda: "wlp2s0")
    choice = netinfo.lan_address()
    assert choice.address == "192.168.0.42" and not choice.loopback_only


def test_the_default_route_is_read_from_the_routing_table(tmp_path):
    table = tmp_path / "route"
    table.write_text("Iface\tDestination\tGateway\tFlags\n"
                     "docker0\t000011AC\t00000000\t0001\n"
                     "wlan0\t00000000\t0101A8C0\t0003\n")
    assert netinfo.default_route_interface(table) == "wlan0"
    assert netinfo.default_route_interface(tmp_path / "missing") is None


def _serve_printing(monkeypatch, capsys, tmp_path, choice, *args):
    """What `attune serve` prints before it starts Voilà, with the interfaces faked and nothing started."""
    from toolkit.apps import cli, server

    monkeypatch.setattr(netinfo, "lan_address", lambda: choice)
    seen = {}

    def fake_serve(plan, *, on_ready=None, **_):
        seen["host"] = plan.host
        on_ready(plan, plan.store.parent)
        return 0

    monkeypatch.setattr(server, "serve", fake_serve)
    assert cli.main(["serve", "--no-browser", "--store", str(tmp_path / "store.sqlite"), *args]) == 0
    out = capsys.readouterr()
    return seen["host"], out.out, out.err


def test_serve_on_loopback_only_says_so_loudly_and_explains_host(monkeypatch, capsys, tmp_path):
    from toolkit.core.address import AddressChoice

    host, out, err = _serve_printing(monkeypatch, capsys, tmp_path, AddressChoice("127.0.0.1", (), True))
    assert host == "127.0.0.1" and "http://127.0.0.1:" in out
    assert "no phone can open this link" in err and "--host" in err


def test_serve_prints_the_lan_link_and_lists_the_other_addresses(monkeypatch, capsys, tmp_path):
    from toolkit.core.address import AddressChoice

    choice = AddressChoice("192.168.1.23", (("eth0", "10.0.0.5"),), False)
    host, out, err = _serve_printing(monkeypatch, capsys, tmp_path, choice)
    assert host == "192.168.1.23" and "http://192.168.1.23:" in out and err == ""
    assert "10.0.0.5 (eth0)" in out
