"""Block outbound network access, loopback excepted (`--kimi-block-network`, and replay mode).

Patches `socket.socket.connect` / `connect_ex` and `socket.getaddrinfo`, so any attempt to
reach a non-loopback host fails at once with an error naming the host — instead of a silent
real request from a test that was meant to replay a cassette.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

from harness.util.net import is_loopback_host

_lock = threading.RLock()
_depth = 0
_saved: dict[str, Any] = {}  # the real socket functions, put back by unblock()


class NetworkBlocked(OSError):
    """Raised instead of connecting to a non-loopback host."""

    def __init__(self, host, port=None, why: str = ""):
        where = f"{host}:{port}" if port is not None else str(host)
        super().__init__(
            f"network access to {where} is blocked by kimi-conformance"
            f"{' (' + why + ')' if why else ''}: only loopback hosts (e.g. the emulator) are reachable. "
            "Replay runs read cassettes; to talk to a real endpoint use --kimi-live (and --kimi-record-mode to re-record)."
        )
        self.host, self.port = host, port


def _allowed(host) -> bool:
    if host is None or host == "":
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return is_loopback_host(str(host))


def _address_host(address):
    if isinstance(address, tuple) and address:
        return address[0], (address[1] if len(address) > 1 else None)
    return None, None  # AF_UNIX path or other families: local


def is_blocked() -> bool:
    return _depth > 0


def block(why: str = "") -> None:
    """Start blocking (nestable; each block() needs an unblock())."""
    global _depth
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo
        _saved.update(connect=real_connect, connect_ex=real_connect_ex, getaddrinfo=real_getaddrinfo)

        def connect(self, address):
            host, port = _address_host(address)
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(host):
                raise NetworkBlocked(host, port, why)
            return real_connect(self, address)

        def connect_ex(self, address):
            host, port = _address_host(address)
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(host):
                raise NetworkBlocked(host, port, why)
            return real_connect_ex(self, address)

        def getaddrinfo(host, port, *args, **kwargs):
            if not _allowed(host):
                raise NetworkBlocked(host, port, why)
            return real_getaddrinfo(host, port, *args, **kwargs)

        # Patching the class is the point of this module; mypy forbids assigning to methods.
        socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = getaddrinfo


def unblock() -> None:
    global _depth
    with _lock:
        if _depth == 0:
            return
        _depth -= 1
        if _depth == 0:
            socket.socket.connect = _saved["connect"]  # type: ignore[method-assign]  # restoring the patch
            socket.socket.connect_ex = _saved["connect_ex"]  # type: ignore[method-assign]  # restoring the patch
            socket.getaddrinfo = _saved["getaddrinfo"]


@contextlib.contextmanager
def blocked(why: str = "") -> Iterator[None]:
    block(why)
    try:
        yield
    finally:
        unblock()
