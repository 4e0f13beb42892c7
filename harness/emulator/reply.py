"""What the emulator answers (`Reply`) and the small helpers that build one."""

from __future__ import annotations

from dataclasses import dataclass

from .responses import dumps


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes | list  # bytes, or a list of SSE events (bytes) sent as separate chunks
    fault: str | None = None  # "stall" | "truncate": how the transport misbehaves (faults.py)


def json_reply(status: int, obj: dict, headers: dict | None = None) -> Reply:
    return Reply(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, dumps(obj).encode())


def fill(template: str, **values) -> str:
    """Fill known {placeholders} only; caller-supplied messages may contain other braces."""
    for k, v in values.items():
        template = template.replace(f"{{{k}}}", str(v))
    return template


def redact(headers: dict) -> dict:
    out = {}
    for k, v in headers.items():
        if k.lower() in ("authorization", "x-api-key"):
            v = "Bearer [REDACTED]" if str(v).startswith("Bearer ") else "[REDACTED]"
        out[k] = v
    return out
