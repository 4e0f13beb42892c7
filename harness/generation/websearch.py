"""Hypothesis strategies for T10 (Kimi web search): cases carrying the `$web_search` builtin.

`web_search_cases(model_ref, web_search_facts, features)` draws what a web search client sends
(docs/contract.md#t10-web-search): the builtin tool alone or mixed with function tools in
any order, tool_choice in every form a caller writes (absent, auto, none, required, a pinned
function tool beside the builtin; never `$web_search` itself, which T10 forbids), and histories
holding 0-3 finished or pending search rounds — the assistant message with a `$web_search:N` call (type `builtin_function` or
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
from harness.contract.features import ALL_FEATURES
from harness.generation.choices import INTEGER_BYTES, Choices, raw, salted
from harness.generation.history import function_tool

WEB_SEARCH_TOOL = {"type": "builtin_function", "function": {"name": "$web_search"}}
QUERIES = ("kimi k2.6 release notes", "weather in Paris today", "月之暗面 最新消息", "", 'who won? "quotes" & {braces}')


def search_arguments(search_id: str, total_tokens: int, spaced: bool = False) -> str:
    """The call's arguments as the API sends them: a JSON string the client must not re-serialize."""
    obj = {"search_result": {"search_id": search_id}, "usage": {"total_tokens": total_tokens}}
    return json.dumps(obj, separators=(", ", ": ") if spaced else (",", ":"), ensure_ascii=False)


SEARCH_IDS = ("a1b2c3", "0f9e8d7c6b5a", "srch-42")
SAID = ("", None, "Let me search.")
REASONING = ("I should search the web for this.", "", "absent")  # "absent": no key at all
CALL_TYPES = ("builtin_function", "builtin_function", "function")
# Cases are decoded from one drawn byte string (harness.generation.choices): fixed bytes per part.
SEARCH_BYTES = 6 + INTEGER_BYTES  # id, search id, tokens, spaced, type, content, reasoning
ROUND_BYTES = 1 + SEARCH_BYTES + 3  # function or search round, the round, finished?, next question, pending?
HISTORY_BYTES = 3 + 3 * ROUND_BYTES  # system?, question, rounds
CASE_BYTES = (
    4 + HISTORY_BYTES + 9
)  # tools: extra?, which, order; history; choice, stream, limit (2), level (2), provider (3)


def search_round(c: Choices, n: int, answered: bool = True) -> list[dict[str, Any]]:
    """One `$web_search` round: the assistant call and (when answered) its tool message."""
    call_id = c.pick((f"$web_search:{n}", f"$web_search:{n}", f"$web_search_{n}", "$web_search:0"))
    search_id, tokens, spaced = c.pick(SEARCH_IDS), c.integer(1, 9000), c.chance(1, 2)
    args = search_arguments(search_id, tokens, spaced=spaced)
    call = {"id": call_id, "type": c.pick(CALL_TYPES), "function": {"name": "$web_search", "arguments": args}}
    assistant: dict[str, Any] = {"role": "assistant", "content": c.pick(SAID), "tool_calls": [call]}
    reasoning = c.pick(REASONING)
    if reasoning != "absent":
        assistant["reasoning_content"] = reasoning
    out = [assistant]
    if answered:
        out.append({"role": "tool", "tool_call_id": call_id, "name": "$web_search", "content": args})
    return out


