"""T10 Kimi web search: the property checks, the case strategy, the catalog pricing and the cost."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.catalog import builtin
from harness.contract.case import context
from harness.contract.intended import intended_body
from harness.generation.websearch import WEB_SEARCH_TOOL, search_arguments, web_search_cases
from harness.reference import transform
from harness.rules.websearch_checks import check_t10, round_trip_violations, web_search_models
from harness.wire.websearch_cost import WebSearchPricing, search_tokens, web_search_cost
from tests.examples import scaled

ARGS = search_arguments("abc123", 8933)
FN = {"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}


def round_trip_case(model="moonshot/kimi-k2.6", call_id="$web_search:1", **extra):
    msgs = [
        {"role": "user", "content": "news?"},
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "search it",
            "tool_calls": [
                {"id": call_id, "type": "builtin_function", "function": {"name": "$web_search", "arguments": ARGS}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "name": "$web_search", "content": ARGS},
    ]
    return {"model": model, "request": {"messages": msgs, "tools": [FN, WEB_SEARCH_TOOL]}, **extra}


def checks(case, mutate=None):
    ctx = context(case)
    out = transform(case)
    if mutate:
        mutate(out["body"])
    return [v.check for v in check_t10(case, ctx, out, intended_body(case, ctx))]


def test_reference_passes_a_round_trip():
    assert checks(round_trip_case()) == []


@pytest.mark.parametrize(
    "mutate,check",
    [
        (lambda b: b["tools"].reverse(), "T10.tools-unchanged"),
        (lambda b: b["tools"][1].update(type="function"), "T10.builtin-unchanged"),
        (lambda b: b["tools"].pop(0), "T10.tools-unchanged"),
        (lambda b: b.update(tool_choice={"type": "function", "function": {"name": "$web_search"}}), "T10.not-pinned"),
        (lambda b: b["messages"][1].update(reasoning_content=""), "T10.reasoning-kept"),
        (
            lambda b: b["messages"][1]["tool_calls"][0]["function"].update(arguments=json.dumps(json.loads(ARGS))),
            "T10.call-unchanged",
        ),
        (lambda b: b["messages"][1]["tool_calls"][0].update(type="function"), "T10.call-unchanged"),
        (lambda b: b["messages"][2].update(content="{}"), "T10.result-unchanged"),
        (lambda b: b["messages"][2].pop("name"), "T10.result-unchanged"),
        (lambda b: b["messages"][1]["tool_calls"][0].update(id="$web_search:1"), "T10.id-strict"),
    ],
)
def test_each_check_can_fail(mutate, check):
    assert check in checks(round_trip_case(), mutate)


def test_ids_follow_openclaw_strict_reduction():
    """docs/contract.md#t6 [oc]: under the Moonshot policy `$web_search:1` goes out as `websearch1`."""
    out = transform(round_trip_case())
    msgs = out["body"]["messages"]
    assert msgs[1]["tool_calls"][0]["id"] == "websearch1" and msgs[2]["tool_call_id"] == "websearch1"


def test_ids_pass_without_sanitizing_policy():
    case = round_trip_case(
        provider={"id": "my-kimi", "baseUrl": "https://gw.example.test/v1", "api": "openai-completions"}
    )
    assert checks(case) == []
    assert "T10.id-kept" in checks(case, lambda b: b["messages"][1]["tool_calls"][0].update(id="ws1"))


def test_thinking_disabled_model():
    """kimi-k2.5 searches only with thinking off (catalog webSearch.models, older docs)."""
    assert checks(round_trip_case("moonshot/kimi-k2.5", thinking="off")) == []
    high = round_trip_case("moonshot/kimi-k2.5", thinking="high")
    assert transform(high)["body"]["thinking"] == {"type": "disabled"}  # the reference turns it off
    assert checks(high) == []
    enabled = checks(high, mutate=lambda body: body.update(thinking={"type": "enabled"}))
    assert "T10.thinking-disabled" in enabled
    assert checks(round_trip_case("moonshot/kimi-k2.6", thinking="high")) == []


def test_round_trip_shape_of_a_history():
    msgs = round_trip_case()["request"]["messages"]
    assert round_trip_violations(msgs) == []
    bad = copy.deepcopy(msgs)
    bad[2]["content"] = json.dumps(json.loads(ARGS), indent=1)
    bad[2]["name"] = "web_search"
    assert [v.check for v in round_trip_violations(bad)] == ["T10.result-name", "T10.result-content"]
    assert round_trip_violations(msgs[:2]) == []  # a pending call is fine


