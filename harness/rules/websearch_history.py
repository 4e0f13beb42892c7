"""The documented shape of a Kimi web search history (docs/contract.md#t10-web-search).

Shared by the T10 checks of outbound requests (`websearch_checks`), the wire scenario, the
emulator's tests and the `websearch` command: which tools and calls are `$web_search`, how its
calls pair with their tool messages, and the round-trip shape — every `$web_search` call
answered by a `tool` message with its id, named `$web_search`, whose content is the call's
arguments byte for byte.
"""

from __future__ import annotations

from typing import Any

from harness.contract.verdict import _ABSENT, Violation, pointer

RULE = "T10"
WEB_SEARCH = "$web_search"


def is_web_search_tool(tool: Any) -> bool:
    return (
        isinstance(tool, dict)
        and tool.get("type") == "builtin_function"
        and isinstance(tool.get("function"), dict)
        and tool["function"].get("name") == WEB_SEARCH
    )


def is_web_search_call(call: Any) -> bool:
    return (
        isinstance(call, dict) and isinstance(call.get("function"), dict) and call["function"].get("name") == WEB_SEARCH
    )


def has_web_search(body: dict[str, Any]) -> bool:
    return any(is_web_search_tool(t) for t in body.get("tools") or [])


def violation(check: str, path: str, expected: Any, actual: Any, message: str) -> Violation:
    return Violation(RULE, f"{RULE}.{check}", path, expected, actual, message)


def web_search_pairs(messages: list[dict]) -> list[tuple[int, int, int | None]]:
    """(assistant index, call index, tool-result index or None) of every $web_search call,
    results paired with their call FIFO per id, as the contract pairs them (T6)."""
    waiting: dict[str, list[tuple[int, int]]] = {}
    out: list[tuple[int, int, int | None]] = []
    slot: dict[tuple[int, int], int] = {}
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            continue
        if m.get("role") == "assistant":
            for j, c in enumerate(m.get("tool_calls") or []):
                if isinstance(c, dict):
                    waiting.setdefault(str(c.get("id")), []).append((i, j))
                    if is_web_search_call(c):
                        slot[(i, j)] = len(out)
                        out.append((i, j, None))
        elif m.get("role") == "tool":
            q = waiting.get(str(m.get("tool_call_id")))
            if q:
                i0, j0 = q.pop(0)
                if (i0, j0) in slot:
                    out[slot[(i0, j0)]] = (i0, j0, i)
    return out


def round_trip_violations(messages: list[dict], where: str = "body") -> list[Violation]:
    """The documented round-trip shape of one message list: every `$web_search` call answered
    by a tool message with its id, named `$web_search`, whose content is the call's arguments."""
    found = []
    for i, j, r in web_search_pairs(messages):
        call = messages[i]["tool_calls"][j]
        if r is None:
            continue  # an unanswered call ends a history (the next request answers it)
        result = messages[r]
        path = pointer(where, "messages", r)
        if result.get("tool_call_id") != call.get("id"):
            found.append(
                violation(
                    "result-id",
                    path + "/tool_call_id",
                    call.get("id"),
                    result.get("tool_call_id"),
                    "the tool message answers the $web_search call by its id",
                )
            )
        if result.get("name") != WEB_SEARCH:
            found.append(
                violation(
                    "result-name",
                    path + "/name",
                    WEB_SEARCH,
                    result.get("name", _ABSENT),
                    "the tool message answering $web_search is named $web_search",
                )
            )
        args = call["function"].get("arguments")
        if result.get("content") != args:
            found.append(
                violation(
                    "result-content",
                    path + "/content",
                    args,
                    result.get("content", _ABSENT),
                    "the tool message's content is the call's arguments, byte for byte",
                )
            )
    return found


def web_search_models(provider) -> dict[str, dict[str, Any]]:
    """The catalog's `webSearch.models` of a provider: model id -> {thinking, source}."""
    return (provider.data.get("webSearch") or {}).get("models", {})
