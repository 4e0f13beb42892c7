"""Routing: every ref reaches its endpoint with its canonical model id, and no key in headers."""

from __future__ import annotations

import re

from harness.contract.verdict import pointer
from harness.rules._rule import Check, Rule

_KEY = re.compile(r"sk-[A-Za-z0-9]{16,}")


def _checks(c: Check):
    out, ctx = c.out, c.ctx
    if out["method"].upper() != "POST":
        yield c.violation(
            "routing.method", "/method", f"method is {out['method']!r}, expected POST", "POST", out["method"]
        )
    if out["url"].rstrip("/") != ctx.url:
        yield c.violation(
            "routing.url",
            "/url",
            f"url is {out['url']!r}, expected {ctx.url!r} for {ctx.model.ref} via provider {ctx.provider_id}",
            ctx.url,
            out["url"],
        )
    got = c.body.get("model")
    if got != ctx.model.id:
        yield c.violation(
            "routing.model-id",
            "/body/model",
            f"body.model is {got!r}, expected the canonical id {ctx.model.id!r} of {c.case['model']!r}",
            ctx.model.id,
            got,
        )
    if _KEY.search(str(out["headers"].get("authorization", ""))):
        yield c.violation(
            "routing.key-in-header",
            pointer("headers", "authorization"),
            "the outbound Authorization header carries something shaped like a real key",
            "a placeholder",
            "<a key>",
        )


def _project(out):
    return {"/method": out["method"].upper(), "/url": out["url"].rstrip("/"), "/body/model": out["body"].get("model")}


RULE = Rule(
    id="routing",
    title="routing",
    section="routing",
    order=0,
    severity="blocker",
    summary="every ref (aliases, legacy refs, both regions, custom providers) goes to its endpoint with its "
    "canonical model id; no key in headers",
    test_name="test_routing",
    sources=("doc:003 §providers", "doc:000", "oc"),
    focus=("ref_spelling", "provider"),
    checks=(_checks,),
    project=_project,
)
