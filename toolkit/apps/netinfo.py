"""This machine's interfaces and default route, read without sending a packet (the shell of core.address)."""

from __future__ import annotations

from pathlib import Path

from toolkit.core.address import AddressChoice, Interface, choose_address

ROUTE_TABLE = Path("/proc/net/route")


def interfaces() -> list[Interface]:
    """Every IPv4 address of every interface, with whether the interface is up."""
    import socket

    import psutil

    stats = psutil.net_if_stats()
    return [Interface(name, a.address, stats[name].isup if name in stats else False)
            for name, addrs in psutil.net_if_addrs().items() for a in addrs if a.family == socket.AF_INET]


def default_route_interface(table: Path = ROUTE_TABLE) -> str | None:
    """The interface of the default route (destination 0.0.0.0) from Linux's routing table, if readable."""
    try:
        lines = table.read_text().splitlines()[1:]
    except OSError:
        return None  # not Linux: the ranking falls back to private ranges
    for line in lines:
        fields = line.split()
        if len(fields) > 1 and fields[1] == "00000000":
            return fields[0]
    return None


def lan_address() -> AddressChoice:
    """The address to print for the phones in the room (see toolkit.core.address)."""
    return choose_address(interfaces(), default_route_interface())
