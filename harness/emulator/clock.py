"""The emulator's clock: fixed unless told to move, so recorded bytes are reproducible."""

from __future__ import annotations

DEFAULT_EPOCH = 1787685097  # created of a real capture (moonshotai-k2.7-tool-choice-omitted.json)


class FixedClock:
    """Clock that only moves when told to; the default, so tests are reproducible."""

    def __init__(self, t: float = DEFAULT_EPOCH):
        self.t = float(t)

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


ManualClock = FixedClock
