"""The reference implementation of the contract: `transform(case) -> outbound request`.

A pure function. One module per rule, each citing its source; the order below is the order
the rules run, all of them on the final body (extra body included, T6b). A model reached through
Anthropic Messages (Kimi Coding, catalog `api`) is transformed by `anthropic_messages` instead.

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`.
"""

from __future__ import annotations

from typing import Any

from harness.catalog import Catalog
from harness.contract.case import context, validated_copy
from harness.errors import CaseError
from harness.reference import (
    anthropic_messages,
    t1_always_thinking,
    t2_binary_thinking,
    t3_thinking_keep,
    t4_tool_choice,
    t5_reasoning_content,
    t6_tool_call_ids,
    t6b_extra_body,
    t7_compat,
    t8_stream_usage,
    t10_web_search,
)

# T4 may disable thinking, so it runs before T3's keep gate and T5's backfill.
PIPELINE = (
    t2_binary_thinking,
    t4_tool_choice,
    t10_web_search,  # may disable thinking too: before the keep gate and the backfill
    t3_thinking_keep,
    t1_always_thinking,
    t5_reasoning_content,
    t6_tool_call_ids,
    t7_compat,
    t8_stream_usage,
)
AUTH_PLACEHOLDER = "Bearer <redacted>"


def transform(case: dict[str, Any], catalog: Catalog | None = None) -> dict[str, Any]:
    own = validated_copy(case)  # validated once, copied once: the rules change `own`'s request
    ctx = context(own, catalog, validated=True)
    if ctx.api == "anthropic-messages":  # Kimi Coding's Anthropic surface: its own module
        try:
            return anthropic_messages.transform(case, ctx)
        except (TypeError, AttributeError, KeyError, ValueError) as e:
            raise CaseError(f"malformed case: {type(e).__name__}: {e}") from None
    body = t6b_extra_body.start_body(own, ctx, owned=True)
    try:
        for rule in PIPELINE:
            rule.apply(case, ctx, body)
    except (TypeError, AttributeError, KeyError, ValueError) as e:  # a shape the schema let through
        raise CaseError(f"malformed case: {type(e).__name__}: {e}") from None
    return {
        "method": "POST",
        "url": ctx.url,
        "headers": {"authorization": AUTH_PLACEHOLDER, "content-type": "application/json"},
        "body": body,
    }
