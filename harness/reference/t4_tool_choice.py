"""T4 `tool_choice` under thinking (switchable models).

[doc] With Moonshot thinking enabled, `tool_choice` must be `auto` or `none`; incompatible
values are normalized to `auto`. [oc] For switchable models a pinned tool
(`{"type": "function", "function": {"name": ...}}`) is kept and thinking is disabled instead;
`"required"` becomes `"auto"`. Always-thinking models are T1's. D2: on every Moonshot/Kimi
endpoint the outbound thinking state decides; D4: a model that reasons by default thinks
without a `thinking` field (catalog `thinking.default`).
"""

from __future__ import annotations

from typing import Any

from harness.contract.thinking import effective

RULE = "T4"


def is_pinned(tool_choice: Any) -> bool:
    return (
        isinstance(tool_choice, dict)
        and tool_choice.get("type") == "function"
        and isinstance(tool_choice.get("function"), dict)
        and isinstance(tool_choice["function"].get("name"), str)
    )


def apply(case: dict[str, Any], ctx, body: dict[str, Any]) -> None:
    if ctx.thinking_mode not in ("binary", "none"):  # D2: Kimi Coding follows the outbound state too
        return
    tc = body.get("tool_choice")
    if tc in (None, "auto", "none"):
        return
    if effective(ctx.thinking_mode, body, ctx.model.thinking.get("default")) != "enabled":
        return
    if is_pinned(tc):
        body["thinking"] = {"type": "disabled"}
    else:
        body["tool_choice"] = "auto"
