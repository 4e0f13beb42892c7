"""T3 `thinking.keep` (multi-turn retention of reasoning_content).

[doc] Forwarded only for `moonshot/kimi-k2.6` (catalog flag `thinking.keep`) and stripped from
every other model; absent or null means the server default. [oc] Forwarded only when the
effective thinking type is `enabled` (a pinned tool that disabled thinking drops it too), and
`"ALL"` is normalized to `"all"`. Runs after T4, on the final body (T6b).
"""

from __future__ import annotations

from typing import Any

RULE = "T3"


def apply(case: dict[str, Any], ctx, body: dict[str, Any]) -> None:
    thinking = body.get("thinking")
    if not isinstance(thinking, dict) or "keep" not in thinking:
        return
    keep = thinking.pop("keep")
    allowed = ctx.thinking_mode == "binary" and ctx.model.thinking.get("keep", False)
    if allowed and thinking.get("type") == "enabled" and isinstance(keep, str) and keep.strip().lower() == "all":
        thinking["keep"] = "all"
