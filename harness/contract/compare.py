"""Agreement with the reference on the fields a rule governs, and readable diffs.

Tool-call ids compare modulo a consistent renaming: a target may pick other `call_*` names
than the reference, as long as it renames the same occurrences, one-to-one, everywhere.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from harness.contract.properties import (
    FIXED_SAMPLING,
    GOVERNED,
    KEPT_BY_T1,
    T1_CONTROLS,
    TOKEN_FIELDS,
    tool_call_slots,
)

_MISSING = "<absent>"


def _pick(body: dict[str, Any], keys) -> dict[str, Any]:
    # An optional request field sent as null means the same as not sending it.
    return {k: _MISSING if body.get(k) is None else body[k] for k in keys}


def _messages(body):
    return body.get("messages") or []


def project(rule: str, out: dict[str, Any]) -> Any:
    """The part of an outbound request that `rule` governs (a dict: differences name fields)."""
    body = out["body"]
    if rule == "routing":
        return {"method": out["method"].upper(), "url": out["url"].rstrip("/"), "model": body.get("model")}
    if rule == "T1":
        return _pick(body, (*T1_CONTROLS, *FIXED_SAMPLING, *KEPT_BY_T1, "tool_choice"))
    if rule in ("T2", "T3", "T4"):
        return _pick(body, ("thinking", "tool_choice"))
    if rule == "T5":
        return {"reasoning_content": [_MISSING if m.get("reasoning_content") is None else m["reasoning_content"]
                                      for m in _messages(body)]}
    if rule == "T7":
        return {**_pick(body, (*TOKEN_FIELDS, "store", "reasoning_effort")), "roles": [m.get("role") for m in _messages(body)]}
    if rule == "T8":
        return _pick(body, ("stream", "stream_options"))
    if rule == "T6b":  # T1-T5 on the final body
        return {**project("T1", out), **project("T2", out), **project("T5", out)}
    if rule == "passthrough":  # what no rule governs: ungoverned fields, message contents, tool calls
        return {**{k: v for k, v in body.items() if k not in GOVERNED},
                "message contents": [m.get("content") for m in _messages(body)],
                "tool calls": [[_call(c) for c in m.get("tool_calls") or []] for m in _messages(body)]}
    if rule == "idempotence":
        return body
    raise KeyError(rule)


def _call(call: dict[str, Any]) -> Any:
    """A tool call by meaning: its name and parsed arguments (re-serialized JSON is the same call)."""
    fn = call.get("function") or {}
    args = fn.get("arguments")
    try:
        args = json.loads(args) if isinstance(args, str) else args
    except ValueError:
        pass
    return [fn.get("name"), args]


def id_sequence(out: dict[str, Any]) -> list[str]:
    """Every tool-call id and tool-result id, in transcript order."""
    ids = []
    for m in _messages(out["body"]):
        if m.get("role") == "assistant":
            ids += [c.get("id") for c in m.get("tool_calls") or []]
        elif m.get("role") == "tool":
            ids.append(m.get("tool_call_id"))
    return ids


def renaming_mismatch(got: list[str], want: list[str]) -> str | None:
    """None if `got` is `want` under a one-to-one renaming, else where it breaks."""
    if len(got) != len(want):
        return f"{len(got)} ids vs the reference's {len(want)}"
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for i, (g, w) in enumerate(zip(got, want)):
        if forward.setdefault(g, w) != w or backward.setdefault(w, g) != g:
            return f"id #{i}: {g!r} here, {w!r} in the reference, inconsistent with earlier ids"
    return None


def agreement(rule: str, got: dict[str, Any], want: dict[str, Any]) -> str | None:
    """None if the target agrees with the reference on `rule`, else which fields differ and a diff."""
    if rule == "T6":
        problem = renaming_mismatch(id_sequence(got), id_sequence(want))
        if problem:
            return f"tool-call ids differ from the reference modulo renaming: {problem}\n" + diff(
                id_sequence(want), id_sequence(got))
        return None
    a, b = project(rule, got), project(rule, want)
    if rule == "idempotence":  # ids are T6's business; compare the rest exactly
        a, b = _without_ids(a), _without_ids(b)
    if a == b:
        return None
    fields = sorted(k for k in set(a) | set(b) if a.get(k, _MISSING) != b.get(k, _MISSING))
    return f"differing fields: {', '.join(fields)}\n{diff(b, a)}"


def _without_ids(body: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    for m in _messages(body):
        for c in m.get("tool_calls") or []:
            c.pop("id", None)
        m.pop("tool_call_id", None)
    return body


def diff(expected: Any, actual: Any, labels=("reference", "target")) -> str:
    a = json.dumps(expected, indent=1, sort_keys=True, default=str).splitlines()
    b = json.dumps(actual, indent=1, sort_keys=True, default=str).splitlines()
    return "\n".join(difflib.unified_diff(a, b, *labels, lineterm="", n=2))


__all__ = ["agreement", "diff", "id_sequence", "project", "renaming_mismatch", "tool_call_slots"]
