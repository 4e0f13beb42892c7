"""T4 tool_choice under thinking: only auto/none go out while thinking is on; required -> auto;
a pinned tool is kept and thinking disabled instead. On every Moonshot/Kimi endpoint that follows
the outbound thinking state (D2), including models that think by default (D4). The field agrees
(issue #27): `required` under thinking is rejected on every Kimi model but K3 (T1 keeps it there),
a named tool choice under thinking is rejected on every model, so a binary model disables thinking
for it and an always-thinking one (K2.7 Code, K3: T1) broadens it to auto [field:
UKGovernmentBEIS/inspect_ai#5152 probe matrix, meridianlabs-ai/inspect_ai#382]."""

from __future__ import annotations

from harness.contract.thinking import effective
from harness.rules._common import COMPATIBLE_CHOICES, get, is_pinned, pick, thinking_type, wanted_type
from harness.rules._rule import Check, Rule


def _checks(c: Check):
    mode = c.ctx.thinking_mode
    if mode not in ("binary", "none"):
        return  # always-thinking models are T1's
    body, intended = c.body, c.intended
    default = c.ctx.model.thinking.get("default")
    tc = body.get("tool_choice")
    if effective(mode, body, default) == "enabled" and tc not in COMPATIBLE_CHOICES:
        yield c.violation(
            "T4.incompatible-under-thinking",
            "/body/tool_choice",
            "thinking is enabled, so tool_choice must be auto or none",
            "auto",
            tc,
        )
        return
    itc = intended.get("tool_choice")
    pre = dict(intended)
    want = wanted_type(c.case) if mode == "binary" else None
    if want is not None:
        pre["thinking"] = {"type": want}
    if itc in COMPATIBLE_CHOICES or effective(mode, pre, default) != "enabled":
        if tc != itc and "tool_choice" in intended:
            yield c.violation(
                "T4.compatible-kept",
                "/body/tool_choice",
                f"tool_choice {itc!r} is compatible here and must stay",
                itc,
                get(body, "tool_choice"),
            )
        return
    if is_pinned(itc):
        if tc != itc:
            yield c.violation(
                "T4.pinned-kept",
                "/body/tool_choice",
                "a pinned tool is kept (thinking is disabled instead)",
                itc,
                get(body, "tool_choice"),
            )
        elif thinking_type(body.get("thinking")) != "disabled":
            yield c.violation(
                "T4.pinned-disables-thinking",
                "/body/thinking/type",
                "a pinned tool disables thinking",
                "disabled",
                thinking_type(body.get("thinking")),
            )
    elif tc != "auto":
        yield c.violation(
            "T4.required-to-auto",
            "/body/tool_choice",
            f"tool_choice {itc!r} is incompatible with thinking and must become 'auto'",
            "auto",
            get(body, "tool_choice"),
        )


RULE = Rule(
    id="T4",
    title="tool_choice under thinking",
    section="t4",
    order=40,
    severity="critical",
    summary="under thinking only auto/none; required -> auto; a pinned tool disables thinking",
    test_name="test_t4_tool_choice",
    sources=(
        "doc:003 tool_choice",
        "oc",
        "wire 400s",
        "D2",
        "D4",
        # required under thinking is a 400 on every Kimi model but K3, a named tool choice under
        # thinking is a 400 ("tool_choice 'specified' is incompatible with thinking enabled")
        "field: UKGovernmentBEIS/inspect_ai#5152",
        "field: meridianlabs-ai/inspect_ai#382",
        "field: AstrBotDevs/AstrBot#7805",
    ),
    focus=("tool_choice",),
    checks=(_checks,),
    project=lambda out: pick(out["body"], ("thinking", "tool_choice")),
    reference_step="t4_tool_choice",
)
