"""Hypothesis strategies for realistic cases.

`cases(model_ref, features)` draws the inputs the rules care about, often enough that a broken
rule is hit within a few dozen examples: odd spellings of configured thinking, every
tool_choice form, multi-turn histories whose tool-call ids repeat across turns in every form
the API and its clients use, extra bodies that fight the rules, both regions and custom
providers. Only features the target can express are drawn.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

from harness.contract.case import LEVELS
from harness.targets.base import ALL_FEATURES

NATIVE_HOSTS = ("https://api.moonshot.ai/v1", "https://api.moonshot.cn/v1")
OTHER_HOSTS = ("https://gateway.example.test/v1", "http://127.0.0.1:8080/v1")
TOOL_NAMES = ("read", "get_weather", "search")
# D5: content is opaque, so draw it as users write it: padded, empty, non-BMP, multi-line.
TEXTS = ("hi", "go on", "what is the weather?", "再来一次", "", "Reply exactly: OK",
         "  padded  ", "\ttab first", "trailing newline\n", "😀 non-BMP 𝕂", "a\r\nb")
TEXT = st.sampled_from(TEXTS)
# Speed: strategies are built once, here, not inside the composites (building one per draw, and
# Hypothesis validating it, cost more than the draw itself), and independent small choices are
# drawn as one choice from their product: the same values with the same probabilities, in a
# fraction of the draws.
BOOL = st.booleans()
ROLE = st.sampled_from(["system", "developer"])
TURNS = {n: st.integers(n, 3) for n in (0, 1, 2, 3)}
CALLS = st.integers(1, 3)
# (name, arguments) of a tool call
CALL_BODY = st.sampled_from([(n, a) for n in TOOL_NAMES for a in ("{}", '{"q": "x"}')])
# (content, reasoning_content) of an assistant tool-call message; "absent": no key at all
ASSISTANT = st.sampled_from([(c, r) for c in (None, "", "let me look")
                             for r in (None, "absent", "absent", "thinking about it", "")])
# (a plain "done" answer after the tool results?, the next user text)
TURN_END = st.sampled_from([(done, t) for done in (False, True) for t in TEXTS])
QUARTER = st.integers(0, 3)  # 0 with probability 1/4
THIRD = st.integers(0, 2)  # 0 with probability 1/3
PARAM_TEMPERATURE = st.sampled_from([0.2, 0.7])
GROUP = 5  # optional request fields decided per draw; 3**5 values keep Hypothesis' draw near-uniform
PRESENCE = st.integers(0, 3**GROUP - 1)


@cache
def content(features: frozenset[str]) -> st.SearchStrategy[Any]:
    """A user message's content: text, or (when the target can express it) an array of parts."""
    if "content_parts" not in features:
        return TEXT
    parts = st.lists(st.builds(lambda t: {"type": "text", "text": t}, TEXT), min_size=1, max_size=2)
    return st.one_of(TEXT, TEXT, parts)


def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": f"{name} tool",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}


def tool_ids(odd: bool) -> st.SearchStrategy[str]:
    """A small pool, so ids repeat across turns as they do in real Kimi transcripts."""
    return _TOOL_IDS[bool(odd)]


def _tool_ids(odd: bool) -> st.SearchStrategy[str]:
    """one_of(pools): one draw picks the pool, one the id (native weighs double)."""
    pool = st.sampled_from
    native = pool([f"functions.{n}:{i}" for n in TOOL_NAMES for i in (0, 1)])
    official = pool([f"{n}{sep}{i}" for n in TOOL_NAMES for i in (0, 1) for sep in (":", "_")])
    openai = pool(["call_abc123", "call_0", "call_x-y_z"])
    pools = [native, native, official, openai]
    if odd:
        pools.append(pool(["toolu_01X|y", "call_abc-1", "$web_search:1", "id with space", "call_", "函数:0"]))
    return st.one_of(*pools)


