"""`kimi-conformance emulator serve`: the emulator on 127.0.0.1 with the real clock, until a signal."""

from __future__ import annotations

import signal
import sys
import threading
import time

from .server import Emulator


def serve_forever(port: int = 0, *, seed: int = 0, rpm: int | None = None, **kwargs) -> None:
    """Serve on 127.0.0.1 with the real clock until SIGINT/SIGTERM; prints the Moonshot base URL
    first (the Kimi Coding one, its sibling .../coding/v1, on the second line)."""
    emu = Emulator(seed=seed, rpm=rpm, clock=time.time, **kwargs)
    if emu.faults:
        print(f"faults: {emu.faults.describe()} (seed {emu.faults.seed})", file=sys.stderr, flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(emu.start(port), flush=True)
    print(emu.coding_base_url, flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        emu.stop()
