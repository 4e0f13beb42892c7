"""The reference's fast paths (validation cache, copy, context cache) change speed, not answers."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.contract import case as case_mod
from harness.contract.case import context, plain_copy, validate_case, validated_copy
from harness.contract.intended import intended_body
from harness.errors import CaseError
from harness.generation.strategies import cases
from harness.reference import PIPELINE, anthropic_messages, transform
from tests.examples import scaled

SETTINGS = settings(max_examples=scaled(60), deadline=None, suppress_health_check=list(HealthCheck))
MODELS = ["moonshot/kimi-k2.6", "moonshot/kimi-k2.7-code", "moonshot/kimi-k3", "kimi/kimi-for-coding"]


def slow_transform(case):
    """The reference as it was before the fast paths: validate, deepcopy, rules."""
    ctx = case_mod._resolve(case, case_mod.builtin())
    if ctx.api == "anthropic-messages":  # its own module, no fast path
        return anthropic_messages.transform(case, ctx)["body"]
    body = intended_body(case, ctx)  # owned=False: copy.deepcopy of every part
    for rule in PIPELINE:
        rule.apply(case, ctx, body)
    return body


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(data=st.data())
def test_fast_reference_equals_the_deepcopy_path_and_leaves_the_case_alone(model, data):
    focus = data.draw(
        st.sampled_from([(), ("tool_history", "extra_body", "stream"), ("keep",), ("provider", "compat")])
    )
    case = data.draw(cases(model, require=focus))
    before = copy.deepcopy(case)
    fast = transform(case)
    assert case == before
    assert json.dumps(fast["body"]) == json.dumps(slow_transform(before))  # same values, same key order
    assert transform(case) == fast  # the cached path (same object, seen before) answers alike


def test_a_case_changed_in_place_after_validation_is_validated_again():
    case = {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}
    transform(case)
    case["request"]["messages"][0]["role"] = "robot"
    with pytest.raises(CaseError, match=r"invalid case at \$\.request\.messages\[0\]\.role"):
        transform(case)
    case["request"]["messages"] = []
    with pytest.raises(CaseError, match="messages"):
        validate_case(case)


def test_plain_copy_is_a_deep_copy():
    value = {"a": [1, {"b": [True, None, 1.5, "x"]}], "t": ({"inner": [1]},)}
    out = plain_copy(value)
    assert out == value == copy.deepcopy(value)
    assert out is not value and out["a"] is not value["a"] and out["a"][1] is not value["a"][1]
    assert out["t"][0] is not value["t"][0]  # other containers go through copy.deepcopy


def test_validated_copy_is_private():
    case = {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}], "stop": ["a"]}}
    own = validated_copy(case)
    own["request"]["stop"].append("b")
    own["request"]["messages"][0]["content"] = "changed"
    assert case["request"] == {"messages": [{"role": "user", "content": "hi"}], "stop": ["a"]}
    validate_case(case)  # the cache still holds the case as it was


def test_context_cache_keys_on_model_and_provider_contents():
    base = {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}
    custom = {"id": "my-kimi", "baseUrl": "https://api.moonshot.cn/v1", "compat": {"supportsStore": True}}
    a = context({**base, "provider": custom})
    b = context({**base, "provider": json.loads(json.dumps(custom))})
    assert a is b
    c = context({**base, "provider": {**custom, "compat": {"supportsStore": False}}})
    assert c.compat["supportsStore"] is False and a.compat["supportsStore"] is True
    d = context({**base, "provider": {**custom, "sanitizeToolCallIds": True}})
    assert d.tool_call_ids == "strict" != a.tool_call_ids
    with pytest.raises(CaseError, match="unknown model ref"):
        context({**base, "model": "moonshot/kimi-k9"})
