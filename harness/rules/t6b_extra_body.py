"""T6b Extra body: a configured extra_body cannot smuggle a rule violation out — T1–T5 and
pass-through hold on the final body. Its violations keep the inner rule's check id."""

from __future__ import annotations

from dataclasses import replace

from harness.rules._rule import Check, Rule

INNER = ("T1", "T2", "T3", "T4", "T5", "passthrough")


def _checks(c: Check):
    from harness import rules

    for rule_id in INNER:
        for v in rules.get(rule_id).violations(c):
            yield replace(v, rule="T6b")


def _project(out):
    from harness import rules

    merged = {}
    for rule_id in ("T1", "T2", "T5"):
        merged.update(rules.get(rule_id).project(out))
    return merged


RULE = Rule(
    id="T6b",
    title="extra body",
    section="t6b",
    order=65,
    summary="a configured extra_body cannot smuggle a rule violation out",
    test_name="test_t6b_extra_body",
    sources=("oc", "wire"),
    focus=("extra_body",),
    checks=(_checks,),
    project=_project,
    reference_step="t6b_extra_body",
)
