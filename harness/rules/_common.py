"""Facts several rules share: field groups, id shapes, and how to read thinking on a body."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from typing import Any

from harness.contract.thinking import configured_type, level_type
from harness.contract.verdict import pointer
from harness.rules._rule import ABSENT

FIXED_SAMPLING = ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty")
T1_CONTROLS = ("thinking", "reasoning_effort", "reasoningEffort")
KEPT_BY_T1 = ("stop", "seed", "logprobs")
TOKEN_FIELDS = ("max_tokens", "max_completion_tokens")
NATIVE_ID = re.compile(r"^functions\.[^\s:]+:\d+$")
OPENAI_ID = re.compile(r"^call_[A-Za-z0-9_-]+$")
STRICT_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")
# Fields some rule may change; everything else must pass through untouched.
GOVERNED = frozenset(
    {
        "model",
        "thinking",
        "reasoning_effort",
        "reasoningEffort",
        *FIXED_SAMPLING,
        "tool_choice",
        "messages",
        *TOKEN_FIELDS,
        "store",
        "stream_options",
    }
)
COMPATIBLE_CHOICES = (None, "auto", "none")


def get(body: dict[str, Any], key: str) -> Any:
    return body.get(key, ABSENT)


def pick(body: dict[str, Any], keys) -> dict[str, Any]:
    """Fields by pointer; an optional request field sent as null means the same as absent."""
    return {pointer("body", k): ABSENT if body.get(k) is None else body[k] for k in keys}


def messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body.get("messages") or []


def is_pinned(tc: Any) -> bool:
    return isinstance(tc, dict) and tc.get("type") == "function" and isinstance(tc.get("function"), dict)


def thinking_type(thinking: Any) -> Any:
    return thinking.get("type") if isinstance(thinking, dict) else None


def wanted_type(case: dict[str, Any]) -> str | None:
    """T2: the type the configuration and /think level ask for (None: no opinion)."""
    return configured_type((case.get("params") or {}).get("thinking")) or level_type(case.get("thinking"))


def tool_call_slots(msgs: list[dict]) -> tuple[list[tuple[int, int]], list[tuple[int, int | None]]]:
    """Positions of every call (message index, call index) and, for every tool result, the
    position index of the call it answers: FIFO per raw id, as the contract pairs them."""
    calls: list[tuple[int, int]] = []
    results: list[tuple[int, int | None]] = []
    waiting: dict[str, deque[int]] = defaultdict(deque)
    for i, m in enumerate(msgs):
        if m.get("role") == "assistant":
            for j, c in enumerate(m.get("tool_calls") or []):
                waiting[c["id"]].append(len(calls))
                calls.append((i, j))
        elif m.get("role") == "tool":
            q = waiting[m["tool_call_id"]]
            results.append((i, q.popleft() if q else None))
    return calls, results


def id_sequence(out: dict[str, Any]) -> list[str]:
    """Every tool-call id and tool-result id, in transcript order."""
    ids = []
    for m in messages(out["body"]):
        if m.get("role") == "assistant":
            ids += [c.get("id") for c in m.get("tool_calls") or []]
        elif m.get("role") == "tool":
            ids.append(m.get("tool_call_id"))
    return ids
