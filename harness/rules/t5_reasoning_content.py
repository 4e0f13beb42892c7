"""T5 reasoning_content in history: with thinking on, assistant tool-call messages carry one."""

from __future__ import annotations

from harness.contract.thinking import effective
from harness.contract.verdict import pointer
from harness.rules._common import messages
from harness.rules._rule import ABSENT, Check, Rule


def _checks(c: Check):
    enabled = effective(c.ctx.thinking_mode, c.body, c.ctx.model.thinking.get("default")) == "enabled"
    before, after = messages(c.intended), messages(c.body)
    if len(before) != len(after):
        yield c.violation(
            "T5.message-count", "/body/messages", "the number of messages changed", len(before), len(after)
        )
        return
    for i, (b, a) in enumerate(zip(before, after)):
        if a.get("role") != "assistant":
            continue
        path = pointer("body", "messages", i, "reasoning_content")
        got = a.get("reasoning_content", ABSENT)
        if b.get("reasoning_content") is not None and got != b["reasoning_content"]:
            yield c.violation(
                "T5.changed", path, "reasoning_content of history must not change", b["reasoning_content"], got
            )
        elif enabled and a.get("tool_calls") and not isinstance(a.get("reasoning_content"), str):
            yield c.violation(
                "T5.missing",
                path,
                f"thinking is enabled: assistant tool-call message at index {i} needs reasoning_content",
                "",
                got,
            )
        elif not enabled and b.get("reasoning_content") is None and a.get("reasoning_content") is not None:
            yield c.violation(
                "T5.added", path, "thinking is not enabled: history must not gain reasoning_content", ABSENT, got
            )


def _project(out):
    return {
        pointer("body", "messages", i, "reasoning_content"): ABSENT
        if m.get("reasoning_content") is None
        else m["reasoning_content"]
        for i, m in enumerate(messages(out["body"]))
    }


RULE = Rule(
    id="T5",
    title="reasoning_content in history",
    section="t5",
    order=50,
    severity="critical",
    summary="assistant tool-call messages carry reasoning_content when thinking is on",
    test_name="test_t5_reasoning_content",
    sources=("oc", "wire 400", "D2", "D4"),
    focus=("tool_history",),
    checks=(_checks,),
    project=_project,
    reference_step="t5_reasoning_content",
)
