"""T7 Compat flags (nix-openclaw `compat`, seed 000) [doc/oc].

`maxTokensField` picks `max_tokens` or `max_completion_tokens`; `supportsDeveloperRole: false`
sends a `developer` message as `system`; `supportsReasoningEffort: false` drops
`reasoning_effort`; `supportsStore: false` drops `store`. Moonshot defaults: max_tokens, no
developer role, no store, no reasoning_effort [oc]. Flags come from the catalog (provider, then
model) overlaid with the case's custom provider `compat`.

D3, amended 2026-12-06 from field reports: Moonshot answers 400 to a K2.5/K2.6 request with both
`thinking` and `reasoning_effort` [field: HKUDS/nanobot#3939] and to `reasoning_effort: "none"`
[field: pydantic/pydantic-ai#6208]. So on a native Moonshot host only a model that
takes the field (K3, catalog thinking mode `effort`, T1) gets `reasoning_effort`; a binary model's
level goes out as `thinking` (T2) alone. The level becomes `reasoning_effort` only on a
non-Moonshot host under `supportsReasoningEffort`.
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
    if not compat.get("supportsReasoningEffort", False) or (ctx.moonshot_host and ctx.thinking_mode != "effort"):
        body.pop("reasoning_effort", None)
    applies, effort = level_effort(case, ctx)
    if applies:  # D3 (off a native host): the /think level as the OpenAI-compatible field's values
        if effort is None:
            body.pop("reasoning_effort", None)
        else:
            body["reasoning_effort"] = effort
    if not compat.get("supportsStore", False):
        body.pop("store", None)
