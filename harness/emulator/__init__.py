"""Executable model of the Moonshot/Kimi upstream API (loopback only, stdlib only).

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`, `targets`, `engine`, `online`.
"""

from .clock import DEFAULT_EPOCH, FixedClock, ManualClock
from .reply import Reply
from .serve import serve_forever
from .server import Emulator

__all__ = ["DEFAULT_EPOCH", "Emulator", "FixedClock", "ManualClock", "Reply", "serve_forever"]
