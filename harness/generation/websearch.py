"""Hypothesis strategies for T10 (Kimi web search): cases carrying the `$web_search` builtin.

`web_search_cases(model_ref, web_search_facts, features)` draws what a web search client sends
(docs/contract.md#t10-web-search): the builtin tool alone or mixed with function tools in
any order, no tool_choice or a compatible one, and histories holding 0-3 finished or pending
search rounds — the assistant message with a `$web_search:N` call (type `builtin_function` or
`function`, with or without `reasoning_content`), then the `tool` message named `$web_search`
whose content is the call's arguments — mixed with ordinary tool rounds whose ids can collide.
Thinking follows the model's catalog `webSearch.models` entry: `disabled` models get `/think
off` (the documented client disables it); others draw any level.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from harness.contract.case import LEVELS
from harness.targets.base import ALL_FEATURES

WEB_SEARCH_TOOL = {"type": "builtin_function", "function": {"name": "$web_search"}}
QUERIES = ("kimi k2.6 release notes", "weather in Paris today", "月之暗面 最新消息", "", 'who won? "quotes" & {braces}')


def _function_tool(name: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name} tool",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }


def search_arguments(search_id: str, total_tokens: int, spaced: bool = False) -> str:
    """The call's arguments as the API sends them: a JSON string the client must not re-serialize."""
    obj = {"search_result": {"search_id": search_id}, "usage": {"total_tokens": total_tokens}}
    return json.dumps(obj, separators=(", ", ": ") if spaced else (",", ":"), ensure_ascii=False)


@st.composite
def search_round(draw, n: int, answered: bool = True) -> list[dict[str, Any]]:
    """One `$web_search` round: the assistant call and (when answered) its tool message."""
    call_id = draw(st.sampled_from([f"$web_search:{n}", f"$web_search:{n}", f"$web_search_{n}", "$web_search:0"]))
    args = search_arguments(
        draw(st.sampled_from(["a1b2c3", "0f9e8d7c6b5a", "srch-42"])),
        draw(st.integers(1, 9000)),
        spaced=draw(st.booleans()),
    )
    call = {
        "id": call_id,
        "type": draw(st.sampled_from(["builtin_function", "builtin_function", "function"])),
        "function": {"name": "$web_search", "arguments": args},
    }
    assistant: dict[str, Any] = {
        "role": "assistant",
        "content": draw(st.sampled_from(["", None, "Let me search."])),
        "tool_calls": [call],
    }
    reasoning = draw(st.sampled_from(["I should search the web for this.", "", "absent"]))
    if reasoning != "absent":
        assistant["reasoning_content"] = reasoning
    out = [assistant]
    if answered:
        out.append({"role": "tool", "tool_call_id": call_id, "name": "$web_search", "content": args})
    return out


@st.composite
def function_round(draw, n: int) -> list[dict[str, Any]]:
    cid = draw(st.sampled_from([f"functions.read:{n}", f"read:{n}", "call_abc123"]))
    return [
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "read first",
            "tool_calls": [{"id": cid, "type": "function", "function": {"name": "read", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": cid, "content": "file contents"},
    ]


@st.composite
def web_search_history(draw) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": "You are Kimi."})
    messages.append({"role": "user", "content": draw(st.sampled_from(QUERIES))})
    rounds = draw(st.integers(0, 3))
    for n in range(rounds):
        if draw(st.integers(0, 3)) == 0:
            messages += draw(function_round(n))
        else:
            messages += draw(search_round(n))
        if draw(st.integers(0, 2)) == 0 and n < rounds - 1:  # a finished search, then a new question
            messages += [
                {"role": "assistant", "content": "Here is what I found."},
                {"role": "user", "content": draw(st.sampled_from(QUERIES))},
            ]
    return messages


@st.composite
def web_search_cases(
    draw, model_ref: str, web_search_facts: dict[str, Any] | None = None, features: frozenset[str] = ALL_FEATURES
) -> dict[str, Any]:
    """A valid case for `model_ref` whose request carries `$web_search` (see the module doc).
    `web_search_facts` is the model's catalog `webSearch.models` entry ({"thinking": ...})."""
    tools: list[dict[str, Any]] = [json.loads(json.dumps(WEB_SEARCH_TOOL))]
    if draw(st.booleans()):
        extra = [
            _function_tool(n)
            for n in draw(st.lists(st.sampled_from(["read", "get_weather"]), min_size=1, max_size=2, unique=True))
        ]
        tools = draw(st.permutations(tools + extra))
    request: dict[str, Any] = {"messages": draw(web_search_history()), "tools": tools}
    choice = draw(st.sampled_from(["absent", "absent", "auto", "none"]))
    if choice != "absent":
        request["tool_choice"] = choice
    if "stream" in features and draw(st.integers(0, 3)) == 0:
        request["stream"] = True
    if draw(st.booleans()):
        request["max_tokens"] = draw(st.sampled_from([256, 1024]))
    case: dict[str, Any] = {"model": model_ref, "request": request}
    mode = (web_search_facts or {}).get("thinking", "either")
    if mode == "disabled":
        case["thinking"] = "off"  # the documented client disables thinking for these models
    elif "thinking_level" in features and draw(st.booleans()):
        case["thinking"] = draw(st.sampled_from(LEVELS))
    if "custom_provider" in features and draw(st.integers(0, 4)) == 0:
        case["provider"] = {
            "id": "my-kimi",
            "baseUrl": "https://api.moonshot.ai/v1",
            "api": "openai-completions",
            "sanitizeToolCallIds": draw(st.booleans()),
        }
    return case


def cases_for(model, features: frozenset[str] = ALL_FEATURES) -> st.SearchStrategy[dict[str, Any]] | None:
    """The T10 strategy for a catalog `Model`, or None when its provider's catalog `webSearch`
    section does not list it (T10 is then not applicable to that model)."""
    facts = ((model.provider.data.get("webSearch") or {}).get("models") or {}).get(model.id)
    return None if facts is None else web_search_cases(model.ref, facts, features)
