"""T10 Kimi web search: properties of an outbound request that carries Moonshot's `$web_search`.

CONTRACT §4 and research/websearch.md [doc/oc]:
- the builtin tool `{"type": "builtin_function", "function": {"name": "$web_search"}}` passes
  unchanged and may be mixed with `function` tools (the full list goes out on every request);
- no `tool_choice` pins it (OpenClaw's provider sends none);
- the round trip: the assistant message with the `$web_search` call is appended unchanged
  (`content`, `reasoning_content`, the call's type, name and arguments), then a `tool` message
  named `$web_search` whose content is the call's arguments, byte for byte;
- ids: under a sanitizing policy (Moonshot's, or strict) a `$web_search:1` call id is reduced
  to `websearch1` on its first occurrence (T6 strict reduction, [oc]); without one it passes;
- thinking per model (catalog `webSearch.models`): `disabled` models must not search with
  thinking on (older docs; OpenClaw sends thinking disabled for K2.5/K2.6).

Every check is `(case, ctx, out, intended) -> list[Violation]`, like the other rules' checks;
`check_t10` runs them all. A history the caller built wrongly is not the target's fault: the
round-trip shape is only required on the outbound body when the intended body had it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from harness.contract.thinking import effective
from harness.contract.verdict import _ABSENT, Violation, pointer

RULE = "T10"
WEB_SEARCH = "$web_search"
STRICT_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")


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


def strict_reduction(tool_call_id: str) -> str:
    """T6's strict reduction: [A-Za-z0-9] only, at most 40 characters ($web_search:1 -> websearch1)."""
    return re.sub(r"[^A-Za-z0-9]", "", tool_call_id)[:40]


def _v(check: str, path: str, expected: Any, actual: Any, message: str) -> Violation:
    return Violation(RULE, f"{RULE}.{check}", path, expected, actual, message)


# ------------------------------------------------------------------------------ request shape
def check_tools(case, ctx, out, intended) -> list[Violation]:
    want, got = intended.get("tools"), out["body"].get("tools", _ABSENT)
    if not has_web_search(intended) or got == want:
        return []
    if not isinstance(got, list):
        return [
            _v(
                "tools-unchanged",
                pointer("body", "tools"),
                want,
                got,
                "the tools list with $web_search must go out unchanged",
            )
        ]
    for i, tool in enumerate(want):
        if i >= len(got) or got[i] != tool:
            kind = "builtin-unchanged" if is_web_search_tool(tool) else "tools-unchanged"
            return [
                _v(
                    kind,
                    pointer("body", "tools", i),
                    tool,
                    got[i] if i < len(got) else _ABSENT,
                    f"tools[{i}] must pass unchanged next to $web_search",
                )
            ]
    return [_v("tools-unchanged", pointer("body", "tools"), want, got, "tools were added next to $web_search")]


def check_tool_choice(case, ctx, out, intended) -> list[Violation]:
    tc = out["body"].get("tool_choice")
    if isinstance(tc, dict) and (tc.get("function") or {}).get("name") == WEB_SEARCH:
        return [
            _v(
                "not-pinned",
                pointer("body", "tool_choice"),
                None,
                tc,
                "$web_search is never pinned by tool_choice (the model decides to search)",
            )
        ]
    return []


