"""The `web_search` wire scenario (T10, docs/contract.md#t10-web-search): one `$web_search` round trip on the wire.

Each request is the reference's transformation of the growing case (so T1-T9 hold on it, and
T6 reduces `$web_search:0` to `websearch0` in call and result alike); every outbound body is
held to the T10 properties, the history to the documented round-trip shape, and the run must
end with `finish_reason: "stop"` within the catalog's `maxRounds`. Returns the per-call charge
(the token cost of each response is added by the runner's step).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from harness.rules.websearch_checks import check_t10, is_web_search_call, round_trip_violations, web_search_models
from harness.scenarios.expect import expect, expect_none
from harness.util import scrub
from harness.wire.websearch_cost import WebSearchPricing, search_tokens


def _assistant(message: dict[str, Any]) -> dict[str, Any]:
    """The assistant message appended unchanged: content, reasoning_content, tool_calls as returned."""
    out = {
        k: copy.deepcopy(v) for k, v in message.items() if k in ("role", "content", "reasoning_content", "tool_calls")
    }
    out["content"] = out.get("content") or ""  # OpenClaw: content ?? ""
    return out


def run_web_search(step: Callable, case: dict[str, Any], ws, scenario: dict[str, Any]) -> Decimal:
    from harness.contract.case import context
    from harness.contract.intended import intended_body
    from harness.reference import transform

    model, catalog = ws.model, ws.s.catalog
    section = model.provider.data["webSearch"]
    if web_search_models(model.provider)[model.id]["thinking"] == "disabled":
        case["thinking"] = "off"  # the model searches only without thinking (catalog webSearch.models)
    pricing = WebSearchPricing.from_catalog(catalog, model.provider.id)
    calls, searched, finish = 0, 0, None
    for n in range(section.get("maxRounds", 3)):
        ctx = context(case, catalog)
        violations = check_t10(case, ctx, transform(case, catalog), intended_body(case, ctx))
        expect_none(violations)  # T10 on the reference's own request
        _, r, facts = step(f"round {n + 1}", case, "reference", {"status": 200})
        if n > 0:
            expect(
                facts["usage"].prompt_tokens > searched,
                "T10.search-tokens",
                "/response/body/usage/prompt_tokens",
                f"> {searched}",
                facts["usage"].prompt_tokens,
                "the search content is counted in the follow-up's prompt_tokens",
            )
        finish = facts["finish_reason"]
        message = r.json["choices"][0]["message"]
        if finish != "tool_calls":
            break
        tool_calls = message.get("tool_calls") or []
        expect(
            tool_calls and all(is_web_search_call(c) for c in tool_calls),
            "T10.search-call",
            "/response/body/choices/0/message/tool_calls",
            "$web_search calls",
            scrub.scrub_obj(copy.deepcopy(tool_calls)),
            "asked to search, the model called something else",
        )
        calls += len(tool_calls)
        searched += sum(search_tokens(c["function"]["arguments"]) for c in tool_calls)
        case["request"]["messages"].append(_assistant(message))
        for c in tool_calls:
            case["request"]["messages"].append(
                {"role": "tool", "tool_call_id": c["id"], "name": "$web_search", "content": c["function"]["arguments"]}
            )
        bad = round_trip_violations(case["request"]["messages"])
        expect_none(bad)
    expect(
        finish == "stop",
        "T10.round-trip-end",
        "/response/body/choices/0/finish_reason",
        "stop",
        finish,
        "the round trip must end with finish_reason 'stop'",
    )
    expect(
        calls >= 1,
        "T10.search-call",
        "/response/body/choices/0/message/tool_calls",
        ">= 1 call",
        calls,
        "the model answered without searching: the round trip was not exercised",
    )
    return pricing.per_call * calls
