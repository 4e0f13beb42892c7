"""Hypothesis strategies for realistic cases.

`cases(model_ref, features)` draws the inputs the rules care about, often enough that a broken
rule is hit within a few dozen examples: odd spellings of configured thinking, every
tool_choice form, multi-turn histories whose tool-call ids repeat across turns in every form
the API and its clients use, extra bodies that fight the rules, both regions and custom
providers. Only features the target can express are drawn.

A case is decoded from one drawn byte string (harness.generation.choices: about a hundred small
choices for the price of one Hypothesis draw). The conversation is read by `history`, params and
provider by `configured`; this module assembles the request and the case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, partial
from typing import Any

from hypothesis import strategies as st

from harness.contract.case import LEVELS
from harness.contract.features import ALL_FEATURES
from harness.generation.choices import INTEGER_BYTES, Choices, raw, salted
from harness.generation.configured import (
    EXTRA_BODY_BYTES,
    KEEP_BYTES,
    NATIVE_HOSTS,
    OTHER_HOST_NAMES,
    PARAMS_BYTES,
    PROVIDER_BYTES,
    THINKING_BYTES,
    extra_body,
    keep_object,
    params,
    provider,
    thinking_object,
)
from harness.generation.features import PAYLOAD_FIELDS
from harness.generation.history import HISTORY_BYTES, function_tool, history

__all__ = ["NATIVE_HOSTS", "OTHER_HOST_NAMES", "TOOL_CHOICES", "cases"]

TOOL_CHOICES = (
    "auto",
    "none",
    "required",
    None,
    {"type": "function", "function": {"name": "read"}},
    {"type": "function", "function": {"name": "get_weather"}},
)
# A suite about tool_choice (T4, T1) meets the incompatible choices — `required`, a pinned
# function — about half the time, each of its 25 CI examples counting.
FOCUSED_TOOL_CHOICES = (*TOOL_CHOICES, "required", {"type": "function", "function": {"name": "read"}})
TOKENS = range(1, 4097)
# The optional request fields, in draw order: the values to pick from (a range: a wide integer).
# Each is present one time in three.
FIELDS: dict[str, Any] = {
    "temperature": (0.0, 0.3, 0.6, 1.0, 1.3),
    "top_p": (0.5, 0.95, 1.0),
    "n": (1, 2),
    "presence_penalty": (0.0, 0.5),
    "frequency_penalty": (0.0, -0.5),
    "stop": ("\n\n", ["END", "STOP"]),
    "seed": range(0, 2**31),
    "logprobs": (False, True),
    "max_tokens": TOKENS,
    "max_completion_tokens": TOKENS,
    "user": ("u-1", "tester"),
    "response_format": ({"type": "json_object"},),
    "x_trace_id": ("abc", "0"),
}
FEATURE_FIELDS: dict[str, dict[str, Any]] = {  # fields only a target with the feature can express
    "stream": {
        "stream": (False, True),
        "stream_options": ({"include_usage": False}, {"include_usage": True}, {"chunk_hint": 1}),
    },
    "request_thinking": {"thinking": "thinking_object"},
    "store": {"store": (False, True)},
    "reasoning_effort": {"reasoning_effort": ("low", "high")},
}
SAMPLING = ("temperature", "top_p", "n", "stop", "seed")


@cache
def _fields(features: frozenset[str]) -> tuple[tuple[str, Any], ...]:
    """The optional request fields the target can express, each with its values, in draw order."""
    out = dict(FIELDS)
    for feature, fields in FEATURE_FIELDS.items():
        if feature in features:
            out.update(fields)
    return tuple(out.items())


def _size(values: Any) -> int:
    """The bytes a field takes: its presence, then its value's."""
    if values == "thinking_object":
        return 1 + THINKING_BYTES
    return 1 + (INTEGER_BYTES if isinstance(values, range) else 1)


def _value(c: Choices, values: Any) -> Any:
    if values == "thinking_object":
        return thinking_object(c)
    if isinstance(values, range):
        return c.integer(values.start, values.stop - 1)
    return c.pick(values)


