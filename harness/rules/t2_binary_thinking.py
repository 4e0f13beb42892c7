"""T2 Binary thinking: /think and configured params.thinking decide thinking.type on switchable
models; elsewhere thinking passes through (a pinned tool under thinking is T4's exception)."""

from __future__ import annotations

from typing import Any

from harness.rules._common import is_pinned, pick, thinking_type, wanted_type
from harness.rules._rule import Check, Rule


def expected_type(c: Check) -> Any:
    """The thinking type T2 (then T4's pinned-tool override) leads to."""
    mode, intended = c.ctx.thinking_mode, c.intended
    base = (wanted_type(c.case) if mode == "binary" else None) or thinking_type(intended.get("thinking"))
    if (base or c.ctx.model.thinking.get("default")) == "enabled" and is_pinned(intended.get("tool_choice")):
        return "disabled"
    return base


def _checks(c: Check):
    if c.ctx.thinking_mode not in ("binary", "none"):
        return
    expected, got = expected_type(c), thinking_type(c.body.get("thinking"))
    if got != expected:
        check = "T2.thinking-type" if c.ctx.thinking_mode == "binary" else "T2.passthrough"
        yield c.violation(
            check,
            "/body/thinking/type",
            f"thinking.type should be {expected!r} (level "
            f"{c.case.get('thinking')!r}, configured {(c.case.get('params') or {}).get('thinking')!r})",
            expected,
            got,
        )


RULE = Rule(
    id="T2",
    title="binary thinking",
    section="t2",
    order=20,
    severity="critical",
    summary="binary thinking from /think and configured params.thinking (objects, booleans, words)",
    test_name="test_t2_binary_thinking",
    # K2.5/K2.6 turn thinking off with {"type": "disabled"}, never reasoning_effort "none"
    sources=("doc:003 thinking", "oc", "field: pydantic/pydantic-ai#6208"),
    focus=("configured_thinking",),
    checks=(_checks,),
    project=lambda out: pick(out["body"], ("thinking", "tool_choice")),
    reference_step="t2_binary_thinking",
)