_TOOL_IDS = {odd: _tool_ids(odd) for odd in (False, True)}


@st.composite
def history(draw, features: frozenset[str], min_turns: int = 0) -> list[dict[str, Any]]:
    return _history(draw, features, min_turns)


# The composites' bodies are plain functions of `draw`, so `cases` draws them inline: one
# strategy (and one span) per case instead of a new composite object per part per case.
def _history(draw, features: frozenset[str], min_turns: int = 0) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if draw(BOOL):
        role = draw(ROLE) if "developer_role" in features else "system"
        messages.append({"role": role, "content": "You are Kimi."})
    messages.append({"role": "user", "content": draw(content(features))})
    ids = tool_ids("odd_tool_ids" in features)
    for _ in range(draw(TURNS[min_turns])):
        calls = []
        for _ in range(draw(CALLS)):
            name, arguments = draw(CALL_BODY)
            calls.append({"id": draw(ids), "type": "function", "function": {"name": name, "arguments": arguments}})
        said, reasoning = draw(ASSISTANT)
        assistant: dict[str, Any] = {"role": "assistant", "content": said, "tool_calls": calls}
        if reasoning != "absent":  # None: the key is there with null; "absent": no key at all
            assistant["reasoning_content"] = reasoning
        messages.append(assistant)
        for call in calls:
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": "result"})
        done, text = draw(TURN_END)
        if done:
            messages.append({"role": "assistant", "content": "done"})
        messages.append({"role": "user", "content": text})
    return messages


@cache
def tool_choice() -> st.SearchStrategy[Any]:
    return st.sampled_from([
        "auto", "none", "required", None,
        {"type": "function", "function": {"name": "read"}},
        {"type": "function", "function": {"name": "get_weather"}},
    ])