def function_round(c: Choices, n: int) -> list[dict[str, Any]]:
    cid = c.pick((f"functions.read:{n}", f"read:{n}", "call_abc123"))
    return [
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "read first",
            "tool_calls": [{"id": cid, "type": "function", "function": {"name": "read", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": cid, "content": "file contents"},
    ]


def web_search_history(c: Choices) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    system, question, rounds = c.chance(1, 2), c.pick(QUERIES), c.below(4)
    if system:
        messages.append({"role": "system", "content": "You are Kimi."})
    messages.append({"role": "user", "content": question})
    for n in range(rounds):
        r = c.block(ROUND_BYTES)
        searched, body = r.below(4) > 0, r.block(SEARCH_BYTES)
        finished, question, pending = r.chance(1, 3), r.pick(QUERIES), r.chance(1, 3)
        # the last search may be pending: the request that answers it is the next one
        answered = not (pending and n == rounds - 1)
        messages += search_round(body, n, answered) if searched else function_round(body, n)
        if finished and n < rounds - 1:  # a finished search, then a new question
            messages += [
                {"role": "assistant", "content": "Here is what I found."},
                {"role": "user", "content": question},
            ]
    return messages


EXTRA_TOOLS = (("read",), ("get_weather",), ("read", "get_weather"), ("read", "get_weather"))  # both: every order


def web_search_case(
    model_ref: str, web_search_facts: dict[str, Any] | None, features: frozenset[str], raw_bytes: bytes
) -> dict[str, Any]:
    """The case `raw_bytes` (CASE_BYTES of them) decodes to; all zeros: the builtin tool alone, one question."""
    c = Choices(salted(raw_bytes, model_ref))  # each model its own cases, even derandomized
    tools: list[dict[str, Any]] = [json.loads(json.dumps(WEB_SEARCH_TOOL))]
    extra, names, order = c.chance(1, 2), c.pick(EXTRA_TOOLS), c.block(2)
    if extra:
        tools += [function_tool(n) for n in names]
        tools = _permuted(order, tools)
    request: dict[str, Any] = {"messages": web_search_history(c.block(HISTORY_BYTES)), "tools": tools}
    # every tool_choice a caller writes; a pinned tool is one of the function tools (pinning
    # $web_search is what T10.not-pinned forbids a target to do, not a caller's form)
    forms = ("absent", "absent", "auto", "none", "required") + (("pinned",) if extra else ())
    choice, stream, limited, limit = (
        c.pick(forms),
        c.chance(1, 4),
        c.chance(1, 2),
        c.pick((256, 1024)),
    )
    leveled, level, custom, sanitize = c.chance(1, 2), c.pick(LEVELS), c.chance(1, 5), c.chance(1, 2)
    # a custom provider on Moonshot's host (ids sanitized) or a gateway's (ids pass through: T10.id-kept)
    host = c.pick(("https://api.moonshot.ai/v1", "https://api.moonshot.ai/v1", "https://llm-gateway.example.test/v1"))
    if choice == "pinned":
        pinned = next(t for t in tools if t["type"] == "function")["function"]["name"]
        request["tool_choice"] = {"type": "function", "function": {"name": pinned}}
    elif choice != "absent":
        request["tool_choice"] = choice
    if "stream" in features and stream:
        request["stream"] = True
    if limited:
        request["max_tokens"] = limit
    case: dict[str, Any] = {"model": model_ref, "request": request}
    mode = (web_search_facts or {}).get("thinking", "either")
    if mode == "disabled":
        case["thinking"] = "off"  # the documented client disables thinking for these models
    elif "thinking_level" in features and leveled:
        case["thinking"] = level
    if "custom_provider" in features and custom:
        case["provider"] = {
            "id": "my-kimi",
            "baseUrl": host,
            "api": "openai-completions",
            "sanitizeToolCallIds": sanitize,
        }
    return case


def _permuted(c: Choices, items: list[Any]) -> list[Any]:
    """Any order of `items` (at most 3: one pick per position); all zeros keeps the order."""
    pool, out = list(items), []
    while pool:
        out.append(pool.pop(c.below(len(pool)) if len(pool) > 1 else 0))
    return out


@st.composite
def web_search_cases(
    draw, model_ref: str, web_search_facts: dict[str, Any] | None = None, features: frozenset[str] = ALL_FEATURES
) -> dict[str, Any]:
    """A valid case for `model_ref` whose request carries `$web_search` (see the module doc).
    `web_search_facts` is the model's catalog `webSearch.models` entry ({"thinking": ...})."""
    return web_search_case(model_ref, web_search_facts, frozenset(features), draw(raw(CASE_BYTES)))


def cases_for(model, features: frozenset[str] = ALL_FEATURES) -> st.SearchStrategy[dict[str, Any]] | None:
    """The T10 strategy for a catalog `Model`, or None when its provider's catalog `webSearch`
    section does not list it (T10 is then not applicable to that model)."""
    facts = ((model.provider.data.get("webSearch") or {}).get("models") or {}).get(model.id)
    return None if facts is None else web_search_cases(model.ref, facts, features)
