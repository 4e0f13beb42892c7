"""T9: normalize Moonshot usage and estimate cost.

Precedence in a stream: a top-level ``usage`` (the trailing ``{"choices": [], "usage"}``
chunk under ``include_usage``, or OpenRouter's usage on a choice-bearing last chunk) wins
over ``choices[i].usage`` on finish chunks. The top-level one is the request-wide
aggregate defined by stream_options and covers all n choices; choice usage is a
Moonshot extra that duplicates it. The two are never added. Without a top-level usage,
choice usages are combined: the prompt is shared by all choices (counted once, max),
completion and reasoning tokens are summed per choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

UNITS = {"usd_per_mtok": Decimal(1_000_000), "usd_per_ktok": Decimal(1_000)}


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    source: str = "usage"  # where it was read: response | stream.trailing | stream.choices | usage

    @property
    def uncached_input_tokens(self) -> int:
        return max(0, self.prompt_tokens - self.cached_tokens - self.cache_write_tokens)


@dataclass(frozen=True)
class Cost:
    """USD, exact Decimals per bucket; ``total`` is their sum."""

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    total: Decimal
    currency: str = "USD"


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def _sub(d: Mapping, key: str) -> Mapping:
    v = d.get(key)
    return v if isinstance(v, Mapping) else {}


def usage_from_dict(u: Mapping, source: str = "usage") -> Usage:
    """Normalize one raw usage object."""
    pdet, cdet = _sub(u, "prompt_tokens_details"), _sub(u, "completion_tokens_details")
    # Three spellings of the same cache-hit count (Moonshot top-level, OpenAI details,
    # DeepSeek-style): alternatives, so take the largest present, never the sum.
    cached = max(_int(u.get("cached_tokens")), _int(pdet.get("cached_tokens")), _int(u.get("prompt_cache_hit_tokens")))
    cache_write = max(
        _int(u.get("cache_write_tokens")),
        _int(pdet.get("cache_write_tokens")),
        _int(u.get("cache_creation_input_tokens")),
    )
    reasoning = max(_int(cdet.get("reasoning_tokens")), _int(u.get("reasoning_tokens")))
    prompt, completion = _int(u.get("prompt_tokens")), _int(u.get("completion_tokens"))
    total = _int(u.get("total_tokens")) if "total_tokens" in u else prompt + completion
    return Usage(prompt, completion, total, cached, cache_write, reasoning, source)


def _from_chunks(chunks: Iterable[Any]) -> Usage | None:
    top: Mapping | None = None
    per_choice: dict[Any, Mapping] = {}
    for ch in chunks:
        if not isinstance(ch, Mapping):
            continue
        if isinstance(ch.get("usage"), Mapping):
            top = ch["usage"]  # last one wins: proxies may resend cumulative usage
        for choice in ch.get("choices") or []:
            if isinstance(choice, Mapping) and isinstance(choice.get("usage"), Mapping):
                per_choice[choice.get("index")] = choice["usage"]
    if top is not None:
        return usage_from_dict(top, "stream.trailing")
    if not per_choice:
        return None
    parts = [usage_from_dict(u) for u in per_choice.values()]
    prompt = max(p.prompt_tokens for p in parts)
    completion = sum(p.completion_tokens for p in parts)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        cached_tokens=max(p.cached_tokens for p in parts),
        cache_write_tokens=max(p.cache_write_tokens for p in parts),
        reasoning_tokens=sum(p.reasoning_tokens for p in parts),
        source="stream.choices",
    )


def parse_usage(obj: Any) -> Usage | None:
    """Usage from a non-streaming response, a list of stream chunks, a single chunk, or a
    bare usage dict. None when the input carries no usage (errors, usage-less streams)."""
    if isinstance(obj, (list, tuple)):
        return _from_chunks(obj)
    if not isinstance(obj, Mapping):
        return None
    if obj.get("object") == "chat.completion.chunk":
        return _from_chunks([obj])
    if "choices" in obj or "error" in obj or "object" in obj:
        u = obj.get("usage")
        return usage_from_dict(u, "response") if isinstance(u, Mapping) else None
    if "prompt_tokens" in obj or "completion_tokens" in obj:
        return usage_from_dict(obj, "usage")
    return None


def _rate(prices: Mapping, key: str, divisor: Decimal) -> Decimal:
    v = prices.get(key)
    # A missing cache rate prices at 0, as OpenClaw's catalog does; str() keeps
    # 0.95 exact instead of its binary float expansion.
    return Decimal(0) if v is None else Decimal(str(v)) / divisor


def estimate_cost(usage: Usage, prices: Mapping[str, Any]) -> Cost:
    """cost = uncached input × input + output × output + cache_read × cache_read
    (+ cache_write × cache_write); uncached input = prompt − cached − cache_write, ≥ 0."""
    unit = prices.get("unit")
    if unit not in UNITS:
        raise ValueError(f"prices need unit in {sorted(UNITS)}, got {unit!r}")
    for key in ("input", "output"):
        if prices.get(key) is None:
            raise ValueError(f"prices need an {key!r} rate")
    d = UNITS[unit]
    parts = {
        "input": usage.uncached_input_tokens * _rate(prices, "input", d),
        "output": usage.completion_tokens * _rate(prices, "output", d),
        "cache_read": usage.cached_tokens * _rate(prices, "cache_read", d),
        "cache_write": usage.cache_write_tokens * _rate(prices, "cache_write", d),
    }
    return Cost(
        input=parts["input"],
        output=parts["output"],
        cache_read=parts["cache_read"],
        cache_write=parts["cache_write"],
        total=sum(parts.values(), Decimal(0)),
    )
