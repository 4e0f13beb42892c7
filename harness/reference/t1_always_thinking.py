"""T1 Always-thinking models (K2.7 Code; K3 likewise always thinks).

[doc] K2.7 Code: outbound `thinking` and `reasoning_effort` are dropped, and the sampling
overrides it pins (temperature, top_p, n, presence_penalty, frequency_penalty) are dropped.
Nothing else is dropped (stop, seed, logprobs, max_tokens stay) [oc]. `tool_choice` other than
auto/none/absent becomes `auto` — a pinned tool cannot be kept by disabling thinking [doc].
The fixed-sampling list is catalog data (`thinking.fixedSampling`), matched by model id.

K3 (`effort` mode) [oc, wire]: same stripping of `thinking` and pinned sampling, but
`reasoning_effort` carries the /think level through the catalog's `effortLevels`, and
`tool_choice: "required"` is accepted upstream (only a pinned tool is incompatible).
"""

from __future__ import annotations

from typing import Any

RULE = "T1"
DROPPED_CONTROLS = ("thinking", "reasoning_effort", "reasoningEffort")


def apply(case: dict[str, Any], ctx, body: dict[str, Any]) -> None:
    mode = ctx.thinking_mode
    if mode not in ("always", "effort"):
        return
    spec = ctx.model.thinking
    for key in spec.get("fixedSampling", []):
        body.pop(key, None)
    if mode == "always":
        for key in DROPPED_CONTROLS:
            body.pop(key, None)
        if body.get("tool_choice") not in (None, "auto", "none"):
            body["tool_choice"] = "auto"
        return
    body.pop("thinking", None)
    body.pop("reasoningEffort", None)
    level = case.get("thinking")
    if level is not None:
        effort = spec.get("effortLevels", {}).get(level)
        if effort and effort != "none":
            body["reasoning_effort"] = effort
        else:
            body.pop("reasoning_effort", None)
    tc = body.get("tool_choice")
    if tc not in (None, "auto", "none", "required"):
        body["tool_choice"] = "auto"
