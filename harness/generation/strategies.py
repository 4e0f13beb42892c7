"""Hypothesis strategies for realistic cases.

`cases(model_ref, features)` draws the inputs the rules care about, often enough that a broken
rule is hit within a few dozen examples: odd spellings of configured thinking, every
tool_choice form, multi-turn histories whose tool-call ids repeat across turns in every form
the API and its clients use, extra bodies that fight the rules, both regions and custom
providers. Only features the target can express are drawn.

The conversation is drawn by `history`, params and provider by `configured`; this module
assembles the request and the case.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

from harness.contract.case import LEVELS
from harness.generation.configured import (
    NATIVE_HOSTS,
    OTHER_HOSTS,
    QUARTER,
    _params,
    _provider,
    extra_body,
    keep_object,
    thinking_object,
)
from harness.generation.history import BOOL, _history
from harness.targets.base import ALL_FEATURES

__all__ = ["NATIVE_HOSTS", "OTHER_HOSTS", "cases", "request", "tool_choice"]

GROUP = 5  # optional request fields decided per draw; 3**5 values keep Hypothesis' draw near-uniform
PRESENCE = st.integers(0, 3**GROUP - 1)


def _tool(name: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name} tool",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }


@cache
def tool_choice() -> st.SearchStrategy[Any]:
    return st.sampled_from(
        [
            "auto",
            "none",
            "required",
            None,
            {"type": "function", "function": {"name": "read"}},
            {"type": "function", "function": {"name": "get_weather"}},
        ]
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
        for key in keys[start : start + GROUP]:
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
        optional["stream_options"] = st.sampled_from(
            [{"include_usage": False}, {"include_usage": True}, {"chunk_hint": 1}]
        )
    if "request_thinking" in features:
        optional["thinking"] = thinking_object()
    if "store" in features:
        optional["store"] = st.booleans()
    if "reasoning_effort" in features:
        optional["reasoning_effort"] = st.sampled_from(["low", "high"])
    return optional


def cases(
    model_ref: str,
    features: frozenset[str] = ALL_FEATURES,
    provider_id: str | None = None,
    require: tuple[str, ...] = (),
    spellings: tuple[str, ...] = (),
    request_defaults: dict[str, Any] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid case for `model_ref`.

    `require` focuses a rule's suite on the inputs that rule is about (e.g. "keep",
    "tool_choice", "stream", "extra_body", "tool_history"); `spellings` are the other refs the
    catalog resolves to this model (aliases, legacy refs), drawn now and then in its place.
    """
    defaults = json.dumps(request_defaults or {}, sort_keys=True)  # hashable, whatever the values
    return _cases(model_ref, frozenset(features), provider_id, frozenset(require), tuple(spellings), defaults)


@cache  # one strategy per suite and model: Hypothesis then validates and caches it once
def _cases(
    model_ref: str,
    features: frozenset[str],
    provider_id: str | None,
    need: frozenset[str],
    spellings: tuple[str, ...],
    defaults: str,
) -> st.SearchStrategy[dict[str, Any]]:
    return _case_strategy(model_ref, features, provider_id, need, spellings, json.loads(defaults))


LEVEL = st.sampled_from((None, *LEVELS))
SPELLING_CHOICE = {True: st.integers(0, 1), False: st.integers(0, 3)}


@st.composite
def _case_strategy(
    draw,
    model_ref: str,
    features: frozenset[str],
    provider_id: str | None,
    need: frozenset[str],
    spellings: tuple[str, ...],
    request_defaults: dict[str, Any],
) -> dict[str, Any]:
    provider_id = provider_id or model_ref.split("/", 1)[0]
    ref = model_ref
    if spellings and draw(SPELLING_CHOICE["ref_spelling" in need]) == 0:
        ref = draw(_sampled(spellings))
    case: dict[str, Any] = {
        "model": ref,
        "request": {**_request(draw, features, need), **json.loads(json.dumps(request_defaults))},
    }
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
