"""The body the caller intends: the request, configured params and extra body merged (T6b).

Every rule is stated on this body — "the contract applies T1-T5 to the final body, extra body
included" — so the properties and the reference start from the same one.
"""

from __future__ import annotations

from typing import Any

from harness.contract.case import plain_copy

# Configured params that are request fields (OpenClaw passes them to the transport as options).
PARAM_FIELDS = (
    "temperature",
    "top_p",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "max_tokens",
    "stop",
    "seed",
)


def _as_is(value: Any) -> Any:
    return value


def intended_body(case: dict[str, Any], ctx, *, owned: bool = False) -> dict[str, Any]:
    """`owned=True`: the case is the caller's private copy (`validated_copy`), so its parts are
    used as they are instead of being copied again (the reference's hot path)."""
    own = _as_is if owned else plain_copy  # cases are JSON data
    body = own(case["request"])
    params = case.get("params") or {}
    for key in PARAM_FIELDS:
        if key in params and params[key] is not None:
            body[key] = own(params[key])
    # Shallow, as OpenClaw's Object.assign: an extra body's `thinking` replaces the whole object.
    body.update(own(params.get("extra_body") or {}))
    body["model"] = ctx.model.id  # canonical API id: legacy refs go out as kimi-for-coding
    return body
