"""T6b Extra body, and the configured params that shape the starting body.

[doc/oc] A configured `params.extra_body` is merged (shallowly, as OpenClaw's Object.assign)
into the outbound body; configured sampling params override the request's. OpenClaw merges the
extra body *after* its Moonshot pre-pass, so on K2.6 it can re-add `thinking.keep` or send
`tool_choice: "required"` under thinking [oc] — which the API rejects [wire]. The contract
applies T1-T5 to the final body, so the reference merges the extra body *first*
(`harness.contract.intended`) and every later rule sees it.
"""

from __future__ import annotations

from harness.contract.intended import PARAM_FIELDS, intended_body

RULE = "T6b"
start_body = intended_body
__all__ = ["PARAM_FIELDS", "start_body"]
