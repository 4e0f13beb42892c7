"""Keep secrets out of cassettes, logs and reports. Pure functions, no vcrpy.

Moonshot / Kimi keys start with `sk-` (docs/contract.md#catalog). Any such string in a header or a body is
replaced by `<redacted:api-key>` — a marker without the `sk-` prefix, so `grep -r "sk-"
cassettes/` stays empty. Credential headers are redacted, per-request noise headers dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED_KEY = "<redacted:api-key>"
REDACTED_AUTH = "Bearer <redacted>"
# `sk-` at a word start followed by key characters; "task-1" or "disk-2" are not keys.
SECRET_RE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9][A-Za-z0-9_\-]{2,}")
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie"})
# Response headers that identify a request, an account or a session, or change on every call.
DROP_RESPONSE_HEADERS = frozenset(
    {
        "set-cookie",
        "msh-request-id",
        "x-request-id",
        "request-id",
        "req-id",
        "cf-ray",
        "date",
        "server",
        "x-trace-id",
        "trace-id",
        "strict-transport-security",
        "alt-svc",
        "x-envoy-upstream-service-time",
        "transfer-encoding",
        "content-length",
        "connection",
        "keep-alive",
    }
)
# Request headers worth keeping in a cassette (the rest is client noise: user-agent, host, ...).
KEEP_REQUEST_HEADERS = frozenset({"content-type", "authorization", "x-api-key", "accept"})


def scrub_text(text: str) -> str:
    return SECRET_RE.sub(REDACTED_KEY, text)


def scrub_bytes(data: bytes) -> bytes:
    if b"sk-" not in data:
        return data
    return scrub_text(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")


def scrub_obj(obj: Any) -> Any:
    """A copy of a JSON-like value with every `sk-…` string redacted."""
    if isinstance(obj, str):
        return scrub_text(obj)
    if isinstance(obj, bytes):
        return scrub_bytes(obj)
    if isinstance(obj, Mapping):
        return {scrub_obj(k): scrub_obj(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_obj(v) for v in obj]
    return obj


def redact_header(name: str, value: Any) -> Any:
    if name.lower() not in SECRET_HEADERS:
        return scrub_obj(value)
    if isinstance(value, list):
        return [redact_header(name, v) for v in value]
    if isinstance(value, str) and value.lower().startswith("bearer "):
        return REDACTED_AUTH
    return "<redacted>"


def scrub_request_headers(headers: Mapping[str, Any], keep: Iterable[str] = KEEP_REQUEST_HEADERS) -> dict[str, Any]:
    keep = {k.lower() for k in keep}
    return {k: redact_header(k, v) for k, v in headers.items() if k.lower() in keep}


def scrub_response_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    return {k: redact_header(k, v) for k, v in headers.items() if k.lower() not in DROP_RESPONSE_HEADERS}


def contains_secret(text: str | bytes) -> bool:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return SECRET_RE.search(text) is not None
