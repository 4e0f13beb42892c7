"""Executable model of the Moonshot/Kimi upstream API (loopback only, stdlib only)."""
from .server import DEFAULT_EPOCH, Emulator, FixedClock, ManualClock, Reply, serve_forever

__all__ = ["DEFAULT_EPOCH", "Emulator", "FixedClock", "ManualClock", "Reply", "serve_forever"]
