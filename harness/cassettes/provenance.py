"""Where a cassette came from: `emulator`, `live`, `upstream` or `real`.

The recorded kinds are decided from what was observed, never from a flag alone: a loopback upstream
or a response carrying the emulator's marker (`Server: kimi-emulator…`) is the emulator, whatever
`--live` says; `live` needs a non-loopback host that is one of the catalog's endpoints and no
emulator marker on any recorded response (only the real API may say live: docs/contract.md#sources).
`real` is never recorded by the harness: it marks a cassette built from a public real capture
(harness/cassettes/real.py), with the capture, its origin and whether the request was captured too.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from harness.util.net import is_loopback_host

EMULATOR_SERVER_PREFIX = "kimi-emulator"
KINDS = ("emulator", "live", "upstream", "real")
_EXTRA = ("capture", "origin", "request")  # real cassettes only: omitted when empty


def has_emulator_marker(headers: Mapping[str, Any]) -> bool:
    for k, v in headers.items():
        if k.lower() == "server":
            values = v if isinstance(v, list) else [v]
            if any(str(x).startswith(EMULATOR_SERVER_PREFIX) for x in values):
                return True
    return False


def classify(upstream_url: str, *, live_hosts: Iterable[str], emulator_marker_seen: bool) -> str:
    host = urlsplit(upstream_url).hostname
    if emulator_marker_seen or is_loopback_host(host):
        return "emulator"
    if host and host.lower() in {h.lower() for h in live_hosts}:
        return "live"
    return "upstream"


@dataclass
class Provenance:
    source: str  # emulator | live | upstream | real
    model: str
    scenario: str
    recorded: str = field(default_factory=lambda: _dt.date.today().isoformat())
    harness: str = ""
    endpoint: str = ""  # the canonical base URL the cassette's requests are stored under
    upstream_host: str = ""  # where the requests really went (loopback for the emulator)
    capture: str = ""  # real: the capture file, relative to harness/cassettes/real_captures
    origin: str = ""  # real: repository@commit the capture was taken from
    request: str = ""  # real: `captured` or `reconstructed` (the capture holds only the answer)

    def __post_init__(self):
        if self.source not in KINDS:
            raise ValueError(f"provenance source must be one of {KINDS}, got {self.source!r}")
        if self.source == "real" and not (self.capture and self.origin):
            # a recording run can never claim `real`: only a cassette built from a named capture can
            raise ValueError("provenance `real` needs the capture it was built from and its origin")
        if not self.harness:
            from harness import __version__

            self.harness = __version__

    def to_dict(self) -> dict[str, str]:
        out = {
            "source": self.source,
            "model": self.model,
            "scenario": self.scenario,
            "recorded": self.recorded,
            "harness": self.harness,
            "endpoint": self.endpoint,
            "upstream_host": self.upstream_host,
        }
        out.update({k: getattr(self, k) for k in _EXTRA if getattr(self, k)})
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Provenance:
        return cls(
            **{
                k: str(d.get(k, ""))
                for k in ("source", "model", "scenario", "recorded", "harness", "endpoint", "upstream_host", *_EXTRA)
            }
        )

    def label(self) -> str:
        return f"{self.source} ({self.model}, {self.recorded}, harness {self.harness})"


def read(path) -> Provenance | None:
    """The provenance block of a cassette file (None when the file is absent or has none)."""
    from pathlib import Path

    from harness.util import yamlio

    path = Path(path)
    if not path.is_file():
        return None
    # provenance is the first top-level key: read only up to `interactions:`
    head = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("interactions:"):
                break
            head.append(line)
    try:
        doc = yamlio.safe_load("".join(head)) or {}
    except yamlio.YAMLError as e:
        from harness.errors import CassetteError

        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CassetteError(f"cassette {path}: provenance block is not valid YAML{where}") from None
    block = doc.get("provenance") if isinstance(doc, dict) else None
    return Provenance.from_dict(block) if isinstance(block, dict) else None
