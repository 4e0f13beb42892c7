"""Which expressible features a case uses — so replayed cases (corpus, divergence minimal cases)
reach only targets that can express them, exactly as generation does for drawn cases."""

from __future__ import annotations

import re
from typing import Any

_USUAL_ID = re.compile(r"^(functions\.[^\s:]+:\d+|[A-Za-z_]+[:_]\d+|call_[A-Za-z0-9_-]+)$")
_SAMPLING = ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty", "max_tokens", "stop", "seed")
# Request fields that are a feature of their own: a target without the feature takes the field only from
# its configuration (OpenClaw's thinking and store) or decides it itself (pi-ai's reasoning_effort).
REQUEST_FEATURES = {
    "thinking": "request_thinking",
    "stream": "stream",
    "store": "store",
    "reasoning_effort": "reasoning_effort",
}
# Request fields only a payload / extra-body hook carries (feature "payload_fields"): generation draws them
# for every target, then leaves them out where the target has no such hook (the Vercel AI SDK).
PAYLOAD_FIELDS = ("n", "user", "x_trace_id")


def case_features(case: dict[str, Any], defaults: dict[str, Any] | None = None) -> set[str]:
    """defaults: the target's request defaults (OpenClaw always streams): a request field equal to
    its default is what the target does anyway, not a feature it must express."""
    used: set[str] = set()
    defaults = defaults or {}
    if isinstance(case.get("model"), str) and "/" not in case["model"]:
        used.add("model_aliases")
    request, params = case.get("request") or {}, case.get("params") or {}
    if "thinking" in case:
        used.add("thinking_level")
    if "thinking" in params:
        used.add("configured_thinking")
        if params["thinking"] is not None and not isinstance(params["thinking"], dict):
            used.add("thinking_spellings")
    if "extra_body" in params:
        used.add("extra_body")
    if any(k in params for k in _SAMPLING):
        used.add("params_sampling")
    provider = case.get("provider") or {}
    if provider and (provider.get("id") != case["model"].split("/", 1)[0] or set(provider) - {"id", "baseUrl"}):
        used.add("custom_provider")
    if provider.get("compat"):
        used.add("compat")
    if provider.get("sanitizeToolCallIds"):
        used.add("sanitize_switch")
    for key, feature in REQUEST_FEATURES.items():
        if key in request and not (key in defaults and defaults[key] == request[key]):
            used.add(feature)
    for m in request.get("messages") or []:
        if m.get("role") == "developer":
            used.add("developer_role")
        ids = [c.get("id", "") for c in m.get("tool_calls") or []] + (
            [m["tool_call_id"]] if "tool_call_id" in m else []
        )
        if any(not _USUAL_ID.match(str(i)) for i in ids):
            used.add("odd_tool_ids")
        if isinstance(m.get("content"), list):
            used.add("content_parts")
    if any(k in request for k in PAYLOAD_FIELDS):
        used.add("payload_fields")
    return used
