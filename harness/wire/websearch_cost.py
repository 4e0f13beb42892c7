"""T10 cost of a Kimi web search round trip: a per-call charge plus the search tokens.

[doc] Moonshot bills $web_search per call — charged on a `tool_calls` response naming
`$web_search` — and the search content (`usage.total_tokens` inside the call's arguments) is
added to the follow-up request's `prompt_tokens`, so it is priced as input by the ordinary T9
formula. The per-call figure is a catalog value (`providers.moonshot.webSearch.pricing`): the
guide says $0.005, a help page $0.004; the catalog keeps both with their sources.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from harness.wire.usage import Cost, estimate_cost, parse_usage

WEB_SEARCH = "$web_search"


@dataclass(frozen=True)
class WebSearchPricing:
    per_call: Decimal
    disputed: tuple[tuple[Decimal, str], ...] = ()
    source: tuple[str, ...] = ()

    @classmethod
    def from_catalog(cls, catalog, provider_id: str = "moonshot") -> WebSearchPricing:
        provider = catalog.providers.get(provider_id)
        ws = (provider.data.get("webSearch") if provider else None) or {}
        if not ws:
            raise LookupError(f"the catalog has no webSearch section for provider {provider_id!r}")
        pricing = ws["pricing"]
        return cls(
            per_call=Decimal(str(pricing["perCallUsd"])),
            disputed=tuple((Decimal(str(d["perCallUsd"])), d["source"]) for d in pricing.get("disputed", [])),
            source=tuple(pricing.get("source", [])),
        )


@dataclass(frozen=True)
class WebSearchCost:
    calls: int  # $web_search calls the upstream made (each charged once)
    search_tokens: int  # search content tokens the calls announced (inside later prompt_tokens)
    tokens: Cost  # every response's usage at the model's catalog rates (T9), summed
    call_charge: Decimal
    total: Decimal
    per_response: list[Decimal] = field(default_factory=list)


def web_search_calls(response: Any) -> list[dict[str, Any]]:
    """The `$web_search` tool calls of a non-streamed response whose finish_reason is tool_calls."""
    out = []
    for choice in (response or {}).get("choices") or []:
        if choice.get("finish_reason") != "tool_calls":
            continue
        for call in (choice.get("message") or {}).get("tool_calls") or []:
            if (call.get("function") or {}).get("name") == WEB_SEARCH:
                out.append(call)
    return out


def search_tokens(arguments: str) -> int:
    """`usage.total_tokens` of a `$web_search` call's arguments (0 when absent or unreadable)."""
    try:
        value = json.loads(arguments).get("usage", {}).get("total_tokens", 0)
    except (ValueError, AttributeError, TypeError):
        return 0
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def web_search_cost(responses: Iterable[Any], prices: Mapping[str, Any], pricing: WebSearchPricing) -> WebSearchCost:
    """Cost of the responses of one round trip (first call ... final answer)."""
    calls = 0
    stokens = 0
    parts = {"input": Decimal(0), "output": Decimal(0), "cache_read": Decimal(0), "cache_write": Decimal(0)}
    per_response = []
    for r in responses:
        ws_calls = web_search_calls(r)
        calls += len(ws_calls)
        stokens += sum(search_tokens((c.get("function") or {}).get("arguments") or "") for c in ws_calls)
        usage = parse_usage(r)
        c = estimate_cost(usage, prices) if usage is not None else None
        if c is not None:
            for k in parts:
                parts[k] += getattr(c, k)
        per_response.append((c.total if c else Decimal(0)) + pricing.per_call * len(ws_calls))
    tokens = Cost(
        parts["input"],
        parts["output"],
        parts["cache_read"],
        parts["cache_write"],
        total=sum(parts.values(), Decimal(0)),
    )
    charge = pricing.per_call * calls
    return WebSearchCost(calls, stokens, tokens, charge, tokens.total + charge, per_response)
