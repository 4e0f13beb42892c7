"""Fault plans for the emulator: `429:0.2,503:0.05,stall:0.01,truncate:0.02` (or a file).

A plan maps a fault to the probability that a request gets it. Which request gets which fault
is decided from a hash of (seed, method, path, body, how often this exact request was seen):
the same seed gives the same faults whatever order concurrent requests arrive in, and a retried
request draws again (so a 429 can clear on retry, as it does upstream).

Faults:
  429        engine_overloaded_error (retryable, no Retry-After: the client backs off itself)
  5xx        that status with a server error body (500, 502, 503, 504, ...)
  stall      headers (and the first half of the stream's events) are sent, then nothing until the
             client gives up (or `stall-seconds` pass, or the emulator stops)
  truncate   the body is cut mid-event (mid-JSON) and the connection closed

Setting (not a fault):
  stall-seconds:N   how long a stall holds the connection before dropping it (default 120: longer
                    than the harness's read deadline, so a stall is seen as one; a short one
                    plays a slow answer cut short instead)

The file form holds the same spec, or JSON: {"429": 0.2, "stall": 0.01}; `#` starts a comment.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("stall", "truncate")  # besides HTTP statuses
STALL_SECONDS = "stall-seconds"
DEFAULT_STALL_SECONDS = 120.0
SERVER_ERROR_TYPES = {500: "server_error", 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout"}


class FaultSpecError(ValueError):
    """A fault plan that cannot be read; the message names the spec or file and the culprit."""


@dataclass(frozen=True)
class FaultPlan:
    rates: dict[str, float] = field(default_factory=dict)  # "429" | "503" | "stall" | "truncate" -> p
    seed: int = 0
    stall_seconds: float = DEFAULT_STALL_SECONDS  # how long a stall holds the connection (cut short by stop())

    def __bool__(self) -> bool:
        return any(p > 0 for p in self.rates.values())

    def draw(self, method: str, path: str, raw: bytes, occurrence: int) -> str | None:
        """The fault this request gets, or None. Pure: same inputs, same answer."""
        if not self:
            return None
        h = hashlib.sha256(b"%d|%s|%s|%d|" % (self.seed, method.encode(), path.encode(), occurrence) + raw)
        u = int.from_bytes(h.digest()[:8], "big") / 2**64
        acc = 0.0
        for kind, p in self.rates.items():
            acc += p
            if u < acc:
                return kind
        return None

    def describe(self) -> str:
        parts = [f"{k}:{p:g}" for k, p in self.rates.items()]
        if self.stall_seconds != DEFAULT_STALL_SECONDS:
            parts.append(f"{STALL_SECONDS}:{self.stall_seconds:g}")
        return ",".join(parts) or "none"


def parse(spec: str, *, seed: int = 0, source: str | None = None) -> FaultPlan:
    """`429:0.2,503:0.05,stall:0.01,truncate:0.02` -> FaultPlan. Raises FaultSpecError."""
    where = source or f"fault spec {spec!r}"
    rates: dict[str, float] = {}
    stall_seconds = DEFAULT_STALL_SECONDS
    for part in (p.strip() for p in spec.replace("\n", ",").split(",")):
        if not part:
            continue
        kind, sep, value = part.partition(":")
        kind = kind.strip().lower()
        if not sep:
            raise FaultSpecError(f"{where}: {part!r} is not KIND:PROBABILITY (e.g. 429:0.2)")
        if kind.replace("_", "-") == STALL_SECONDS:
            try:
                stall_seconds = float(value)
            except ValueError:
                raise FaultSpecError(f"{where}: {STALL_SECONDS} is not a number: {value.strip()!r}") from None
            if not 0 < stall_seconds < float("inf"):
                raise FaultSpecError(
                    f"{where}: {STALL_SECONDS} must be a positive number of seconds, got {value.strip()}"
                )
            continue
        if kind not in KINDS and not (kind.isdigit() and (kind == "429" or 500 <= int(kind) <= 599)):
            raise FaultSpecError(f"{where}: unknown fault {kind!r} (429, 5xx, stall or truncate; or {STALL_SECONDS})")
        try:
            p = float(value)
        except ValueError:
            raise FaultSpecError(f"{where}: probability of {kind} is not a number: {value.strip()!r}") from None
        if not 0 <= p <= 1:
            raise FaultSpecError(f"{where}: probability of {kind} must be between 0 and 1, got {p:g}")
        rates[kind] = rates.get(kind, 0.0) + p
    if sum(rates.values()) > 1 + 1e-9:
        raise FaultSpecError(f"{where}: probabilities add up to {sum(rates.values()):g}, more than 1")
    return FaultPlan(rates, seed, stall_seconds)


def load(spec_or_file: str | None, *, seed: int = 0) -> FaultPlan:
    """A spec string, or the path of a file holding one (text or JSON object)."""
    if not spec_or_file:
        return FaultPlan(seed=seed)
    path = Path(spec_or_file)
    if ":" in spec_or_file and not path.is_file():
        return parse(spec_or_file, seed=seed)
    if not path.is_file():
        raise FaultSpecError(f"fault plan {spec_or_file}: no such file (or give KIND:PROBABILITY,...)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FaultSpecError(f"fault plan {path}: cannot read: {e}") from None
    lines = [ln.split("#", 1)[0] for ln in text.splitlines()]
    body = "\n".join(lines).strip()
    if body.startswith("{"):
        try:
            obj = json.loads(body)
        except ValueError as e:
            raise FaultSpecError(f"fault plan {path}: invalid JSON: {e}") from None
        body = ",".join(f"{k}:{v}" for k, v in obj.items())
    return parse(body, seed=seed, source=f"fault plan {path}")
