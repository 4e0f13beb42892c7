"""The reference for Kimi Coding's Anthropic surface, its dispatch, and the property checks that judge it."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.catalog import builtin
from harness.contract.case import context
from harness.errors import CaseError
from harness.reference import transform
from harness.rules import anthropic_agreement as agreeing
from harness.rules import anthropic_checks as checks
from harness.wire import schemas
from tests.examples import scaled

ANTHROPIC_MODELS = ["kimi/kimi-for-coding", "kimi/kimi-for-coding-highspeed", "kimi/k3", "kimi/k3-256k"]
TOOL = {
    "type": "function",
    "function": {
        "name": "read",
        "description": "read a file",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    },
}
HISTORY = [
    {"role": "system", "content": "You are Kimi."},
    {"role": "user", "content": "hi"},
    {
        "role": "assistant",
        "content": "let me look",
        "reasoning_content": "need the tool",
        "tool_calls": [
            {"id": "functions.read:0", "type": "function", "function": {"name": "read", "arguments": '{"q": "x"}'}},
            {"id": "call_1", "type": "function", "function": {"name": "read", "arguments": "{}"}},
        ],
    },
    {"role": "tool", "tool_call_id": "functions.read:0", "content": "r0"},
    {"role": "tool", "tool_call_id": "call_1", "content": "r1"},
    {"role": "user", "content": "thanks"},
]


def case(model="kimi/kimi-for-coding", **request):
    thinking = request.pop("level", None)
    c = {"model": model, "request": {"messages": copy.deepcopy(HISTORY), **request}}
    if thinking:
        c["thinking"] = thinking
    return c


def test_catalog_carries_each_models_surface():
    cat = builtin()
    for ref in ANTHROPIC_MODELS:
        m = cat.resolve(ref)
        assert (m.api, m.base_url) == ("anthropic-messages", "https://api.kimi.com/coding")
    for ref in ("kimi/kimi-k2p5", "kimi/kimi-latest", "moonshot/kimi-k2.6"):
        assert cat.resolve(ref).api == "openai-completions"
    assert cat.resolve("kimi/kimi-k2p5").base_url == "https://api.kimi.com/coding/v1"
    ep = cat.providers["kimi"].endpoint_for("https://api.kimi.com/coding")
    assert ep["authHeader"] == "x-api-key" and ep["headers"]["user-agent"] == "claude-code/0.1.0"


def test_a_model_base_url_outside_its_providers_endpoints_is_rejected():
    import json

    from harness.catalog import BUILTIN_PATH, Catalog
    from harness.errors import CatalogError

    data = json.loads(BUILTIN_PATH.read_text())
    data["providers"]["kimi"]["models"][0]["baseUrl"] = "https://elsewhere.example/coding"
    with pytest.raises(CatalogError, match="not one of provider kimi's endpoints"):
        Catalog(data)


@pytest.mark.parametrize("ref", ["kimi/kimi-code", "kimi/k2p5", "kimi-coding/k2p5", "Kimi", *ANTHROPIC_MODELS])
def test_anthropic_models_go_to_the_messages_endpoint_with_x_api_key(ref):
    out = transform({"model": ref, "request": {"messages": [{"role": "user", "content": "hi"}]}})
    assert out["url"] == "https://api.kimi.com/coding/v1/messages"
    assert out["headers"]["x-api-key"] == "<redacted>" and "authorization" not in out["headers"]
    assert out["headers"]["anthropic-version"] == "2023-06-01"
    assert out["headers"]["user-agent"] == "claude-code/0.1.0"
    assert out["body"]["model"] == builtin().resolve(ref).id


@pytest.mark.parametrize("ref", ["moonshot/kimi-k2.6", "kimi/kimi-k2p5", "moonshot/kimi-k3"])
def test_chat_completions_models_are_unchanged(ref):
    out = transform(case(ref, level="high", tools=[TOOL], tool_choice="required"))
    assert out["url"].endswith("/chat/completions") and out["headers"]["authorization"] == "Bearer <redacted>"
    assert out["body"]["messages"][0] == {"role": "system", "content": "You are Kimi."}
    schemas.validate("request", out["body"])


def test_a_custom_provider_on_a_kimi_model_is_openai_compatible_unless_it_says_otherwise():
    c = {**case(), "provider": {"id": "my-kimi", "baseUrl": "https://gw.example/v1"}}
    assert transform(c)["url"] == "https://gw.example/v1/chat/completions"
    c["provider"]["api"] = "anthropic-messages"
    assert transform(c)["url"] == "https://gw.example/v1/v1/messages"
    own = {**case(), "provider": {"id": "kimi", "api": "openai-completions"}}  # the catalog provider, other surface
    assert transform(own)["url"] == "https://api.kimi.com/coding/v1/chat/completions"


def test_the_body_lifts_system_converts_tools_and_pairs_results():
    body = transform(case(tools=[TOOL], level="high"))["body"]
    schemas.validate("anthropic-request", body)
    assert body["system"] == "You are Kimi."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user", "user"]
    thinking, text, call0, call1 = body["messages"][1]["content"]
    assert thinking == {"type": "thinking", "thinking": "need the tool", "signature": ""}
    assert text == {"type": "text", "text": "let me look"}
    assert call0 == {"type": "tool_use", "id": "functions_read_0", "name": "read", "input": {"q": "x"}}
    assert call1["id"] == "call_1" and call1["input"] == {}
    assert body["messages"][2]["content"] == [  # both results in one user turn, ids mapped like their calls
        {"type": "tool_result", "tool_use_id": "functions_read_0", "content": "r0"},
        {"type": "tool_result", "tool_use_id": "call_1", "content": "r1"},
    ]
    assert body["tools"] == [
        {"name": "read", "description": "read a file", "input_schema": TOOL["function"]["parameters"]}
    ]


@pytest.mark.parametrize(
    "level,max_tokens,want",
    [
        (None, None, {"max_tokens": 32000}),  # min(catalog max 32768, 32000), no thinking field
        ("off", 500, {"max_tokens": 500, "thinking": {"type": "disabled"}}),
        ("low", 500, {"max_tokens": 2548, "thinking": {"type": "enabled", "budget_tokens": 2048}}),
        ("high", None, {"max_tokens": 32768, "thinking": {"type": "enabled", "budget_tokens": 16384}}),
    ],
)
def test_max_tokens_is_always_there_and_thinking_follows_the_level(level, max_tokens, want):
    request = {} if max_tokens is None else {"max_tokens": max_tokens}
    body = transform(case(level=level, **request))["body"]
    assert {k: body.get(k) for k in want} == want
    if level is None:
        assert "thinking" not in body


def test_tool_choice_and_thinking():
    body = transform(case(tools=[TOOL], tool_choice="required"))["body"]
    assert body["tool_choice"] == {"type": "any"}
    body = transform(case(tools=[TOOL], tool_choice="required", level="high", temperature=0.5))["body"]
    assert body["tool_choice"] == {"type": "auto"} and "temperature" not in body  # thinking forbids both
    pinned = {"type": "function", "function": {"name": "read"}}
    body = transform(case(tools=[TOOL], tool_choice=pinned, level="high"))["body"]
    assert body["tool_choice"] == {"type": "tool", "name": "read"} and body["thinking"] == {"type": "disabled"}
    body = transform(case(tool_choice="auto"))["body"]
    assert "tool_choice" not in body  # no tools, no tool_choice


def test_openai_only_fields_do_not_go_out_and_sampling_is_mapped():
    body = transform(
        case(
            n=1,
            presence_penalty=0,
            seed=3,
            logprobs=True,
            store=False,
            reasoning_effort="low",
            stream=True,
            stream_options={"include_usage": True},
            stop="END",
            top_p=0.9,
            temperature=1.7,
        )
    )["body"]
    schemas.validate("anthropic-request", body)
    assert not {"n", "presence_penalty", "seed", "logprobs", "store", "reasoning_effort", "stream_options"} & set(body)
    assert body["stop_sequences"] == ["END"] and body["top_p"] == 0.9 and body["stream"] is True
    assert body["temperature"] == 1  # clamped to Anthropic's 0..1


def test_malformed_shapes_are_case_errors():
    with pytest.raises(CaseError):
        transform({"model": "kimi/kimi-for-coding", "request": {"messages": "hi"}})


# ------------------------------------------------------------------------------- the checks
def _out(**request):
    c = case(tools=[TOOL], level="high", **request)
    return c, context(c), transform(c)


def test_the_reference_passes_every_check_and_agrees_with_itself():
    c, ctx, out = _out()
    assert checks.check_all(c, ctx, out) == []
    assert agreeing.agreement(out, out) == []


def _break(out, fn):
    bad = copy.deepcopy(out)
    fn(bad)
    return bad


MUTANTS = {
    "anthropic.url": lambda o: o.update(url="https://api.kimi.com/coding/v1/chat/completions"),
    "anthropic.host": lambda o: o.update(url="https://api.moonshot.ai/coding/v1/messages"),
    "anthropic.key-header": lambda o: o["headers"].pop("x-api-key"),
    "anthropic.key-leaked": lambda o: o["headers"].update({"x-api-key": "sk-canary-leaked-key-123"}),
    "anthropic.key-in-both-headers": lambda o: o["headers"].update(authorization="Bearer <redacted>"),
    "anthropic.anthropic-version": lambda o: o["headers"].pop("anthropic-version"),
    "anthropic.user-agent": lambda o: o["headers"].pop("user-agent"),
    "anthropic.schema": lambda o: o["body"].update(n=2),
    "anthropic.model": lambda o: o["body"].update(model="kimi-code"),
    "anthropic.system-in-messages": lambda o: o["body"]["messages"].insert(0, {"role": "system", "content": "x"}),
    "anthropic.system-lifted": lambda o: o["body"].pop("system"),
    "anthropic.tool-result-pairing": lambda o: o["body"]["messages"][2]["content"][0].update(tool_use_id="other"),
    "anthropic.tool-results-kept": lambda o: o["body"]["messages"][2]["content"].pop(),
    "anthropic.tool-result-turn": lambda o: o["body"]["messages"].insert(2, {"role": "user", "content": "x"}),
    "anthropic.max-tokens": lambda o: o["body"].pop("max_tokens"),
    "anthropic.thinking-budget": lambda o: o["body"]["thinking"].update(budget_tokens=40000),
    "anthropic.forced-tool-under-thinking": lambda o: o["body"].update(tool_choice={"type": "any"}),
    "anthropic.temperature-under-thinking": lambda o: o["body"].update(temperature=0.2),
}


@pytest.mark.parametrize("check", sorted(MUTANTS))
def test_each_check_catches_its_mutant(check):
    c, ctx, out = _out()
    found = checks.check_all(c, ctx, _break(out, MUTANTS[check]))
    assert check in {v.check for v in found}, [str(v) for v in found]
    assert all(v.rule == "anthropic" and v.path.startswith("/") for v in found)


def _swap_to_bearer(o):
    o["headers"].pop("x-api-key")
    o["headers"]["Authorization"] = "Bearer <redacted>"


@pytest.mark.parametrize(
    "fix,found",
    [
        (_swap_to_bearer, set()),  # D6: Bearer alone is how Kimi's own docs configure Claude Code
        (
            lambda o: o["headers"].update({"Authorization": "Bearer sk-canary-leaked-key-123"}),
            {"key-in-both-headers", "key-leaked"},
        ),
        (
            lambda o: (_swap_to_bearer(o), o["headers"].update(Authorization="Bearer sk-canary-leaked-key-123")),
            {"key-leaked"},
        ),
        (lambda o: (o["headers"].pop("x-api-key"), o["headers"].update(authorization="Basic abc")), {"key-header"}),
        (lambda o: (o["headers"].pop("x-api-key"), o["headers"].update(authorization="Bearer ")), {"key-header"}),
    ],
)
def test_the_key_goes_in_exactly_one_of_the_two_accepted_headers(fix, found):
    c, ctx, out = _out()
    auth = {v.check for v in checks.auth(c, ctx, _break(out, fix))}
    assert {a.removeprefix("anthropic.") for a in auth} == found


def test_agreement_names_the_differing_field():
    _, _, out = _out()
    other = _break(out, lambda o: o["body"]["messages"][1]["content"][3].update(id="call_2"))
    other["body"]["messages"][2]["content"][1]["tool_use_id"] = "call_2"
    found = agreeing.agreement(other, out)
    assert [v.path for v in found] == ["/body/messages"] and found[0].check == "anthropic.agreement"
    # spelling differences a faithful client may have are not disagreements
    same = _break(
        out,
        lambda o: o["body"].update(
            system=[{"type": "text", "text": o["body"]["system"], "cache_control": {"type": "ephemeral"}}]
        ),
    )
    same["body"]["messages"][2]["content"][0]["is_error"] = False
    same["body"]["messages"][1]["content"][0]["signature"] = "abc"
    assert agreeing.agreement(same, out) == []


@settings(max_examples=scaled(60), deadline=None)
@given(data=st.data())
def test_the_reference_conforms_on_drawn_cases(data):
    from harness.generation.strategies import cases
    from harness.targets.base import ALL_FEATURES

    model = data.draw(st.sampled_from(ANTHROPIC_MODELS))
    c = data.draw(cases(model, ALL_FEATURES - {"custom_provider", "compat"}))
    out = transform(c)
    assert checks.check_all(c, context(c), out) == []
