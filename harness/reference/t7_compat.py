"""T7 Compat flags (nix-openclaw `compat`, seed 000) [doc/oc].

`maxTokensField` picks `max_tokens` or `max_completion_tokens`; `supportsDeveloperRole: false`
sends a `developer` message as `system`; `supportsReasoningEffort: false` drops
`reasoning_effort`; `supportsStore: false` drops `store`. Moonshot defaults: max_tokens, no
developer role, no store, no reasoning_effort [oc]. Flags come from the catalog (provider, then
model) overlaid with the case's custom provider `compat`.
"""

from __future__ import annotations

from typing import Any

from harness.rules.t7_compat import level_effort

RULE = "T7"
TOKEN_FIELDS = ("max_tokens", "max_completion_tokens")


def apply(case: dict[str, Any], ctx, body: dict[str, Any]) -> None:
    compat = ctx.compat
    field = compat.get("maxTokensField", "max_tokens")
    if any(k in body for k in TOKEN_FIELDS):
        # The caller's own spelling of the wanted field wins when both are present.
        value = body[field] if field in body else next(body[k] for k in TOKEN_FIELDS if k in body)
        for k in TOKEN_FIELDS:
            body.pop(k, None)
        body[field] = value
    if not compat.get("supportsDeveloperRole", False):
        for message in body.get("messages") or []:
            if message.get("role") == "developer":
                message["role"] = "system"
    if not compat.get("supportsReasoningEffort", False):
        body.pop("reasoning_effort", None)
    applies, effort = level_effort(case, ctx)
    if applies:  # D3: the /think level as the OpenAI-compatible field's values
        if effort is None:
            body.pop("reasoning_effort", None)
        else:
            body["reasoning_effort"] = effort
    if not compat.get("supportsStore", False):
        body.pop("store", None)
