"""Many small choices from one Hypothesis draw: a fixed-size byte string read as decisions.

Why: a Hypothesis draw costs tens of microseconds whatever it draws (span bookkeeping, the
choice tree, filtered sampling), while a case is about a hundred small independent choices
(which text, which id pool, is this field present...). One `st.binary` of fixed size costs
about one draw plus a microsecond a byte, so a case costs little more than Hypothesis' own
per-example floor.

What is kept: each byte is uniform and Hypothesis owns it, so derandomized runs are
reproducible, failing cases are replayed from the database and shrunk. Each decision reads its
own byte(s) at a fixed offset (`block` reserves a fixed span whatever the reader takes from it),
so shrinking one byte changes one decision, not everything after it; and the byte -> option map
is monotone, so a byte shrunk toward 0 moves toward the first option: put the simplest first.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

INTEGER_BYTES = 4
MAX_UNIFORM = 32  # one byte per pick: up to 32 options, each is within ~15% of 1/n


class Choices:
    """Decisions read in order from a byte string; `block` gives a part a fixed-size window."""

    __slots__ = ("_raw", "_pos", "_end")

    def __init__(self, raw: bytes, start: int = 0, end: int | None = None) -> None:
        self._raw = raw
        self._pos = start
        self._end = len(raw) if end is None else end

    def _byte(self) -> int:
        if self._pos >= self._end:
            raise IndexError("a generation part read past its reserved bytes (its block size is too small)")
        b = self._raw[self._pos]
        self._pos += 1
        return b

    def below(self, n: int) -> int:
        """0..n-1, near-uniform up to MAX_UNIFORM options (split wider choices); 0 is the simplest."""
        if not 0 < n <= 256:
            raise ValueError(f"{n} options in one pick: split the choice")
        return self._byte() * n >> 8

    def pick(self, options: Sequence[T]) -> T:
        """One of `options` (weights by repetition); the first is the simplest."""
        return options[self.below(len(options))]

    def chance(self, k: int, n: int) -> bool:
        """True with probability k/n; False (the simplest) when the byte shrinks to 0."""
        return self.below(n) >= n - k

    def integer(self, lo: int, hi: int) -> int:
        """lo..hi in INTEGER_BYTES bytes, spread as Hypothesis spreads a wide integer: near lo,
        log-uniform (every magnitude), uniform, or near hi; all bytes 0 is lo."""
        kind, b1, b2, b3 = self.below(5), self._byte(), self._byte(), self._byte()
        span = hi - lo
        if kind == 0:
            return lo + min(b1, span)
        if kind in (1, 2):
            e = b1 * span.bit_length() >> 8
            return min(lo + (1 << e) - 1 + (((b2 << 8) | b3) << e >> 16), hi)
        if kind == 3:
            return lo + (((b1 << 16) | (b2 << 8) | b3) * (span + 1) >> 24)
        return hi - min(b1, span)

    def block(self, size: int) -> Choices:
        """The next `size` bytes as a reader of their own; this reader moves past all of them."""
        if self._pos + size > self._end:
            raise IndexError("a generation part reserved more bytes than its parent has")
        sub = Choices(self._raw, self._pos, self._pos + size)
        self._pos += size
        return sub


def salted(raw_bytes: bytes, salt: str) -> bytes:
    """`raw_bytes` rotated by an offset `salt` decides (crc32: the same in every process).

    Why: a derandomized run (the CI profile) feeds every parametrization of a test the same byte
    strings, so each model of a rule would see the same few cases; rotating them by the model
    gives each model its own. Each byte still makes one decision, and all zeros stay all zeros
    (the simplest case): shrinking and replaying from the database work as before."""
    if not raw_bytes:
        return raw_bytes
    k = zlib.crc32(salt.encode("utf-8")) % len(raw_bytes)
    return raw_bytes[k:] + raw_bytes[:k]


def raw(size: int) -> st.SearchStrategy[bytes]:
    """The byte string a reader of `size` bytes decodes (one choice in Hypothesis' terms)."""
    return _RAW.setdefault(size, st.binary(min_size=size, max_size=size))


_RAW: dict[int, st.SearchStrategy[bytes]] = {}
