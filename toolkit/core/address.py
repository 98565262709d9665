"""Which address to print for the phones in the room: a pure choice over this machine's interfaces.

The host name is no guide (a Debian laptop maps it to 127.0.1.1, a container to 127.0.0.1), so
the shell reads the interface table and the interface that holds the default route, and this
module decides: an address on the default route's interface first, private ranges (RFC 1918,
where home and hotspot Wi-Fi live) before others, never loopback or link-local unless nothing
else exists, and then the caller must say so loudly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


@dataclass(frozen=True)
class Interface:
    name: str
    address: str  # IPv4, dotted
    up: bool = True


@dataclass(frozen=True)
class AddressChoice:
    address: str  # what to print and bind
    others: tuple[tuple[str, str], ...]  # (interface, address) a facilitator could pass to --host instead
    loopback_only: bool  # no phone can reach this machine: say so and explain --host


def choose_address(interfaces: Iterable[Interface], default_route: str | None = None) -> AddressChoice:
    """The best address for phones on the same network, with the alternatives in order."""
    usable = []
    for iface in interfaces:
        try:
            ip = ipaddress.IPv4Address(iface.address)
        except ValueError:
            continue
        if iface.up and not (ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast):
            usable.append((iface, ip))
    if not usable:
        return AddressChoice(LOOPBACK, (), True)

    def rank(entry):
        iface, ip = entry
        return (iface.name != default_route, not any(ip in net for net in _PRIVATE), iface.name, int(ip))

    ranked = sorted(usable, key=rank)
    best = ranked[0][0].address
    return AddressChoice(best, tuple((i.name, i.address) for i, _ in ranked[1:]), False)
