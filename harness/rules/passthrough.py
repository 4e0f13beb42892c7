"""Pass-through: fields no rule governs, message contents (byte for byte, D5) and tool calls go
out as the caller wrote them; no field appears that no rule adds."""

from __future__ import annotations

import json
from typing import Any

from harness.contract.verdict import pointer
from harness.rules._common import GOVERNED, TOKEN_FIELDS, get, messages
from harness.rules._rule import ABSENT, Check, Rule

ADDED_BY_RULES = frozenset({"thinking", "stream_options", "reasoning_effort", *TOKEN_FIELDS})


def _checks(c: Check):
    body, intended = c.body, c.intended
    for k, v in intended.items():
        if k not in GOVERNED and body.get(k, ABSENT) != v:
            yield c.violation("passthrough.field", pointer("body", k), f"no rule touches {k!r}", v, get(body, k))
    for k in sorted(set(body) - set(intended) - ADDED_BY_RULES):
        yield c.violation(
            "passthrough.added-field", pointer("body", k), f"{k!r} appeared, and no rule adds it", ABSENT, body[k]
        )
    for i, (b, a) in enumerate(zip(messages(intended), messages(body))):
        if a.get("content", ABSENT) != b.get("content", ABSENT):
            yield c.violation(
                "passthrough.content",
                pointer("body", "messages", i, "content"),
                "message content is opaque and goes out byte for byte (D5)",
                b.get("content", ABSENT),
                a.get("content", ABSENT),
            )


def _call(call: dict[str, Any]) -> Any:
    """A tool call by meaning: its name and parsed arguments (re-serialized JSON is the same call)."""
    fn = call.get("function") or {}
    args = fn.get("arguments")
    try:
        args = json.loads(args) if isinstance(args, str) else args
    except ValueError:
        pass
    return [fn.get("name"), args]


def _project(out):
    body = out["body"]
    fields = {pointer("body", k): v for k, v in body.items() if k not in GOVERNED}
    for i, m in enumerate(messages(body)):
        fields[pointer("body", "messages", i, "content")] = m.get("content", ABSENT)
        if m.get("tool_calls"):
            fields[pointer("body", "messages", i, "tool_calls")] = [_call(x) for x in m["tool_calls"]]
    return fields


RULE = Rule(
    id="passthrough",
    title="pass-through",
    section="pass-through",
    order=90,
    summary="fields no rule touches pass through; message content byte for byte",
    test_name="test_passthrough",
    sources=("oc", "D5"),
    focus=("content",),
    checks=(_checks,),
    project=_project,
)
