"""T7 Compat flags: maxTokensField, developer role, store, reasoning_effort — and D3: a /think
level on a supportsReasoningEffort provider off the native hosts becomes reasoning_effort
low/medium/high. D3 amended (2026-12-06, field reports): on a native Moonshot host only a model
that takes the field (K3, thinking mode `effort`, T1) gets reasoning_effort; never beside a
`thinking` object (400 "cannot specify both 'thinking' and 'reasoning_effort'",
[field: HKUDS/nanobot#3939]), never "none" on K2.5/K2.6 [field: pydantic/pydantic-ai#6208]."""

from __future__ import annotations

from typing import Any

from harness.contract.verdict import pointer
from harness.rules._common import TOKEN_FIELDS, get, messages, pick
from harness.rules._rule import ABSENT, Check, Rule

# D3: the OpenAI-compatible field's values, as Moonshot documents them for K3's effort mode.
LEVEL_EFFORT = {"off": None, "minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "high"}


def level_effort(case: dict[str, Any], ctx) -> tuple[bool, str | None]:
    """(applies, value): whether D3 decides reasoning_effort for this case, and to what."""
    level = case.get("thinking")
    if (
        level is None
        or ctx.thinking_mode not in ("binary", "none")
        or not ctx.compat.get("supportsReasoningEffort")
        or ctx.moonshot_host  # D3 amended: a native host takes the level as thinking only
    ):
        return False, None
    return True, LEVEL_EFFORT.get(level)


def _checks(c: Check):
    body, compat, intended = c.body, c.ctx.compat, c.intended
    field = compat.get("maxTokensField", "max_tokens")
    if any(k in intended for k in TOKEN_FIELDS):
        want = intended[field] if field in intended else next(intended[k] for k in TOKEN_FIELDS if k in intended)
        got = {k: body[k] for k in TOKEN_FIELDS if k in body}
        if got != {field: want}:
            yield c.violation(
                "T7.max-tokens-field", pointer("body", field), f"maxTokensField is {field!r}", {field: want}, got
            )
    dev_ok = compat.get("supportsDeveloperRole", False)
    for i, (b, a) in enumerate(zip(messages(intended), messages(body))):
        want_role = b.get("role") if dev_ok or b.get("role") != "developer" else "system"
        if a.get("role") != want_role:
            yield c.violation(
                "T7.roles",
                pointer("body", "messages", i, "role"),
                f"supportsDeveloperRole={dev_ok}",
                want_role,
                a.get("role"),
            )
    if not compat.get("supportsStore", False) and "store" in body:
        yield c.violation(
            "T7.store-unsupported",
            "/body/store",
            "supportsStore is false: store must not be sent",
            ABSENT,
            body["store"],
        )
    if compat.get("supportsStore", False) and "store" in intended and body.get("store") != intended["store"]:
        yield c.violation(
            "T7.store-kept",
            "/body/store",
            "supportsStore is true: store must pass",
            intended["store"],
            get(body, "store"),
        )
    if not compat.get("supportsReasoningEffort", False) and "reasoning_effort" in body:
        yield c.violation(
            "T7.reasoning-effort-unsupported",
            "/body/reasoning_effort",
            "supportsReasoningEffort is false: reasoning_effort must not be sent",
            ABSENT,
            body["reasoning_effort"],
        )
    yield from _native_effort(c)
    applies, effort = level_effort(c.case, c.ctx)
    if applies and body.get("reasoning_effort") != effort:
        yield c.violation(
            "T7.reasoning-effort-level",
            "/body/reasoning_effort",
            f"/think {c.case['thinking']} on a "
            "supportsReasoningEffort provider sends reasoning_effort low/medium/high (D3)",
            effort or ABSENT,
            get(body, "reasoning_effort"),
        )


def _native_effort(c: Check):
    """D3 amended: on a native host a model that does not take reasoning_effort never gets it."""
    body, ctx = c.body, c.ctx
    # always/effort models are T1's (K2.7 Code drops it, K3 takes it): one cause, one check
    if not ctx.moonshot_host or ctx.thinking_mode not in ("binary", "none") or "reasoning_effort" not in body:
        return
    if isinstance(body.get("thinking"), dict):
        yield c.violation(
            "T7.thinking-and-effort",
            "/body/reasoning_effort",
            f"{ctx.model.ref} on a native Moonshot host: thinking and reasoning_effort together are "
            "a 400 ('cannot specify both'); the level goes out as thinking only (D3)",
            ABSENT,
            body["reasoning_effort"],
        )
    elif ctx.compat.get("supportsReasoningEffort", False):  # without the flag: reasoning-effort-unsupported
        yield c.violation(
            "T7.reasoning-effort-native",
            "/body/reasoning_effort",
            f"{ctx.model.ref} does not take reasoning_effort on a native Moonshot host, whatever "
            "supportsReasoningEffort says (only K3 does; 'none' is a 400 on K2.5/K2.6) (D3)",
            ABSENT,
            body["reasoning_effort"],
        )


def _project(out):
    body = out["body"]
    roles = {pointer("body", "messages", i, "role"): m.get("role") for i, m in enumerate(messages(body))}
    return {**pick(body, (*TOKEN_FIELDS, "store", "reasoning_effort")), **roles}


RULE = Rule(
    id="T7",
    title="compat flags",
    section="t7",
    order=70,
    summary="compat flags: maxTokensField, developer role, reasoning_effort (D3), store",
    test_name="test_t7_compat",
    sources=(
        "doc:000 compat",
        "oc",
        "D3",
        "field: HKUDS/nanobot#3939",
        "field: pydantic/pydantic-ai#6208",
    ),
    focus=("compat", "provider", "developer_role"),
    checks=(_checks,),
    project=_project,
    reference_step="t7_compat",
)
