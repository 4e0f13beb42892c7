"""T9 Usage and cost — the reference's reading of what Moonshot returns.

[wire] Streamed usage arrives in `choices[0].usage` of the finish chunk and, with
`include_usage`, again as a trailing `{"choices": [], "usage"}` chunk; cache hits appear as
top-level `usage.cached_tokens` and, in newer captures, `prompt_tokens_details.cached_tokens`.
[doc/oc] Cost = uncached input x input rate + output x output rate + cache-read x cache-read rate
(+ cache-write), at the catalog's rates and unit; stored under `usage.cost`. Worked example [oc]:
K2.6, 600 uncached input, 100 output, 400 cache-read -> 0.001034 USD.

The parsing itself is the wire layer's (`harness.wire.usage`); this module maps it onto the
normalized shape targets report (OpenClaw's field names), so a target's usage can be compared.
"""

from __future__ import annotations

from typing import Any

from harness.catalog import Catalog, builtin
from harness.wire.usage import Usage, estimate_cost, parse_usage

RULE = "T9"


def prices(model_ref: str, catalog: Catalog | None = None) -> dict[str, Any]:
    cost = (catalog or builtin()).resolve(model_ref).cost
    return {
        "unit": cost["unit"],
        "input": cost["input"],
        "output": cost["output"],
        "cache_read": cost.get("cacheRead", 0),
        "cache_write": cost.get("cacheWrite", 0),
    }


def usage_and_cost(response_or_chunks: Any, model_ref: str, catalog: Catalog | None = None) -> dict[str, Any] | None:
    """{input, output, cacheRead, cacheWrite, totalTokens, cost: {input, output, cacheRead, cacheWrite, total}}
    in tokens and USD (floats, rounded to 1e-12), or None when the upstream sent no usage."""
    # an already parsed Usage (e.g. from an Anthropic Messages answer) is taken as it is
    usage = response_or_chunks if isinstance(response_or_chunks, Usage) else parse_usage(response_or_chunks)
    if usage is None:
        return None
    cost = estimate_cost(usage, prices(model_ref, catalog))
    return {
        "input": usage.uncached_input_tokens,
        "output": usage.completion_tokens,
        "cacheRead": usage.cached_tokens,
        "cacheWrite": usage.cache_write_tokens,
        "totalTokens": usage.total_tokens,
        "cost": {
            k: round(float(getattr(cost, a)), 12)
            for k, a in (
                ("input", "input"),
                ("output", "output"),
                ("cacheRead", "cache_read"),
                ("cacheWrite", "cache_write"),
                ("total", "total"),
            )
        },
    }
