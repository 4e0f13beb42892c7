"""Idempotence and determinism: the same case gives the same request; transforming the outbound
body again changes nothing (tool-call ids compared modulo renaming, as T6 does).

The body is fed back with the case's configuration unchanged. A request field the target cannot
take as input (OpenClaw's `thinking` and `store` come only from its config; pi-ai decides
`reasoning_effort` itself) is left out of the fed-back request: the unchanged configuration makes it
again, and the output must still be the same. Feeding it back would only be refused, and the
example discarded (K2.5/K2.6 bodies carry `thinking`: most examples were lost that way)."""

from __future__ import annotations

import json

from harness.generation.features import REQUEST_FEATURES
from harness.rules._common import id_sequence
from harness.rules._rule import Check, Rule


def _without_ids(body):
    body = json.loads(json.dumps(body))
    for m in body.get("messages") or []:
        for call in m.get("tool_calls") or []:
            call.pop("id", None)
        m.pop("tool_call_id", None)
    return body


def _as_input(body, features):
    """The outbound body as a request the target can take: without the fields it only configures."""
    if features is None:
        return body
    return {k: v for k, v in body.items() if k not in REQUEST_FEATURES or REQUEST_FEATURES[k] in features}


def _checks(c: Check):
    if c.transform is None:
        return
    again = c.transform(c.case)
    if id_sequence(again) != id_sequence(c.out) or again["body"] != c.body:
        yield c.violation(
            "idempotence.deterministic", "/body", "the same case gave two different requests", c.body, again["body"]
        )
        return
    twice = c.transform({**c.case, "request": _as_input(c.body, c.features)})
    if _without_ids(twice["body"]) != _without_ids(c.body):
        yield c.violation(
            "idempotence.idempotent", "/body", "transforming the outbound body again changed it", c.body, twice["body"]
        )


RULE = Rule(
    id="idempotence",
    title="idempotence",
    section="idempotence",
    order=95,
    severity="minor",
    summary="the transformation is deterministic and idempotent",
    test_name="test_idempotence",
    sources=("oc",),
    checks=(_checks,),
    extra={"agreement": False},  # a property of the target alone
)
