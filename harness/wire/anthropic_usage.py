"""Usage of an Anthropic Messages answer, normalized to `harness.wire.usage.Usage`.

Anthropic counts `input_tokens` without the cache: prompt = input + cache read + cache creation;
`cache_read_input_tokens` are the cached tokens, `cache_creation_input_tokens` the cache writes,
`output_tokens` the completion. A stream carries the input side on `message_start.message.usage`
and the final output count on `message_delta.usage` (cumulative, last one wins).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.wire.usage import Usage, _int, parse_usage


def _usage(u: Mapping, output: int | None, source: str) -> Usage:
    cached, written = _int(u.get("cache_read_input_tokens")), _int(u.get("cache_creation_input_tokens"))
    prompt = _int(u.get("input_tokens")) + cached + written
    completion = _int(u.get("output_tokens")) if output is None else output
    return Usage(prompt, completion, prompt + completion, cached, written, 0, source)


def parse_anthropic(obj: Any) -> Usage | None:
    """From a `message` object or a list of stream events; None when it carries no usage."""
    if isinstance(obj, Mapping):
        u = obj.get("usage")
        return _usage(u, None, "response") if obj.get("type") == "message" and isinstance(u, Mapping) else None
    if not isinstance(obj, (list, tuple)):
        return None
    start, output = None, None
    for ev in obj:
        if not isinstance(ev, Mapping):
            continue
        if ev.get("type") == "message_start" and isinstance((ev.get("message") or {}).get("usage"), Mapping):
            start = ev["message"]["usage"]
        elif ev.get("type") == "message_delta" and isinstance(ev.get("usage"), Mapping):
            output = _int(ev["usage"].get("output_tokens"))
    return _usage(start, output, "stream.events") if start is not None else None


def is_anthropic(obj: Any) -> bool:
    if isinstance(obj, Mapping):
        return obj.get("type") in ("message", "error") and "choices" not in obj
    first = obj[0] if isinstance(obj, (list, tuple)) and obj else None
    return isinstance(first, Mapping) and str(first.get("type", "")).startswith("message_")


def parse_any(obj: Any) -> Usage | None:
    """Either surface: Anthropic Messages or OpenAI chat completions."""
    return parse_anthropic(obj) if is_anthropic(obj) else parse_usage(obj)