def request_bytes(features: frozenset[str]) -> int:
    return HISTORY_BYTES + 4 + sum(_size(values) for _, values in _fields(features))


def request(c: Choices, features: frozenset[str], require: frozenset[str] = frozenset()) -> dict[str, Any]:
    messages = history(c.block(HISTORY_BYTES), features, min_turns=2 if "tool_history" in require else 0)
    body: dict[str, Any] = {"messages": messages}
    names = {call["function"]["name"] for m in messages for call in m.get("tool_calls") or []}
    tools, tool_choice, which, stream = c.chance(1, 2), c.chance(3, 4), c.block(1), c.chance(1, 2)
    choice = which.pick(FOCUSED_TOOL_CHOICES if "tool_choice" in require else TOOL_CHOICES)
    if names or "tool_choice" in require or tools:
        body["tools"] = [function_tool(n) for n in sorted(names | {"read", "get_weather"})]
        if "tool_choice" in require or tool_choice:
            body["tool_choice"] = choice
    sampling = "sampling" in require
    for key, values in _fields(features):
        present, value = c.chance(1, 3), c.block(_size(values) - 1)
        if present or (sampling and key in SAMPLING):
            body[key] = _value(value, values)
    if "payload_fields" not in features:
        for key in PAYLOAD_FIELDS:
            body.pop(key, None)
    if "stream" in features and "stream" not in body and ("stream" in require or stream):
        body["stream"] = True  # streaming is the common case for agents: drawn often
    if "developer_role" in require and "developer_role" in features:
        body["messages"].insert(0, {"role": "developer", "content": "Be brief."})
    return body


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
    decode = partial(case, model_ref, features, provider_id, need, spellings, json.loads(defaults))
    return _decoded(case_bytes(features), decode)


@st.composite  # not raw(...).map(decode): Hypothesis would print the partial, not the drawn case
def _decoded(draw, size: int, decode: Callable[[bytes], dict[str, Any]]) -> dict[str, Any]:
    return decode(draw(raw(size)))


# "absent": no level at all, the most common setup, so it weighs double; None: a level given as null
LEVEL_CHOICES = ("absent", "absent", None, *LEVELS)
CASE_BYTES = 2 + 1 + KEEP_BYTES + EXTRA_BODY_BYTES  # spelled?, spelling, level, keep, extra body


def case_bytes(features: frozenset[str]) -> int:
    return CASE_BYTES + request_bytes(features) + PARAMS_BYTES + PROVIDER_BYTES


def case(
    model_ref: str,
    features: frozenset[str],
    provider_id: str | None,
    need: frozenset[str],
    spellings: tuple[str, ...],
    request_defaults: dict[str, Any],
    raw_bytes: bytes,
) -> dict[str, Any]:
    """The case that `raw_bytes` (case_bytes(features) of them) decodes to; all zeros: the simplest."""
    c = Choices(salted(raw_bytes, model_ref))  # each model its own cases, even derandomized
    provider_id = provider_id or model_ref.split("/", 1)[0]
    spelled, spelling = c.chance(1, 2 if "ref_spelling" in need else 4), c.block(1)
    level, keep, body = c.pick(LEVEL_CHOICES), c.block(KEEP_BYTES), c.block(EXTRA_BODY_BYTES)
    out: dict[str, Any] = {
        "model": spelling.pick(spellings) if spellings and spelled else model_ref,
        "request": {
            **request(c.block(request_bytes(features)), features, need),
            **json.loads(json.dumps(request_defaults)),
        },
    }
    if "thinking_level" in features and level != "absent":
        out["thinking"] = level
    if "keep" in need and "configured_thinking" not in features and "request_thinking" in features:
        out["request"]["thinking"] = keep_object(keep)  # keep can only come with the request
    p = params(c.block(PARAMS_BYTES), features, need)
    if "extra_body" in need and "extra_body" in features:
        p = {**(p or {}), "extra_body": extra_body(body, features)}
    if p is not None:
        out["params"] = p
    prov = provider(c.block(PROVIDER_BYTES), features, provider_id, need)
    if prov is not None:
        out["provider"] = prov
    return out