@cache
def thinking_object(with_type: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    keep = st.sampled_from(["all", "ALL", "All", None, "last", " all "])
    types = st.sampled_from(["enabled", "disabled"])
    return st.one_of(
        st.fixed_dictionaries({"type": types}),
        st.fixed_dictionaries({"type": types, "keep": keep}),
        *( [st.fixed_dictionaries({"keep": keep})] if not with_type else []),
    )


@cache
def configured_thinking() -> st.SearchStrategy[Any]:
    """params.thinking in every spelling OpenClaw accepts, and some it should ignore."""
    return st.one_of(
        thinking_object(with_type=False),
        st.booleans(),
        st.sampled_from(["enabled", "on", "true", "disabled", "off", "false", "ENABLED", "Off", "maybe"]),
        st.just("maybe"),  # a word that is no setting, on its own branch: drawn often enough to be seen
        st.none(),
    )


@st.composite
def request(draw, features: frozenset[str], require: frozenset[str] = frozenset()) -> dict[str, Any]:
    return _request(draw, features, require)


def _request(draw, features: frozenset[str], require: frozenset[str] = frozenset()) -> dict[str, Any]:
    messages = _history(draw, features, min_turns=2 if "tool_history" in require else 0)
    body: dict[str, Any] = {"messages": messages}
    names = {c["function"]["name"] for m in messages for c in m.get("tool_calls") or []}
    if names or "tool_choice" in require or draw(BOOL):
        body["tools"] = [_tool(n) for n in sorted(names | {"read", "get_weather"})]
        if "tool_choice" in require or draw(QUARTER):
            body["tool_choice"] = draw(tool_choice())
    optional = _optional(features)
    keys = list(optional)
    for start in range(0, len(keys), GROUP):
        # One draw decides a group of fields: base-3 digit 2 = present (each field 1 in 3, as
        # before); 0 shrinks to "none of them".
        digits = draw(PRESENCE)
        for key in keys[start:start + GROUP]:
            digits, digit = divmod(digits, 3)
            if digit == 2:
                body[key] = draw(optional[key])
    if "stream" in features and "stream" not in body and ("stream" in require or draw(BOOL)):
        body["stream"] = True  # streaming is the common case for agents: draw it often
    if "sampling" in require:
        for key in ("temperature", "top_p", "n", "stop", "seed"):
            body.setdefault(key, draw(optional[key]))
    if "developer_role" in require and "developer_role" in features:
        body["messages"].insert(0, {"role": "developer", "content": "Be brief."})
    return body


@cache
def _optional(features: frozenset[str]) -> dict[str, st.SearchStrategy[Any]]:
    """The optional request fields the target can express, each with its values, in draw order."""
    optional = {
        "temperature": st.sampled_from([0.0, 0.3, 0.6, 1.0, 1.3]),
        "top_p": st.sampled_from([0.5, 0.95, 1.0]),
        "n": st.integers(1, 2),
        "presence_penalty": st.sampled_from([0.0, 0.5]),
        "frequency_penalty": st.sampled_from([0.0, -0.5]),
        "stop": st.sampled_from(["\n\n", ["END", "STOP"]]),
        "seed": st.integers(0, 2**31 - 1),
        "logprobs": st.booleans(),
        "max_tokens": st.integers(1, 4096),
        "max_completion_tokens": st.integers(1, 4096),
        "user": st.sampled_from(["u-1", "tester"]),
        "response_format": st.just({"type": "json_object"}),
        "x_trace_id": st.sampled_from(["abc", "0"]),
    }
    if "stream" in features:
        optional["stream"] = st.booleans()
        optional["stream_options"] = st.sampled_from([{"include_usage": False}, {"include_usage": True}, {"chunk_hint": 1}])
    if "request_thinking" in features:
        optional["thinking"] = thinking_object()
    if "store" in features:
        optional["store"] = st.booleans()
    if "reasoning_effort" in features:
        optional["reasoning_effort"] = st.sampled_from(["low", "high"])
    return optional


@cache
def extra_body() -> st.SearchStrategy[dict[str, Any]]:
    """Extra bodies that fight the rules (T6b) as users' configs do, and harmless ones."""
    return st.one_of(
        st.fixed_dictionaries({"thinking": thinking_object()}),
        st.just({"tool_choice": "required"}),
        st.just({"temperature": 0.2, "top_p": 0.9}),
        st.fixed_dictionaries({"thinking": thinking_object(), "tool_choice": st.sampled_from(["required", "auto"])}),
        st.just({"x_gateway_tag": "blue"}),
    )


@cache
def keep_object() -> st.SearchStrategy[dict[str, Any]]:
    """A configured thinking object that asks for keep, in the spellings users write."""
    return st.fixed_dictionaries(
        {"keep": st.sampled_from(["all", "ALL", "All", " all ", None, "last"])},
        optional={"type": st.sampled_from(["enabled", "disabled"])},
    )


@st.composite
def params(draw, features: frozenset[str], require: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    return _params(draw, features, require)


def _params(draw, features: frozenset[str], require: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    if not require & {"keep", "configured_thinking"} and draw(QUARTER) == 0:
        return None
    out: dict[str, Any] = {}
    if "configured_thinking" not in features:
        pass  # the target has no per-model params.thinking to configure
    elif "keep" in require:
        out["thinking"] = draw(keep_object())
    elif "configured_thinking" in require or draw(THIRD):
        out["thinking"] = draw(configured_thinking())
    if "params_sampling" in features and draw(QUARTER) == 0:
        out["temperature"] = draw(PARAM_TEMPERATURE)
    if "extra_body" in features and draw(THIRD) == 0:
        out["extra_body"] = draw(extra_body())
    return out


@st.composite
def provider(draw, features: frozenset[str], provider_id: str, require: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    return _provider(draw, features, provider_id, require)


PROVIDER_CHOICE = st.integers(0, 5)  # 0-2: the model's own provider (1: its other region); 3-5: custom
CUSTOM_PROVIDER_CHOICE = st.sampled_from([1, 3, 4, 5])
CUSTOM_ID = st.sampled_from(["my-kimi", "kimi-proxy"])
BASE_URL = st.sampled_from(NATIVE_HOSTS + OTHER_HOSTS)
COMPAT = st.fixed_dictionaries({}, optional={
    "maxTokensField": st.sampled_from(["max_tokens", "max_completion_tokens"]),
    "supportsDeveloperRole": st.booleans(),
    "supportsReasoningEffort": st.booleans(),
    "supportsStore": st.booleans(),
})


def _provider(draw, features: frozenset[str], provider_id: str, require: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    choice = draw(CUSTOM_PROVIDER_CHOICE if "provider" in require else PROVIDER_CHOICE)
    if choice <= 2 or "custom_provider" not in features:
        if choice == 1 and provider_id == "moonshot":
            return {"id": "moonshot", "baseUrl": NATIVE_HOSTS[1]}  # the China region of the built-in provider
        return None
    custom: dict[str, Any] = {
        "id": draw(CUSTOM_ID),
        "baseUrl": draw(BASE_URL),
        "api": "openai-completions",
    }
    if draw(BOOL):
        custom["sanitizeToolCallIds"] = draw(BOOL)
    if "compat" in features and ("compat" in require or draw(BOOL)):
        custom["compat"] = draw(COMPAT)
    return custom


def cases(model_ref: str, features: frozenset[str] = ALL_FEATURES, provider_id: str | None = None,
          require: tuple[str, ...] = (), spellings: tuple[str, ...] = (),
          request_defaults: dict[str, Any] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """A valid case for `model_ref`.

    `require` focuses a rule's suite on the inputs that rule is about (e.g. "keep",
    "tool_choice", "stream", "extra_body", "tool_history"); `spellings` are the other refs the
    catalog resolves to this model (aliases, legacy refs), drawn now and then in its place.
    """
    defaults = json.dumps(request_defaults or {}, sort_keys=True)  # hashable, whatever the values
    return _cases(model_ref, frozenset(features), provider_id, frozenset(require), tuple(spellings), defaults)


@cache  # one strategy per suite and model: Hypothesis then validates and caches it once
def _cases(model_ref: str, features: frozenset[str], provider_id: str | None, need: frozenset[str],
           spellings: tuple[str, ...], defaults: str) -> st.SearchStrategy[dict[str, Any]]:
    return _case_strategy(model_ref, features, provider_id, need, spellings, json.loads(defaults))


LEVEL = st.sampled_from((None, *LEVELS))
SPELLING_CHOICE = {True: st.integers(0, 1), False: st.integers(0, 3)}


@st.composite
def _case_strategy(draw, model_ref: str, features: frozenset[str], provider_id: str | None, need: frozenset[str],
                   spellings: tuple[str, ...], request_defaults: dict[str, Any]) -> dict[str, Any]:
    provider_id = provider_id or model_ref.split("/", 1)[0]
    ref = model_ref
    if spellings and draw(SPELLING_CHOICE["ref_spelling" in need]) == 0:
        ref = draw(_sampled(spellings))
    case: dict[str, Any] = {"model": ref, "request": {**_request(draw, features, need), **json.loads(json.dumps(request_defaults))}}
    if "thinking_level" in features:
        level = draw(LEVEL)
        if level is not None or draw(BOOL):
            case["thinking"] = level
    if "keep" in need and "configured_thinking" not in features and "request_thinking" in features:
        case["request"]["thinking"] = draw(keep_object())  # keep can only come with the request
    p = _params(draw, features, need)
    if "extra_body" in need and "extra_body" in features:
        p = {**(p or {}), "extra_body": draw(extra_body())}
    if p is not None:
        case["params"] = p
    prov = _provider(draw, features, provider_id, need)
    if prov is not None:
        case["provider"] = prov
    return case


@cache
def _sampled(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)
