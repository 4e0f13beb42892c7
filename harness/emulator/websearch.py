"""The emulator's side of Moonshot's `$web_search` round trip (docs/contract.md#t10-web-search).

[doc] A request whose tools hold `{"type": "builtin_function", "function": {"name": "$web_search"}}`
is answered with `finish_reason: "tool_calls"` and a `$web_search` call whose arguments are a
JSON string `{"search_result": {"search_id": …}, "usage": {"total_tokens": N}}`; the client
appends that assistant message unchanged plus a `tool` message named `$web_search` whose content
is the arguments, and calls again; the search content (N tokens) is then counted in that
request's `prompt_tokens`, and the model answers with `finish_reason: "stop"`.

Deterministic: the search id and N are functions of (seed, query), so the round trip needs no
server state and replays identically. Assumed, not documented (no capture of a search exists):
the call type `builtin_function` on the call itself ("it may carry" it), ids `$web_search:<n>`
(numbered like Kimi's other calls; OpenClaw's notes show `$web_search:1`), no citations in the
answer, and a 400 `invalid_request_error` when the tool message is not the call's arguments or
names a search id this query never produced.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .responses import Completion, Plan, text_of, tok, truncate
from .rules import error_body, thinking_enabled

WEB_SEARCH = "$web_search"
MISMATCH = "invalid $web_search tool message at index {index}: content must be the arguments of call {id}"
UNKNOWN = "invalid $web_search tool message at index {index}: unknown search_id {search_id}"


def has_builtin(body: dict) -> bool:
    return any(
        isinstance(t, dict)
        and t.get("type") == "builtin_function"
        and (t.get("function") or {}).get("name") == WEB_SEARCH
        for t in body.get("tools") or []
    )


def search_id(seed: int, query: str) -> str:
    return hashlib.sha256(f"search|{seed}|{query}".encode()).hexdigest()[:24]


def search_tokens(seed: int, query: str) -> int:
    """Size of the (emulated) search content: 2,000 - 8,999 tokens, fixed per (seed, query)."""
    return 2000 + int(hashlib.sha256(f"tokens|{seed}|{query}".encode()).hexdigest()[:8], 16) % 7000


def arguments(seed: int, query: str) -> str:
    return json.dumps(
        {"search_result": {"search_id": search_id(seed, query)}, "usage": {"total_tokens": search_tokens(seed, query)}},
        separators=(",", ":"),
    )


def _query_before(messages: list, index: int) -> str:
    for m in reversed(messages[:index]):
        if m.get("role") == "user":
            return text_of(m.get("content"))
    return ""


def _history(messages: list) -> tuple[int, dict[str, tuple[int, str]]]:
    """(search tokens already in the prompt, {call id: (assistant index, arguments)})."""
    calls: dict[str, tuple[int, str]] = {}
    tokens = 0
    for i, m in enumerate(messages):
        own = m.get("tool_calls") if m.get("role") == "assistant" else None
        for c in own or []:
            if isinstance(c, dict) and (c.get("function") or {}).get("name") == WEB_SEARCH:
                calls[str(c.get("id"))] = (i, str((c.get("function") or {}).get("arguments")))
        if m.get("role") == "tool" and str(m.get("tool_call_id")) in calls:
            try:
                tokens += int(json.loads(m.get("content"))["usage"]["total_tokens"])
            except (ValueError, TypeError, KeyError):
                pass
    return tokens, calls


def _check(messages: list, calls: dict[str, tuple[int, str]], seed: int) -> tuple[int, dict] | None:
    for r, m in enumerate(messages):
        if m.get("role") != "tool" or str(m.get("tool_call_id")) not in calls:
            continue
        i, args = calls[str(m.get("tool_call_id"))]
        if m.get("content") != args:
            return 400, error_body("invalid_request_error", MISMATCH.format(index=r, id=m.get("tool_call_id")))
        try:
            sid = json.loads(args)["search_result"]["search_id"]
        except (ValueError, TypeError, KeyError):
            sid = None
        if sid != search_id(seed, _query_before(messages, i)):
            return 400, error_body("invalid_request_error", UNKNOWN.format(index=r, search_id=sid))
    return None


class SearchCompletion:
    """A Completion whose `$web_search` calls carry `type: builtin_function` in every shape."""

    def __init__(self, comp: Completion):
        self.comp = comp

    def to_json(self) -> dict:
        return _typed(self.comp.to_json())

    def chunks(self) -> list[dict]:
        return [_typed(c) for c in self.comp.chunks()]


def _typed(obj: dict) -> dict:
    for choice in obj.get("choices") or []:
        for part in (choice.get("message"), choice.get("delta")):
            for call in (part or {}).get("tool_calls") or []:
                if (call.get("function") or {}).get("name") == WEB_SEARCH:
                    call["type"] = "builtin_function"
    return obj


def play(comp: Completion, model: Any, body: dict, seed: int) -> tuple[Any, tuple[int, dict] | None]:
    """(the completion to send, or an error) for a request; untouched without the builtin."""
    if not has_builtin(body):
        return comp, None
    messages = body["messages"]
    searched, calls = _history(messages)
    err = _check(messages, calls, seed)
    if err:
        return comp, err
    comp.prompt += searched  # the search content counts as prompt tokens of every later request
    last, think = messages[-1], thinking_enabled(model, body)
    pinned = isinstance(body.get("tool_choice"), dict)
    if last.get("role") == "user" and body.get("tool_choice") != "none" and not pinned:
        query = text_of(last.get("content"))
        n_prev = sum(len(m.get("tool_calls") or []) for m in messages)
        call = (f"{WEB_SEARCH}:{n_prev}", WEB_SEARCH, arguments(seed, query))
        reasoning = f'The user asks "{query[:60]}". I should search the web first.'
        plan = Plan(reasoning if think else None, "", [call], "tool_calls")
    elif last.get("role") == "tool" and str(last.get("tool_call_id")) in calls:
        i, args = calls[str(last.get("tool_call_id"))]
        query = _query_before(messages, i)
        sid = json.loads(args)["search_result"]["search_id"]
        content = f'Emulated web search for "{query[:80]}" (search {sid}): no live results; this answer is fixed text.'
        plan = Plan("The search result is in. I will answer briefly." if think else None, content)
    else:
        return SearchCompletion(comp), None
    plan.reasoning_tokens = tok(plan.reasoning) + 1 if plan.reasoning is not None else 0
    out = tok(plan.content) + sum(tok(n) + tok(a) + 2 for _, n, a in plan.tool_calls)
    plan.completion_tokens = plan.reasoning_tokens + out + 1
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    if isinstance(limit, int) and 0 < limit < plan.completion_tokens:
        truncate(plan, limit)
    comp.plans = [plan for _ in comp.plans]
    return SearchCompletion(comp), None
