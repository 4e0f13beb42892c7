"""T3 thinking.keep: forwarded only for moonshot/kimi-k2.6, only with thinking enabled, as "all"."""

from __future__ import annotations

from typing import Any

from harness.rules._common import pick, thinking_type, wanted_type
from harness.rules._rule import ABSENT, Check, Rule


def _keep_requested(case, intended) -> Any:
    configured = (case.get("params") or {}).get("thinking")
    if wanted_type(case) is not None and isinstance(configured, dict) and "keep" in configured:
        return configured["keep"]
    thinking = intended.get("thinking")
    return thinking.get("keep") if isinstance(thinking, dict) else None


def _checks(c: Check):
    thinking, ctx = c.body.get("thinking"), c.ctx
    capable = ctx.thinking_mode == "binary" and ctx.model.thinking.get("keep", False)
    if isinstance(thinking, dict) and "keep" in thinking:
        if not capable:
            yield c.violation(
                "T3.model-gate",
                "/body/thinking/keep",
                f"thinking.keep is forwarded only for moonshot/kimi-k2.6, not {ctx.model.ref}",
                ABSENT,
                thinking["keep"],
            )
        elif thinking.get("type") != "enabled":
            yield c.violation(
                "T3.needs-enabled",
                "/body/thinking/keep",
                "thinking.keep is forwarded only with thinking enabled",
                ABSENT,
                thinking["keep"],
            )
        elif thinking["keep"] != "all":
            yield c.violation(
                "T3.normalized",
                "/body/thinking/keep",
                "thinking.keep must be normalized to 'all'",
                "all",
                thinking["keep"],
            )
    requested = _keep_requested(c.case, c.intended)
    if (
        capable
        and thinking_type(thinking) == "enabled"
        and isinstance(requested, str)
        and requested.strip().lower() == "all"
        and not (isinstance(thinking, dict) and thinking.get("keep") == "all")
    ):
        yield c.violation(
            "T3.forwarded",
            "/body/thinking/keep",
            f"keep {requested!r} was asked for on {ctx.model.ref} with thinking enabled",
            "all",
            thinking.get("keep", ABSENT) if isinstance(thinking, dict) else ABSENT,
        )


RULE = Rule(
    id="T3",
    title="thinking.keep",
    section="t3",
    order=30,
    summary='thinking.keep only for moonshot/kimi-k2.6, only when enabled, normalized to "all"',
    test_name="test_t3_thinking_keep",
    sources=("doc:003 K2.6 keep", "oc"),
    focus=("keep",),
    checks=(_checks,),
    project=lambda out: pick(out["body"], ("thinking", "tool_choice")),
    reference_step="t3_thinking_keep",
)
