"""Root cause before symptom: inputs the caller configured that never reached the body.

A gateway that drops `params.extra_body` (or a configured param such as `temperature`) fails
the rules downstream of it — T5 asks for reasoning_content because the extra body's `thinking`
never arrived — and the symptom alone sends its author the wrong way. Where the reference's
body carries a field from the configured params or extra body and the target's body has no such
field at all, that is said first, as its own violation.
"""

from __future__ import annotations

from typing import Any

from harness.contract.intended import PARAM_FIELDS
from harness.contract.verdict import Violation, pointer
from harness.rules._rule import ABSENT


def dropped_inputs(
    case: dict[str, Any], outbound: dict[str, Any] | None, reference: dict[str, Any] | None
) -> list[Violation]:
    """Configured params and extra-body fields the reference sends and the target's body lacks."""
    if not outbound or not reference:
        return []
    body, want = outbound.get("body") or {}, reference.get("body") or {}
    params = case.get("params") or {}
    found = []
    for key in sorted(params.get("extra_body") or {}):
        if key in want and key not in body:
            found.append(
                Violation(
                    "T6b",
                    "T6b.extra-body-dropped",
                    pointer("body", key),
                    want[key],
                    ABSENT,
                    f"params.extra_body.{key} never reached the body",
                )
            )
    for key in PARAM_FIELDS:
        if (
            params.get(key) is not None
            and key in want
            and key not in body
            and key not in (params.get("extra_body") or {})
        ):
            found.append(
                Violation(
                    "passthrough",
                    "passthrough.param-dropped",
                    pointer("body", key),
                    want[key],
                    ABSENT,
                    f"the configured params.{key} never reached the body",
                )
            )
    return found
