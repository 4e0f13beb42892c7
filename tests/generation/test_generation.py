"""The case strategies draw every feature and every edge case the rules care about (in a sample of
N derandomized cases), and nothing a target cannot express. Cheaper strategies must keep this."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest

from harness.contract.case import LEVELS, validate_case
from harness.generation.sample import examples
from harness.generation.strategies import NATIVE_HOSTS, OTHER_HOST_NAMES, cases
from harness.targets.base import ALL_FEATURES

N = 400


def sample(model: str, n: int = N, features=ALL_FEATURES, require=(), spellings=(), request_defaults=None):
    return examples(cases(model, features, require=require, spellings=spellings, request_defaults=request_defaults), n)


@pytest.fixture(scope="module")
def k26():
    return sample("moonshot/kimi-k2.6")


def calls(case):
    return [c for m in case["request"]["messages"] for c in m.get("tool_calls") or []]


def assistants_with_calls(case):
    return [m for m in case["request"]["messages"] if m["role"] == "assistant" and m.get("tool_calls")]


def repeated_across_turns(case):
    turns = [{x["id"] for x in m["tool_calls"]} for m in assistants_with_calls(case)]
    return any(a & b for n, a in enumerate(turns) for b in turns[n + 1 :])


ABSENT = object()
# name -> what must be seen at least once in the sample
FEATURES = {
    **{f"thinking level {lv}": lambda c, lv=lv: c.get("thinking", ABSENT) == lv for lv in (None, *LEVELS)},
    "no thinking level": lambda c: "thinking" not in c,
    "configured thinking object with type": lambda c: (
        isinstance((c.get("params") or {}).get("thinking"), dict) and "type" in c["params"]["thinking"]
    ),
    "configured thinking object with keep only": lambda c: (
        (c.get("params") or {}).get("thinking", {}) is not None
        and isinstance(c.get("params", {}).get("thinking"), dict)
        and set(c["params"]["thinking"]) == {"keep"}
    ),
    "configured thinking boolean": lambda c: isinstance((c.get("params") or {}).get("thinking"), bool),
    "configured thinking word": lambda c: isinstance((c.get("params") or {}).get("thinking"), str),
    "configured thinking nonsense word": lambda c: (c.get("params") or {}).get("thinking") == "maybe",
    "configured thinking null": lambda c: "thinking" in (c.get("params") or {}) and c["params"]["thinking"] is None,
    "params null": lambda c: "params" not in c,
    "params temperature": lambda c: "temperature" in (c.get("params") or {}),
    "extra_body thinking": lambda c: "thinking" in ((c.get("params") or {}).get("extra_body") or {}),
    "extra_body tool_choice required": lambda c: (
        ((c.get("params") or {}).get("extra_body") or {}).get("tool_choice") == "required"
    ),
    "extra_body sampling": lambda c: "top_p" in ((c.get("params") or {}).get("extra_body") or {}),
    "extra_body harmless": lambda c: "x_gateway_tag" in ((c.get("params") or {}).get("extra_body") or {}),
    "request thinking": lambda c: "thinking" in c["request"],
    "request thinking keep ALL": lambda c: (c["request"].get("thinking") or {}).get("keep") == "ALL",
    "China region of the built-in provider": lambda c: c.get("provider", {}).get("id") == "moonshot",
    **{
        f"custom provider at {h}": lambda c, h=h: (
            c.get("provider", {}).get("baseUrl") == h and c["provider"]["id"] != "moonshot"
        )
        for h in NATIVE_HOSTS
    },
    # off Moonshot's hosts: every kind of host (named, local, IP), a port, a path other than /v1
    **{
        f"custom provider at a host like {names[0]}": lambda c, names=names: any(
            f"//{n}" in (c.get("provider") or {}).get("baseUrl", "") for n in names
        )
        for names in OTHER_HOST_NAMES
    },
    "custom host with a port": lambda c: urlsplit((c.get("provider") or {}).get("baseUrl", "")).port is not None,
    "custom host path not /v1": lambda c: (
        urlsplit((c.get("provider") or {}).get("baseUrl", "")).path not in ("", "/v1")
    ),
    "sanitizeToolCallIds true": lambda c: c.get("provider", {}).get("sanitizeToolCallIds") is True,
    "sanitizeToolCallIds false": lambda c: c.get("provider", {}).get("sanitizeToolCallIds") is False,
    **{
        f"compat {k}": lambda c, k=k: k in c.get("provider", {}).get("compat", {})
        for k in ("maxTokensField", "supportsDeveloperRole", "supportsReasoningEffort", "supportsStore")
    },
    "native tool-call id": lambda c: any(x["id"].startswith("functions.") for x in calls(c)),
    "official tool-call id with _": lambda c: any(
        x["id"][:-1].endswith("_") and not x["id"].startswith("call") for x in calls(c)
    ),
    "official tool-call id with :": lambda c: any(
        ":" in x["id"] and not x["id"].startswith(("functions.", "$", "函数")) for x in calls(c)
    ),
    "openai tool-call id": lambda c: any(x["id"] in ("call_abc123", "call_0", "call_x-y_z") for x in calls(c)),
    **{
        f"odd tool-call id {i!r}": lambda c, i=i: any(x["id"] == i for x in calls(c))
        for i in ("toolu_01X|y", "call_abc-1", "$web_search:1", "id with space", "call_", "函数:0")
    },
    "duplicate tool-call id in one case": lambda c: len(calls(c)) != len({x["id"] for x in calls(c)}),
    "tool-call id repeated across turns": lambda c: repeated_across_turns(c),
    "three tool calls in one turn": lambda c: any(len(m["tool_calls"]) == 3 for m in assistants_with_calls(c)),
    "three turns": lambda c: len(assistants_with_calls(c)) == 3,
    "no tool history": lambda c: not calls(c),
    "reasoning_content null": lambda c: any(
        "reasoning_content" in m and m["reasoning_content"] is None for m in assistants_with_calls(c)
    ),
    "reasoning_content absent": lambda c: any("reasoning_content" not in m for m in assistants_with_calls(c)),
    "reasoning_content empty": lambda c: any(m.get("reasoning_content") == "" for m in assistants_with_calls(c)),
    "reasoning_content text": lambda c: any(m.get("reasoning_content") for m in assistants_with_calls(c)),
    "assistant answer after tool results": lambda c: any(m.get("content") == "done" for m in c["request"]["messages"]),
    "system message": lambda c: c["request"]["messages"][0]["role"] == "system",
    "developer message": lambda c: c["request"]["messages"][0]["role"] == "developer",
    **{
        f"tool_choice {tc!r}": lambda c, tc=tc: c["request"].get("tool_choice", ABSENT) == tc
        for tc in ("auto", "none", "required", None)
    },
    "pinned tool_choice": lambda c: isinstance(c["request"].get("tool_choice"), dict),
    "tools without tool_choice": lambda c: "tools" in c["request"] and "tool_choice" not in c["request"],
    "stream true": lambda c: c["request"].get("stream") is True,
    "stream false": lambda c: c["request"].get("stream") is False,
    "stream absent": lambda c: "stream" not in c["request"],
    "stream_options include_usage false": lambda c: c["request"].get("stream_options") == {"include_usage": False},
    "stream_options without include_usage": lambda c: c["request"].get("stream_options") == {"chunk_hint": 1},
    "max_tokens up to 256": lambda c: 1 <= c["request"].get("max_tokens", 0) <= 256,
    "max_tokens above 1024": lambda c: c["request"].get("max_tokens", 0) > 1024,
    "seed above 2**16": lambda c: c["request"].get("seed", 0) > 2**16,
    "seed up to 256": lambda c: 0 <= c["request"].get("seed", -1) <= 256,
    "max_tokens and max_completion_tokens together": lambda c: (
        {"max_tokens", "max_completion_tokens"} <= set(c["request"])
    ),
    **{
        f"request {k}": lambda c, k=k: k in c["request"]
        for k in (
            "temperature",
            "top_p",
            "n",
            "presence_penalty",
            "frequency_penalty",
            "stop",
            "seed",
            "logprobs",
            "max_tokens",
            "max_completion_tokens",
            "user",
            "response_format",
            "x_trace_id",
            "store",
            "reasoning_effort",
        )
    },
}


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_every_feature_is_drawn(feature, k26):
    seen = sum(1 for c in k26 if FEATURES[feature](c))
    assert seen, f"{feature!r} never drawn in {len(k26)} cases"


def test_cases_are_valid_and_varied(k26):
    for c in k26:
        validate_case(c)
    # Optional request fields come about one time in three, as they always have (loosely: the
    # draw is not uniform): neither always nor never.
    counts = Counter(k for c in k26 for k in c["request"] if k not in ("messages", "tools", "tool_choice", "stream"))
    for key, n in counts.items():
        assert 0.1 * len(k26) < n < 0.6 * len(k26), (key, n)


def test_focus_draws_what_it_names():
    keep = sample("moonshot/kimi-k2.6", 150, require=("keep",))
    assert all("keep" in c["params"]["thinking"] for c in keep)
    assert {c["params"]["thinking"]["keep"] for c in keep} >= {"all", "ALL", "All", " all ", None, "last"}
    hist = sample("moonshot/kimi-k2.6", 60, require=("tool_history", "extra_body", "stream"))
    assert all(
        len(assistants_with_calls(c)) >= 2 and "extra_body" in c["params"] and "stream" in c["request"] for c in hist
    )
    sampling = sample("moonshot/kimi-k2.7-code", 30, require=("sampling",))
    assert all({"temperature", "top_p", "n", "stop", "seed"} <= set(c["request"]) for c in sampling)
    spelled = sample(
        "kimi/kimi-for-coding", 60, spellings=("kimi/kimi-code", "kimi-coding/k2p5"), require=("ref_spelling",)
    )
    assert {c["model"] for c in spelled} == {"kimi/kimi-for-coding", "kimi/kimi-code", "kimi-coding/k2p5"}


def test_only_expressible_features_are_drawn():
    narrow = frozenset({"thinking_level"})
    for c in sample("moonshot/kimi-k2.6", 150, features=narrow):
        assert set(c) <= {"model", "request", "thinking", "provider", "params"} and not c.get("params")
        assert c.get("provider") in (None, {"id": "moonshot", "baseUrl": NATIVE_HOSTS[1]})
        req = c["request"]
        assert not {"stream", "stream_options", "thinking", "store", "reasoning_effort"} & set(req)
        assert all(m["role"] != "developer" for m in req["messages"])
        assert all(
            x["id"].startswith(("functions.", "call_abc123", "call_0", "call_x-y_z", "read", "get_weather", "search"))
            for x in calls(c)
        )
    streamed = sample("moonshot/kimi-k2.6", 40, features=ALL_FEATURES - {"stream"}, request_defaults={"stream": True})
    assert all(c["request"]["stream"] is True and "stream_options" not in c["request"] for c in streamed)


def test_spellings_and_the_sanitize_switch_are_drawn_only_for_targets_that_have_them():
    def drawn(features):
        found = {"spelling": False, "switch": False}
        for c in sample("moonshot/kimi-k2.6", 300, features=features, require=("configured_thinking", "provider")):
            thinking = (c.get("params") or {}).get("thinking")
            found["spelling"] |= thinking is not None and not isinstance(thinking, dict)
            found["switch"] |= (c.get("provider") or {}).get("sanitizeToolCallIds") is True
        return found

    assert drawn(ALL_FEATURES) == {"spelling": True, "switch": True}
    assert drawn(ALL_FEATURES - {"thinking_spellings", "sanitize_switch"}) == {"spelling": False, "switch": False}
