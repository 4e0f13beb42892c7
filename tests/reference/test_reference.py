"""The reference on the contract's own examples, and fuzzed: it raises CaseError or answers."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import rules
from harness.errors import CaseError
from harness.generation.strategies import cases
from harness.reference import transform
from harness.rules.judge import judge
from tests.examples import scaled

USER = [{"role": "user", "content": "hi"}]


def body(**case):
    case.setdefault("request", {"messages": USER})
    return transform(case)["body"]


def call(i, name="read"):
    return {"id": i, "type": "function", "function": {"name": name, "arguments": "{}"}}


def test_t1_k27_drops_exactly_the_documented_fields():
    b = body(
        model="moonshot/kimi-k2.7-code",
        thinking="off",
        request={
            "messages": USER,
            "temperature": 0.2,
            "top_p": 0.9,
            "n": 2,
            "presence_penalty": 0.1,
            "frequency_penalty": 0.1,
            "reasoning_effort": "high",
            "thinking": {"type": "disabled"},
            "stop": ["END"],
            "seed": 7,
            "logprobs": True,
            "max_tokens": 50,
            "tool_choice": "required",
            "tools": [{"type": "function", "function": {"name": "read"}}],
        },
    )
    assert {k: v for k, v in b.items() if k not in ("messages", "tools")} == {
        "model": "kimi-k2.7-code",
        "stop": ["END"],
        "seed": 7,
        "logprobs": True,
        "max_tokens": 50,
        "tool_choice": "auto",
    }


def test_t1_matches_on_model_id_whatever_the_provider():
    b = body(
        model="moonshot/kimi-k2.7-code",
        provider={"id": "my-kimi", "baseUrl": "https://x.test/v1"},
        request={"messages": USER, "temperature": 0.3},
    )
    assert "temperature" not in b


@pytest.mark.parametrize(
    "configured,level,expected",
    [
        (None, "off", "disabled"),
        (None, "minimal", "enabled"),
        (None, "xhigh", "enabled"),
        ({"type": "disabled"}, "high", "disabled"),
        (True, "off", "enabled"),
        ("OFF", "high", "disabled"),
        ("on", None, "enabled"),
        ("maybe", "off", "disabled"),
    ],
)
def test_t2_binary_thinking(configured, level, expected):
    params = {"thinking": configured} if configured is not None else None
    assert body(model="moonshot/kimi-k2.6", thinking=level, params=params)["thinking"] == {"type": expected}


def test_t2_request_thinking_left_alone_without_level_or_config():
    b = body(model="moonshot/kimi-k2.5", request={"messages": USER, "thinking": {"type": "disabled"}})
    assert b["thinking"] == {"type": "disabled"}


@pytest.mark.parametrize(
    "model,keep,level,expected",
    [
        ("moonshot/kimi-k2.6", "all", "high", {"type": "enabled", "keep": "all"}),
        ("moonshot/kimi-k2.6", "ALL", "high", {"type": "enabled", "keep": "all"}),
        ("moonshot/kimi-k2.6", None, "high", {"type": "enabled"}),
        ("moonshot/kimi-k2.6", "all", "off", {"type": "disabled"}),
        ("moonshot/kimi-k2.5", "all", "high", {"type": "enabled"}),
    ],
)
def test_t3_keep(model, keep, level, expected):
    assert (
        body(
            model=model,
            thinking=level,
            params={"thinking": {"type": "enabled", "keep": keep}} if level != "off" else {"thinking": {"keep": keep}},
        )["thinking"]
        == expected
    )


def test_t3_pinned_tool_drops_keep_and_thinking():
    b = body(
        model="moonshot/kimi-k2.6",
        thinking="high",
        params={"thinking": {"type": "enabled", "keep": "all"}},
        request={
            "messages": USER,
            "tools": [{"type": "function", "function": {"name": "read"}}],
            "tool_choice": {"type": "function", "function": {"name": "read"}},
        },
    )
    assert b["thinking"] == {"type": "disabled"}
    assert b["tool_choice"] == {"type": "function", "function": {"name": "read"}}


def test_t4_required_becomes_auto_under_thinking():
    assert (
        body(model="moonshot/kimi-k2.6", thinking="low", request={"messages": USER, "tool_choice": "required"})[
            "tool_choice"
        ]
        == "auto"
    )
    assert (
        body(model="moonshot/kimi-k2.6", thinking="off", request={"messages": USER, "tool_choice": "required"})[
            "tool_choice"
        ]
        == "required"
    )


def test_t5_backfills_empty_reasoning_only_with_thinking():
    history = USER + [
        {"role": "assistant", "content": None, "tool_calls": [call("functions.read:0")]},
        {"role": "tool", "tool_call_id": "functions.read:0", "content": "x"},
    ]
    on = body(model="moonshot/kimi-k2.6", thinking="high", request={"messages": history})
    off = body(model="moonshot/kimi-k2.6", thinking="off", request={"messages": history})
    assert on["messages"][1]["reasoning_content"] == ""
    assert "reasoning_content" not in off["messages"][1]


def test_t6_matches_openclaws_observed_ids():
    """The ids OpenClaw 2026.9.6 produced for this history (research/openclaw.md, helper run)."""
    turns = [
        ["functions.get_weather:0", "get_weather:0"],
        ["functions.get_weather:0", "get_weather_0", "$web_search:1"],
        ["get_weather:0", "call_abc-1", "toolu_01X|y"],
    ]
    messages = list(USER)
    for ids in turns:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call(i, "get_weather") for i in ids]})
        messages += [{"role": "tool", "tool_call_id": i, "content": "ok"} for i in ids]
        messages.append({"role": "user", "content": "more"})
    b = body(model="moonshot/kimi-k2.6", thinking="off", request={"messages": messages})
    got = [[c["id"] for c in m["tool_calls"]] for m in b["messages"] if m.get("tool_calls")]
    assert got == [
        ["functions.get_weather:0", "getweather0"],
        ["call_e6819d560ad2ee2c4154bb8b", "getweather0c7539b49", "websearch1"],
        ["call_85e985c2cef8b9adfef27ea4", "call_abc-1", "toolu01Xy"],
    ]
    results = [m["tool_call_id"] for m in b["messages"] if m["role"] == "tool"]
    assert results == [i for turn in got for i in turn]


def test_t6_strict_policy_for_custom_provider():
    messages = USER + [
        {"role": "assistant", "content": None, "tool_calls": [call("functions.read:0"), call("call_abc-1")]},
        {"role": "tool", "tool_call_id": "functions.read:0", "content": "a"},
        {"role": "tool", "tool_call_id": "call_abc-1", "content": "b"},
        {"role": "assistant", "content": None, "tool_calls": [call("functions.read:0")]},
        {"role": "tool", "tool_call_id": "functions.read:0", "content": "c"},
    ]
    b = body(
        model="moonshot/kimi-k2.6",
        provider={"id": "my-kimi", "baseUrl": "https://x.test/v1", "sanitizeToolCallIds": True},
        request={"messages": messages},
    )
    ids = [c["id"] for m in b["messages"] for c in m.get("tool_calls") or []]
    assert ids == ["functions.read:0", "callabc1", "functionsread02"]


def test_t7_nix_compat_and_defaults():
    req = {
        "messages": [{"role": "developer", "content": "x"}] + USER,
        "max_completion_tokens": 9,
        "store": True,
        "reasoning_effort": "high",
    }
    moonshot = body(model="moonshot/kimi-k2.6", request=req)
    assert [m["role"] for m in moonshot["messages"]] == ["system", "user"]
    assert moonshot["max_tokens"] == 9 and "max_completion_tokens" not in moonshot
    assert "store" not in moonshot and "reasoning_effort" not in moonshot
    nix = body(model="kimi/kimi-k2p5", request=req)
    assert nix["reasoning_effort"] == "high"
    custom = body(
        model="moonshot/kimi-k2.6",
        request=req,
        provider={
            "id": "p",
            "compat": {"supportsDeveloperRole": True, "supportsStore": True, "maxTokensField": "max_completion_tokens"},
        },
    )
    assert custom["messages"][0]["role"] == "developer" and custom["store"] is True
    assert custom["max_completion_tokens"] == 9 and "max_tokens" not in custom


EFFORT = {"supportsReasoningEffort": True}


def _controls(model, level, base, request=None):
    b = body(
        model=model,
        thinking=level,
        provider={"id": "moonshot" if "moonshot.ai" in base else "my-kimi", "baseUrl": base, "compat": EFFORT},
        request={"messages": USER, **(request or {})},
    )
    return {k: b[k] for k in ("thinking", "reasoning_effort") if k in b}


@pytest.mark.parametrize(
    "model,level,base,expected",
    [
        # issue #27's case: thinking only on a native host, whatever supportsReasoningEffort says
        ("moonshot/kimi-k2.6", "high", "https://api.moonshot.ai/v1", {"thinking": {"type": "enabled"}}),
        ("moonshot/kimi-k2.5", "minimal", "https://api.moonshot.cn/v1/", {"thinking": {"type": "enabled"}}),
        # off: thinking disabled, never reasoning_effort "none" (a 400 on K2.5/K2.6)
        ("moonshot/kimi-k2.6", "off", "https://api.moonshot.ai/v1", {"thinking": {"type": "disabled"}}),
        ("moonshot/kimi-k2-turbo", "high", "https://api.moonshot.ai/v1", {"thinking": {"type": "enabled"}}),
        # K3 takes reasoning_effort and never a thinking object
        ("moonshot/kimi-k3", "high", "https://api.moonshot.ai/v1", {"reasoning_effort": "high"}),
        ("moonshot/kimi-k3", "xhigh", "https://api.moonshot.cn/v1", {"reasoning_effort": "max"}),
        ("moonshot/kimi-k3", "off", "https://api.moonshot.ai/v1", {}),
        # off the Moonshot hosts the flag still decides (D3): a proxy gets both
        (
            "moonshot/kimi-k2.6",
            "high",
            "https://proxy.test/v1",
            {"thinking": {"type": "enabled"}, "reasoning_effort": "high"},
        ),
        ("moonshot/kimi-k2.6", "off", "https://proxy.test/v1", {"thinking": {"type": "disabled"}}),
    ],
)
def test_d3_amended_the_level_as_thinking_only_on_moonshot_hosts(model, level, base, expected):
    assert _controls(model, level, base) == expected


def test_d3_amended_a_requests_own_reasoning_effort_never_reaches_a_k2_on_a_moonshot_host():
    own = {"reasoning_effort": "none", "thinking": {"type": "enabled"}}
    assert _controls("moonshot/kimi-k2.6", None, "https://api.moonshot.ai/v1", own) == {"thinking": {"type": "enabled"}}
    assert "reasoning_effort" not in body(
        model="moonshot/kimi-k2.5",
        params={"extra_body": {"reasoning_effort": "high"}},
        provider={"id": "my-kimi", "baseUrl": "https://api.moonshot.ai/v1", "compat": EFFORT},
    )


@pytest.mark.parametrize(
    "base,expected",
    [("https://api.moonshot.ai/v1", True), ("https://api.moonshot.cn/v1/", True), ("https://proxy.test/v1", False)],
)
def test_t8_match_is_on_the_endpoint(base, expected):
    b = body(
        model="moonshot/kimi-k2.6",
        provider={"id": "my-kimi", "baseUrl": base},
        request={"messages": USER, "stream": True},
    )
    assert ("stream_options" in b) is expected


def test_t6b_extra_body_is_held_to_the_rules():
    b = body(
        model="moonshot/kimi-k2.6",
        thinking="off",
        params={"extra_body": {"thinking": {"type": "enabled", "keep": "all"}, "tool_choice": "required", "x_tag": 1}},
    )
    assert b["thinking"] == {"type": "disabled"} and b["tool_choice"] == "required" and b["x_tag"] == 1


def test_auth_header_is_a_placeholder():
    out = transform({"model": "moonshot/kimi-k2.6", "request": {"messages": USER}})
    assert out["headers"]["authorization"] == "Bearer <redacted>"


BAD_CASES = [
    ({"model": "moonshot/kimi-k9", "request": {"messages": USER}}, "unknown model ref"),
    ({"model": "moonshot/kimi-k2.6", "request": {"messages": "hi"}}, "messages"),
    ({"model": "moonshot/kimi-k2.6", "request": {"messages": []}}, "messages"),
    ({"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "robot", "content": "x"}]}}, "role"),
    ({"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "tool", "content": "x"}]}}, "tool_call_id"),
    (
        {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "x", "tool_calls": []}]}},
        "tool_calls",
    ),
    ({"model": "moonshot/kimi-k2.6", "thinking": "max", "request": {"messages": USER}}, "thinking"),
    ({"model": "moonshot/kimi-k2.6", "request": {"messages": USER}, "extra": 1}, "extra"),
    ({"model": "moonshot/kimi-k2.6", "request": {"messages": USER, "temperature": "hot"}}, "temperature"),
    (
        {"model": "moonshot/kimi-k2.6", "provider": {"id": "x", "baseUrl": "ftp://x"}, "request": {"messages": USER}},
        "baseUrl",
    ),
    ({"request": {"messages": USER}}, "model"),
    (["not", "a", "case"], "JSON object"),
    ({"model": "moonshot/kimi-k2.6", "request": {"messages": USER, "n": float("nan")}}, "plain JSON"),
]


@pytest.mark.parametrize("case,needle", BAD_CASES, ids=[n for _, n in BAD_CASES])
def test_bad_cases_raise_one_clear_error(case, needle):
    with pytest.raises(CaseError) as e:
        transform(case)
    assert needle in str(e.value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12,
)


@settings(max_examples=scaled(300), deadline=None)
@given(
    st.one_of(
        JSON,
        st.fixed_dictionaries({"model": st.sampled_from(["moonshot/kimi-k2.6", "kimi/k2p5", "x"]), "request": JSON}),
        st.fixed_dictionaries(
            {
                "model": st.just("moonshot/kimi-k2.7-code"),
                "request": st.fixed_dictionaries(
                    {
                        "messages": st.lists(
                            st.dictionaries(
                                st.sampled_from(["role", "content", "tool_calls", "tool_call_id", "reasoning_content"]),
                                JSON,
                                max_size=4,
                            ),
                            min_size=1,
                            max_size=3,
                        )
                    },
                    optional={"tool_choice": JSON, "thinking": JSON},
                ),
            },
            optional={"params": JSON, "provider": JSON, "thinking": JSON},
        ),
    )
)
def test_fuzz_reference_never_crashes(case):
    try:
        out = transform(case)
    except CaseError:
        return
    assert json.loads(json.dumps(out))["method"] == "POST"


@settings(max_examples=scaled(200), deadline=None)
@given(st.data())
def test_reference_satisfies_every_property(data):
    model = data.draw(
        st.sampled_from(
            [
                "moonshot/kimi-k2.6",
                "moonshot/kimi-k2.7-code",
                "moonshot/kimi-k3",
                "kimi/kimi-k2p5",
                "moonshot/kimi-k2-turbo",
            ]
        )
    )
    case = data.draw(cases(model))
    out = transform(case)
    for rule in rules.transform_rules():
        verdict = judge(rule.id, case, out, transform=transform)
        assert verdict.ok, verdict.text()
