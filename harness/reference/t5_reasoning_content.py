"""T5 `reasoning_content` in history.

[oc] With thinking enabled, an assistant message that has `tool_calls` but no
`reasoning_content` gets one (OpenClaw writes ""). [wire] The API rejects the request otherwise:
"thinking is enabled but reasoning_content is missing in assistant tool call message at index N".
"""

from __future__ import annotations

from typing import Any

from harness.contract.thinking import effective

RULE = "T5"
BACKFILL = ""


def needs_backfill(message: dict[str, Any]) -> bool:
    return (
        message.get("role") == "assistant"
        and bool(message.get("tool_calls"))
        and message.get("reasoning_content") is None
    )


def apply(case: dict[str, Any], ctx, body: dict[str, Any]) -> None:
    if effective(ctx.thinking_mode, body, ctx.model.thinking.get("default")) != "enabled":
        return
    for message in body.get("messages") or []:
        if isinstance(message, dict) and needs_backfill(message):
            message["reasoning_content"] = BACKFILL
