"""T2 Binary thinking (the other Moonshot Kimi models).

[doc] `/think off` -> `thinking: {type: "disabled"}`; any other level -> `{type: "enabled"}`.
A configured `params.thinking` wins over the level [doc/oc]; it may be `{type}`, a boolean,
or enabled|on|true / disabled|off|false [oc]. With neither, the request's own `thinking` is left
as it is [oc]. A `keep` already asked for (configured, else the request's own) rides along for
T3 to gate.
"""

from __future__ import annotations

from typing import Any

from harness.contract.thinking import configured_type, level_type

RULE = "T2"


def apply(case: dict[str, Any], ctx, body: dict[str, Any]) -> None:
    if ctx.thinking_mode != "binary":
        return
    configured = (case.get("params") or {}).get("thinking")
    wanted = configured_type(configured) or level_type(case.get("thinking"))
    if wanted is None:
        return
    old = body.get("thinking")
    new: dict[str, Any] = {"type": wanted}
    if isinstance(configured, dict) and "keep" in configured:
        new["keep"] = configured["keep"]
    elif isinstance(old, dict) and "keep" in old:
        new["keep"] = old["keep"]
    body["thinking"] = new
