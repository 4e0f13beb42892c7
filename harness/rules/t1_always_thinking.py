"""T1 Always-thinking models (K2.7 Code; K3 in `effort` mode): controls and pinned sampling
dropped, nothing else dropped, tool_choice compatible with thinking."""

from __future__ import annotations

from harness.contract.verdict import pointer
from harness.rules._common import (
    COMPATIBLE_CHOICES,
    FIXED_SAMPLING,
    KEPT_BY_T1,
    T1_CONTROLS,
    get,
    pick,
)
from harness.rules._rule import ABSENT, Check, Rule


def _dropped(c: Check, keys, check: str):
    for k in keys:
        if k in c.body:
            yield c.violation(
                check, pointer("body", k), f"{c.ctx.model.ref} always thinks: {k} must be dropped", ABSENT, c.body[k]
            )


def _always(c: Check):
    body, ctx, intended = c.body, c.ctx, c.intended
    yield from _dropped(c, (*T1_CONTROLS, *ctx.model.thinking.get("fixedSampling", [])), "T1.dropped")
    tc = body.get("tool_choice")
    if tc not in COMPATIBLE_CHOICES:
        yield c.violation(
            "T1.tool-choice-auto",
            "/body/tool_choice",
            f"{ctx.model.ref}: tool_choice {tc!r} must become 'auto' (thinking cannot be disabled)",
            "auto",
            tc,
        )
    elif intended.get("tool_choice") in ("auto", "none") and tc != intended["tool_choice"]:
        yield c.violation(
            "T1.compatible-kept",
            "/body/tool_choice",
            f"tool_choice {intended['tool_choice']!r} is compatible and must stay",
            intended["tool_choice"],
            get(body, "tool_choice"),
        )


def _effort(c: Check):
    body, ctx = c.body, c.ctx
    yield from _dropped(c, ("thinking", *ctx.model.thinking.get("fixedSampling", [])), "T1.dropped")
    tc = body.get("tool_choice")
    if tc not in (*COMPATIBLE_CHOICES, "required"):
        yield c.violation(
            "T1.effort-pinned-tool",
            "/body/tool_choice",
            f"{ctx.model.ref}: a pinned tool_choice is incompatible with thinking",
            "auto",
            tc,
        )
    level = c.case.get("thinking")
    if level is not None:
        effort = ctx.model.thinking.get("effortLevels", {}).get(level)
        want = effort if effort and effort != "none" else None
        if not ctx.compat.get("supportsReasoningEffort", False):
            want = None  # T7: a provider that cannot take reasoning_effort never gets it
        if body.get("reasoning_effort") != want:
            yield c.violation(
                "T1.effort-level",
                "/body/reasoning_effort",
                f"/think {level} on {ctx.model.ref} must send reasoning_effort={want!r}",
                want or ABSENT,
                get(body, "reasoning_effort"),
            )


def _checks(c: Check):
    mode = c.ctx.thinking_mode
    if mode == "always":
        yield from _always(c)
    elif mode == "effort":
        yield from _effort(c)
    else:  # T1 must not fire elsewhere: sampling overrides are the caller's to keep
        for k in FIXED_SAMPLING:
            if k in c.intended and c.body.get(k, ABSENT) != c.intended[k]:
                yield c.violation(
                    "T1.sampling-kept",
                    pointer("body", k),
                    f"{c.ctx.model.ref} does not pin {k}",
                    c.intended[k],
                    get(c.body, k),
                )
    for k in KEPT_BY_T1:
        if k in c.intended and c.body.get(k, ABSENT) != c.intended[k]:
            yield c.violation(
                "T1.never-dropped", pointer("body", k), f"{k} is never dropped", c.intended[k], get(c.body, k)
            )


RULE = Rule(
    id="T1",
    title="always-thinking models",
    section="t1",
    order=10,
    severity="critical",
    summary="K2.7 Code (and K3) drop thinking, reasoning_effort and the pinned sampling fields; keep "
    "stop/seed/logprobs/max_tokens; tool_choice -> auto",
    test_name="test_t1_always_thinking",
    sources=(
        "doc:003 K2.7 Code",
        "oc",
        "wire",
        # K3: no thinking object, reasoning_effort low/high/max, sampling server-fixed (400 on other
        # values); K2.7 Code: thinking.type "disabled" errors, so thinking is dropped, never disabled
        "field: enricoros/big-AGI#1161",
        "field: mnfst/modelparams.dev#168",
        "field: lobehub/lobehub#17267",
        "field: UKGovernmentBEIS/inspect_ai#4537",
    ),
    focus=("sampling", "tool_choice"),
    checks=(_checks,),
    project=lambda out: pick(out["body"], (*T1_CONTROLS, *FIXED_SAMPLING, *KEPT_BY_T1, "tool_choice")),
    reference_step="t1_always_thinking",
)
