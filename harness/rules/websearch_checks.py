"""T10 Kimi web search: properties of an outbound request that carries Moonshot's `$web_search`.

docs/contract.md#t10-web-search [doc/oc/wire-docs]:
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
from harness.rules.websearch_history import (
    RULE,
    WEB_SEARCH,
    has_web_search,
    is_web_search_call,
    is_web_search_tool,
    round_trip_violations,
    violation,
    web_search_models,
    web_search_pairs,
)

__all__ = [
    "RULE",
    "WEB_SEARCH",
    "check_t10",
    "has_web_search",
    "is_web_search_call",
    "is_web_search_tool",
    "project",
    "registry_check",
    "round_trip_violations",
    "strict_reduction",
    "web_search_models",
]

STRICT_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")


def strict_reduction(tool_call_id: str) -> str:
    """T6's strict reduction: [A-Za-z0-9] only, at most 40 characters ($web_search:1 -> websearch1)."""
    return re.sub(r"[^A-Za-z0-9]", "", tool_call_id)[:40]


# ------------------------------------------------------------------------------ request shape
def check_tools(case, ctx, out, intended) -> list[Violation]:
    want, got = intended.get("tools"), out["body"].get("tools", _ABSENT)
    if not has_web_search(intended) or got == want:
        return []
    if not isinstance(got, list):
        return [
            violation(
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
                violation(
                    kind,
                    pointer("body", "tools", i),
                    tool,
                    got[i] if i < len(got) else _ABSENT,
                    f"tools[{i}] must pass unchanged next to $web_search",
                )
            ]
    return [violation("tools-unchanged", pointer("body", "tools"), want, got, "tools were added next to $web_search")]


def check_tool_choice(case, ctx, out, intended) -> list[Violation]:
    tc = out["body"].get("tool_choice")
    if isinstance(tc, dict) and (tc.get("function") or {}).get("name") == WEB_SEARCH:
        return [
            violation(
                "not-pinned",
                pointer("body", "tool_choice"),
                None,
                tc,
                "$web_search is never pinned by tool_choice (the model decides to search)",
            )
        ]
    return []


# ------------------------------------------------------------------------------ round trip
def check_round_trip(case, ctx, out, intended) -> list[Violation]:
    before, after = intended.get("messages") or [], out["body"].get("messages") or []
    found: list[Violation] = []
    for i, j, r in web_search_pairs(before):
        a = after[i] if i < len(after) and isinstance(after[i], dict) else {}
        b, path = before[i], pointer("body", "messages", i)
        for key in ("role", "content"):
            if a.get(key, _ABSENT) != b.get(key, _ABSENT):
                found.append(
                    violation(
                        "assistant-unchanged",
                        f"{path}/{key}",
                        b.get(key, _ABSENT),
                        a.get(key, _ABSENT),
                        "the assistant message with the $web_search call is appended unchanged",
                    )
                )
        if isinstance(b.get("reasoning_content"), str) and a.get("reasoning_content") != b["reasoning_content"]:
            found.append(
                violation(
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
                    violation(
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
                        violation(
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
                    found.append(violation("id-kept", path, raw, new, f"provider {ctx.provider_id} sanitizes no ids"))
                elif ctx.tool_call_ids in ("moonshot", "strict"):
                    want = strict_reduction(raw)
                    if want and want not in used and new != want:
                        found.append(
                            violation(
                                "id-strict",
                                path,
                                want,
                                new,
                                f"a first {raw!r} is reduced to {want!r} (T6 strict reduction)",
                            )
                        )
                    elif not STRICT_ID.match(new):
                        found.append(
                            violation("id-strict", path, None, new, "a $web_search id is reduced to [A-Za-z0-9]{1,40}")
                        )
            used.add(new)
    return found


# ------------------------------------------------------------------------------ thinking
def check_thinking(case, ctx, out, intended) -> list[Violation]:
    if not has_web_search(out["body"]) or ctx.custom_provider:
        return []
    facts = web_search_models(ctx.model.provider).get(ctx.model.id)
    if not facts:
        return []
    state = effective(ctx.thinking_mode, out["body"], ctx.model.thinking.get("default"))
    if facts["thinking"] == "disabled" and state == "enabled":
        return [
            violation(
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


# ------------------------------------------------------------------------------ registry shape
def registry_check(c) -> list[Violation]:
    """The rule registry's check shape: `harness.rules.Check` (case, ctx, out, intended) -> Violations."""
    return check_t10(c.case, c.ctx, c.out, c.intended)


def project(out: dict[str, Any]) -> dict[str, Any]:
    """Fields T10 governs, by JSON pointer, for agreement with the reference: the tools list,
    tool_choice, and every `$web_search` call and result except ids (T6 compares those modulo
    renaming)."""
    body = out["body"]
    found: dict[str, Any] = {pointer("body", k): body.get(k, _ABSENT) for k in ("tools", "tool_choice")}
    msgs = body.get("messages") or []
    for i, j, r in web_search_pairs(msgs):
        call = msgs[i]["tool_calls"][j]
        found[pointer("body", "messages", i, "tool_calls", j, "function")] = call.get("function")
        found[pointer("body", "messages", i, "tool_calls", j, "type")] = call.get("type", _ABSENT)
        if r is not None:
            for key in ("name", "content"):
                found[pointer("body", "messages", r, key)] = msgs[r].get(key, _ABSENT)
    return found