# ------------------------------------------------------------------------------ round trip
def _pairs(messages: list[dict]) -> list[tuple[int, int, int | None]]:
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
    for i, j, r in _pairs(messages):
        call = messages[i]["tool_calls"][j]
        if r is None:
            continue  # an unanswered call ends a history (the next request answers it)
        result = messages[r]
        path = pointer(where, "messages", r)
        if result.get("tool_call_id") != call.get("id"):
            found.append(
                _v(
                    "result-id",
                    path + "/tool_call_id",
                    call.get("id"),
                    result.get("tool_call_id"),
                    "the tool message answers the $web_search call by its id",
                )
            )
        if result.get("name") != WEB_SEARCH:
            found.append(
                _v(
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
                _v(
                    "result-content",
                    path + "/content",
                    args,
                    result.get("content", _ABSENT),
                    "the tool message's content is the call's arguments, byte for byte",
                )
            )
    return found


def check_round_trip(case, ctx, out, intended) -> list[Violation]:
    before, after = intended.get("messages") or [], out["body"].get("messages") or []
    found: list[Violation] = []
    for i, j, r in _pairs(before):
        a = after[i] if i < len(after) and isinstance(after[i], dict) else {}
        b, path = before[i], pointer("body", "messages", i)
        for key in ("role", "content"):
            if a.get(key, _ABSENT) != b.get(key, _ABSENT):
                found.append(
                    _v(
                        "assistant-unchanged",
                        f"{path}/{key}",
                        b.get(key, _ABSENT),
                        a.get(key, _ABSENT),
                        "the assistant message with the $web_search call is appended unchanged",
                    )
                )
        if isinstance(b.get("reasoning_content"), str) and a.get("reasoning_content") != b["reasoning_content"]:
            found.append(
                _v(
                    "reasoning-kept",
                    f"{path}/reasoning_content",
                    b["reasoning_content"],
                    a.get("reasoning_content", _ABSENT),
                    "reasoning_content of a $web_search turn is kept",
                )
            )
        own = a.get("tool_calls")
        calls: list[Any] = own if isinstance(own, list) else []
        got = calls[j] if j < len(calls) and isinstance(calls[j], dict) else {}
        want = b["tool_calls"][j]
        for key in ("type", "function"):
            if got.get(key, _ABSENT) != want.get(key, _ABSENT):
                found.append(
                    _v(
                        "call-unchanged",
                        f"{path}/tool_calls/{j}/{key}",
                        want.get(key, _ABSENT),
                        got.get(key, _ABSENT),
                        "the $web_search call (type, name, arguments) is kept as sent",
                    )
                )
        if r is not None:
            ra = after[r] if r < len(after) and isinstance(after[r], dict) else {}
            for key in ("role", "name", "content"):
                if ra.get(key, _ABSENT) != before[r].get(key, _ABSENT):
                    found.append(
                        _v(
                            "result-unchanged",
                            pointer("body", "messages", r, key),
                            before[r].get(key, _ABSENT),
                            ra.get(key, _ABSENT),
                            "the $web_search tool message is kept as sent",
                        )
                    )
    if not found and not round_trip_violations(before, "intended"):
        found += round_trip_violations(after)
    return found


# ------------------------------------------------------------------------------ ids
def check_ids(case, ctx, out, intended) -> list[Violation]:
    before, after = intended.get("messages") or [], out["body"].get("messages") or []
    seen: Counter[str] = Counter()
    used: set[str] = set()
    found: list[Violation] = []
    for i, m in enumerate(before):
        if m.get("role") != "assistant":
            continue
        for j, call in enumerate(m.get("tool_calls") or []):
            raw = call["id"]
            seen[raw] += 1
            try:
                new = after[i]["tool_calls"][j]["id"]
            except (IndexError, KeyError, TypeError):
                continue  # dropped calls are the round-trip check's finding
            path = pointer("body", "messages", i, "tool_calls", j, "id")
            if is_web_search_call(call) and seen[raw] == 1:
                if ctx.tool_call_ids == "none" and new != raw:
                    found.append(_v("id-kept", path, raw, new, f"provider {ctx.provider_id} sanitizes no ids"))
                elif ctx.tool_call_ids in ("moonshot", "strict"):
                    want = strict_reduction(raw)
                    if want and want not in used and new != want:
                        found.append(
                            _v(
                                "id-strict",
                                path,
                                want,
                                new,
                                f"a first {raw!r} is reduced to {want!r} (T6 strict reduction)",
                            )
                        )
                    elif not STRICT_ID.match(new):
                        found.append(
                            _v("id-strict", path, None, new, "a $web_search id is reduced to [A-Za-z0-9]{1,40}")
                        )
            used.add(new)
    return found


# ------------------------------------------------------------------------------ thinking
def web_search_models(provider) -> dict[str, dict[str, Any]]:
    """The catalog's `webSearch.models` of a provider: model id -> {thinking, source}."""
    return (provider.data.get("webSearch") or {}).get("models", {})


def check_thinking(case, ctx, out, intended) -> list[Violation]:
    if not has_web_search(out["body"]) or ctx.custom_provider:
        return []
    facts = web_search_models(ctx.model.provider).get(ctx.model.id)
    if not facts:
        return []
    state = effective(ctx.thinking_mode, out["body"], ctx.model.thinking.get("default"))
    if facts["thinking"] == "disabled" and state == "enabled":
        return [
            _v(
                "thinking-disabled",
                pointer("body", "thinking"),
                {"type": "disabled"},
                out["body"].get("thinking", _ABSENT),
                f"{ctx.model.ref} searches only with thinking disabled",
            )
        ]
    return []


CHECKS: tuple[Callable[..., list[Violation]], ...] = (
    check_tools,
    check_tool_choice,
    check_round_trip,
    check_ids,
    check_thinking,
)


def check_t10(case, ctx, out, intended) -> list[Violation]:
    found: list[Violation] = []
    for check in CHECKS:
        found += check(case, ctx, out, intended)
    return found
