"""T10 Kimi web search, the one thing a transform must do for it: a model whose catalog entry
says it searches only with thinking disabled (`webSearch.models[id].thinking: "disabled"`,
kimi-k2.5 [doc, oc]) gets `thinking: {type: disabled}` when the request carries the `$web_search`
builtin. Everything else about web search passes unchanged (docs/contract.md#t10-web-search)."""

from __future__ import annotations

from typing import Any

RULE = "T10"


def _searches(body: dict[str, Any]) -> bool:
    return any(
        isinstance(t, dict) and (t.get("function") or {}).get("name") == "$web_search" for t in body.get("tools") or []
    )


def apply(case: dict[str, Any], ctx, body: dict[str, Any]) -> None:
    facts = ((ctx.model.provider.data.get("webSearch") or {}).get("models") or {}).get(ctx.model.id) or {}
    if facts.get("thinking") == "disabled" and _searches(body):
        body["thinking"] = {"type": "disabled"}