def test_a_malformed_input_history_is_not_blamed_on_the_target():
    case = round_trip_case()
    case["request"]["messages"][2]["content"] = "not the arguments"
    assert checks(case) == []


MODELS = web_search_models(builtin().providers["moonshot"])


@pytest.mark.parametrize("model_id", sorted(MODELS))
@settings(max_examples=scaled(40), deadline=None)
@given(data=st.data())
def test_reference_conforms_on_drawn_cases(model_id, data):
    """The strategy draws valid cases, and the reference satisfies every T10 check on them."""
    case = data.draw(web_search_cases(f"moonshot/{model_id}", MODELS[model_id]))
    ctx = context(case)
    assert any(t == WEB_SEARCH_TOOL for t in case["request"]["tools"])
    assert round_trip_violations(case["request"]["messages"]) == []
    out = transform(case)
    assert check_t10(case, ctx, out, intended_body(case, ctx)) == []


def test_catalog_pricing_cites_both_sources():
    p = WebSearchPricing.from_catalog(builtin())
    assert p.per_call == Decimal("0.005")
    assert [d for d, _ in p.disputed] == [Decimal("0.004")]
    assert p.source and all(src for _, src in p.disputed)
    with pytest.raises(LookupError):
        WebSearchPricing.from_catalog(builtin(), "kimi")


def test_search_tokens():
    assert search_tokens(ARGS) == 8933
    assert search_tokens("not json") == 0 and search_tokens('{"usage": {"total_tokens": true}}') == 0


def test_cost_of_a_round_trip():
    """Per-call charge + every response's tokens; the search tokens are in the follow-up's prompt."""
    first = {
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": "$web_search:0",
                            "type": "builtin_function",
                            "function": {"name": "$web_search", "arguments": ARGS},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }
    final = {
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "answer"}}],
        "usage": {"prompt_tokens": 100 + 30 + 8933, "completion_tokens": 50, "total_tokens": 9113},
    }
    prices = {"unit": "usd_per_mtok", "input": 0.95, "output": 4.0, "cache_read": 0.16}
    for per_call in ("0.005", "0.004"):
        c = web_search_cost([first, final], prices, WebSearchPricing(Decimal(per_call)))
        tokens = (Decimal(100 + 9063) * Decimal("0.95") + Decimal(70) * Decimal(4)) / Decimal(1_000_000)
        assert (c.calls, c.search_tokens) == (1, 8933)
        assert c.tokens.total == tokens
        assert c.total == tokens + Decimal(per_call)
        assert c.per_response[0] == Decimal(100 * 0.95 + 20 * 4).quantize(Decimal("1.00")) / 10**6 + Decimal(per_call)
    # a final answer alone is never charged the per-call fee
    assert web_search_cost([final], prices, WebSearchPricing(Decimal("0.005"))).call_charge == 0


def test_cases_for_a_catalog_model():
    from harness.generation.websearch import cases_for

    cat = builtin()
    assert cases_for(cat.resolve("kimi/kimi-for-coding")) is None
    assert cases_for(cat.resolve("moonshot/kimi-k2.7-code")) is None  # not catalogued for $web_search

    @settings(max_examples=10, deadline=None)
    @given(case=cases_for(cat.resolve("moonshot/kimi-k2.5")))
    def drawn(case):
        assert case["model"] == "moonshot/kimi-k2.5" and case["thinking"] == "off"

    drawn()


def test_registry_shape():
    """The lead's registry calls checks with a harness.rules Check and agrees on `project`."""
    from harness.rules import Check
    from harness.rules.websearch_checks import project, registry_check

    case = round_trip_case()
    ctx = context(case)
    out = transform(case)
    assert registry_check(Check("T10", case, ctx, out, intended_body(case, ctx))) == []
    out["body"]["messages"][2]["content"] = "{}"
    [v] = registry_check(Check("T10", case, ctx, out, intended_body(case, ctx)))
    assert (v.rule, v.check, v.path) == ("T10", "T10.result-unchanged", "/body/messages/2/content")
    fields = project(transform(case))
    assert fields["/body/messages/2/name"] == "$web_search" and fields["/body/tools"][1] == WEB_SEARCH_TOOL
    assert not any(k.endswith(("/id", "tool_call_id")) for k in fields)
