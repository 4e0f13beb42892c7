"""The generators reach the forms real histories and configs take (issues #21 item 5, #22): tool
results out of call order with distinct contents; `required`, pinned and `stream` inside an extra
body, and another model there; pending web searches and custom gateway hosts for T10; and every
model its own cases even when Hypothesis is derandomized. Judged by the forms' own predicates."""

from __future__ import annotations

import random
from collections import Counter

from harness.contract.case import context, validate_case
from harness.contract.features import ALL_FEATURES
from harness.generation.choices import salted
from harness.generation.strategies import case, case_bytes
from harness.generation.websearch import CASE_BYTES as WEB_SEARCH_BYTES
from harness.generation.websearch import web_search_case
from harness.rules import forms

K26 = "moonshot/kimi-k2.6"


def _drawn(need: frozenset[str], n: int = 400, model: str = K26, features=ALL_FEATURES) -> list[dict]:
    rng = random.Random(11)
    size = case_bytes(features)
    return [case(model, features, None, need, (), {}, rng.randbytes(size)) for _ in range(n)]


def _forms(cases: list[dict], *names: str) -> Counter[str]:
    seen: Counter[str] = Counter()
    for c in cases:
        validate_case(c)
        facts = forms.Facts(c, context(c), None, False)
        seen.update(n for n in names if forms.PREDICATES[n].fn(facts))
    return seen


def test_tool_results_come_in_any_order_with_distinct_contents():
    seen = _forms(_drawn(frozenset({"tool_history"})), "results_out_of_order", "distinct_result_contents")
    assert seen["results_out_of_order"] > 40 and seen["distinct_result_contents"] > 100, seen


def test_extra_bodies_reach_required_pinned_stream_and_model():
    names = (
        "extra_body_tool_choice_required",
        "extra_body_pinned_tool_choice",
        "extra_body_stream",
        "extra_body_model",
        "extra_body_thinking",
    )
    seen = _forms(_drawn(frozenset({"extra_body"})), *names)
    assert all(seen[n] > 15 for n in names), seen


def test_no_stream_in_an_extra_body_for_a_target_that_cannot_stream():
    features = ALL_FEATURES - {"stream"}
    cases = _drawn(frozenset({"extra_body"}), features=features)
    assert not any("stream" in ((c.get("params") or {}).get("extra_body") or {}) for c in cases)


def test_web_search_rounds_may_be_pending_and_go_through_a_gateway():
    rng = random.Random(5)
    cases = [
        web_search_case(K26, {"thinking": "either"}, ALL_FEATURES, rng.randbytes(WEB_SEARCH_BYTES)) for _ in range(600)
    ]
    seen = _forms(cases, "web_search_pending", "web_search_answered", "ids_unsanitized", "web_search_call")
    assert seen["web_search_pending"] > 20 and seen["web_search_answered"] > 100, seen
    assert seen["ids_unsanitized"] > 5, seen


def test_each_model_gets_its_own_cases_from_the_same_bytes():
    raw = random.Random(1).randbytes(case_bytes(ALL_FEATURES))
    a = case(K26, ALL_FEATURES, None, frozenset(), (), {}, raw)
    b = case("moonshot/kimi-k2.5", ALL_FEATURES, None, frozenset(), (), {}, raw)
    assert a["request"] != b["request"]
    zeros = bytes(case_bytes(ALL_FEATURES))  # the simplest case stays the simplest for every model
    assert salted(zeros, K26) == zeros
    assert case(K26, ALL_FEATURES, None, frozenset(), (), {}, zeros)["request"] == {
        "messages": [{"role": "user", "content": "hi"}]
    }
