"""Addresses: whether a host is this machine (loopback), for the network guard and provenance."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
