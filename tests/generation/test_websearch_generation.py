"""The T10 strategy draws every form a web search client sends (in a sample of N derandomized
cases), and any drawn bytes decode to a valid case. Cheaper strategies must keep this."""

from __future__ import annotations

import json
import random

import pytest

from harness.contract.case import LEVELS, validate_case
from harness.generation.sample import examples
from harness.generation.websearch import CASE_BYTES, WEB_SEARCH_TOOL, web_search_case, web_search_cases
from harness.targets.base import ALL_FEATURES

N = 300


@pytest.fixture(scope="module")
def drawn():
    return examples(web_search_cases("moonshot/kimi-k2.6", {"thinking": "either"}), N)


def searches(case):
    return [
        c
        for m in case["request"]["messages"]
        for c in m.get("tool_calls") or []
        if c["function"]["name"] == "$web_search"
    ]


def search_messages(case):
    return [m for m in case["request"]["messages"] if any(c in searches(case) for c in m.get("tool_calls") or [])]


def tokens(call):
    return json.loads(call["function"]["arguments"])["usage"]["total_tokens"]


def tool_names(case):
    return [t["function"]["name"] for t in case["request"]["tools"]]


ABSENT = object()
FEATURES = {
    "builtin tool alone": lambda c: c["request"]["tools"] == [WEB_SEARCH_TOOL],
    "builtin tool first of several": lambda c: len(tool_names(c)) > 1 and tool_names(c)[0] == "$web_search",
    "builtin tool last of several": lambda c: len(tool_names(c)) > 1 and tool_names(c)[-1] == "$web_search",
    "builtin tool between two": lambda c: len(tool_names(c)) == 3 and tool_names(c)[1] == "$web_search",
    "read and get_weather": lambda c: {"read", "get_weather"} <= set(tool_names(c)),
    "get_weather alone": lambda c: set(tool_names(c)) == {"$web_search", "get_weather"},
    "no rounds": lambda c: not any(m.get("tool_calls") for m in c["request"]["messages"]),
    "three rounds": lambda c: sum(1 for m in c["request"]["messages"] if m.get("tool_calls")) == 3,
    "a function round": lambda c: any(
        x["function"]["name"] == "read" for m in c["request"]["messages"] for x in m.get("tool_calls") or []
    ),
    "a finished search and a new question": lambda c: any(
        m.get("content") == "Here is what I found." for m in c["request"]["messages"]
    ),
    "system message": lambda c: c["request"]["messages"][0]["role"] == "system",
    "id $web_search:N": lambda c: any(
        x["id"].startswith("$web_search:") and x["id"] != "$web_search:0" for x in searches(c)
    ),
    "id $web_search_N": lambda c: any(x["id"].startswith("$web_search_") for x in searches(c)),
    "id $web_search:0 repeated": lambda c: [x["id"] for x in searches(c)].count("$web_search:0") > 1,
    "call type builtin_function": lambda c: any(x["type"] == "builtin_function" for x in searches(c)),
    "call type function": lambda c: any(x["type"] == "function" for x in searches(c)),
    "spaced arguments": lambda c: any('": ' in x["function"]["arguments"] for x in searches(c)),
    "compact arguments": lambda c: any('":' in x["function"]["arguments"].replace('": ', "") for x in searches(c)),
    "few search tokens": lambda c: any(tokens(x) <= 256 for x in searches(c)),
    "many search tokens": lambda c: any(tokens(x) > 4096 for x in searches(c)),
    **{
        f"search content {s!r}": lambda c, s=s: any(m["content"] == s for m in search_messages(c))
        for s in ("", None, "Let me search.")
    },
    "reasoning_content absent": lambda c: any("reasoning_content" not in m for m in search_messages(c)),
    "reasoning_content empty": lambda c: any(m.get("reasoning_content") == "" for m in search_messages(c)),
    "reasoning_content text": lambda c: any(m.get("reasoning_content") for m in search_messages(c)),
    **{
        # a stable name for the absent value: xdist workers must collect the same test ids
        f"tool_choice {'absent' if t is ABSENT else repr(t)}": lambda c, t=t: (
            c["request"].get("tool_choice", ABSENT) == t
        )
        for t in (ABSENT, "auto", "none", "required")
    },
    "tool_choice pinning a function tool": lambda c: (
        isinstance(c["request"].get("tool_choice"), dict)
        and c["request"]["tool_choice"]["function"]["name"] in set(tool_names(c)) - {"$web_search"}
    ),
    "stream": lambda c: c["request"].get("stream") is True,
    **{f"max_tokens {n}": lambda c, n=n: c["request"].get("max_tokens") == n for n in (256, 1024)},
    "no level": lambda c: "thinking" not in c,
    **{f"level {lv}": lambda c, lv=lv: c.get("thinking") == lv for lv in LEVELS},
    **{
        f"custom provider sanitizing {b}": lambda c, b=b: (c.get("provider") or {}).get("sanitizeToolCallIds") is b
        for b in (True, False)
    },
}


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_every_form_is_drawn(feature, drawn):
    assert any(FEATURES[feature](c) for c in drawn), f"{feature!r} never drawn in {len(drawn)} cases"


@pytest.mark.parametrize("facts", [{"thinking": "either"}, {"thinking": "disabled"}, None])
@pytest.mark.parametrize("features", [ALL_FEATURES, frozenset()], ids=["all", "none"])
def test_any_bytes_decode_to_a_valid_case(facts, features):
    rng = random.Random(11)
    for raw in [bytes(CASE_BYTES), b"\xff" * CASE_BYTES] + [rng.randbytes(CASE_BYTES) for _ in range(300)]:
        case = web_search_case("moonshot/kimi-k2.6", facts, features, raw)
        validate_case(case)
        assert WEB_SEARCH_TOOL in case["request"]["tools"]
        assert (case.get("thinking") == "off") if facts and facts["thinking"] == "disabled" else True
        assert features or set(case) <= {"model", "request", "thinking"}  # "off" for a disabled model
        choice = case["request"].get("tool_choice")
        if isinstance(choice, dict):  # a pinned tool is a function tool of the request, never $web_search
            assert choice["function"]["name"] in set(tool_names(case)) - {"$web_search"}
    with pytest.raises(IndexError):  # CASE_BYTES is what the decoder reads, not more
        web_search_case("moonshot/kimi-k2.6", facts, features, bytes(CASE_BYTES - 1))
    assert web_search_case("moonshot/kimi-k2.6", facts, ALL_FEATURES, bytes(CASE_BYTES))["request"] == {
        "messages": [{"role": "user", "content": "kimi k2.6 release notes"}],
        "tools": [WEB_SEARCH_TOOL],
    }
