"""Holding one outbound request to one rule: the rule's checks, then agreement with the
reference on the fields the rule governs. The engine, divergence replays and the CLI all judge
through here, so a recorded verdict is exactly what a suite produces.

Agreement is reported only where no property already names the same place: a property
violation and the reference's different value at that path are one cause, not two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.contract.case import context
from harness.contract.intended import intended_body
from harness.contract.verdict import Verdict, Violation
from harness.rules import ABSENT, Check, Rule, get

USAGE_FIELDS = ("input", "output", "cacheRead")


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def agreement(rule: Rule, got: dict[str, Any], want: dict[str, Any]) -> list[Violation]:
    """Where the target differs from the reference on what `rule` governs (JSON pointers)."""
    if rule.agree is not None:
        return rule.agree(got, want, rule.id)
    if rule.project is None:
        return []
    a, b = rule.project(got), rule.project(want)
    return [
        Violation(
            rule.id,
            f"{rule.id}.agreement",
            path,
            b.get(path, ABSENT),
            a.get(path, ABSENT),
            "differs from the reference",
        )
        for path in sorted(set(a) | set(b))
        if a.get(path, ABSENT) != b.get(path, ABSENT)
    ]


def judge(
    rule_id: str,
    case: dict[str, Any],
    out: dict[str, Any],
    *,
    catalog=None,
    reference: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    features: frozenset[str] | None = None,
) -> Verdict:
    """Every violation of `rule_id` by `out` (the target's request for `case`).

    reference: the reference transform, for agreement (None: properties only, as when the
    reference judges itself); transform: the target again, for rules that rerun it; features:
    what the target can express on the case's model (a rerun feeds it nothing else).
    """
    rule = get(rule_id)
    ctx = context(case, catalog)
    check = Check(rule.id, case, ctx, out, intended_body(case, ctx), transform, features)
    violations = list(rule.violations(check))
    verdict = Verdict(rule.id, violations)
    if reference is None or rule.extra.get("agreement") is False:
        return verdict
    want = verdict.reference = reference(case)
    for v in agreement(rule, out, want):
        if not any(_overlaps(v.path, p.path) for p in violations):
            verdict.violations.append(v)
    if verdict.violations:
        from harness.contract.diff import diff

        verdict.diff = diff(want, out)
    return verdict


def usage_verdict(got: dict[str, Any] | None, want: dict[str, Any] | None) -> Verdict:
    """T9: a target's reading of a usage stream against the reference's."""
    verdict = Verdict("T9")
    add = verdict.violations.append
    if want is None:
        if got is not None and any(got.get(k) for k in USAGE_FIELDS):
            add(
                Violation(
                    "T9",
                    "T9.invented-usage",
                    "/usage",
                    None,
                    {k: got.get(k) for k in USAGE_FIELDS},
                    "no usage was sent, the target reports some",
                )
            )
        return verdict
    if got is None:
        add(
            Violation(
                "T9",
                "T9.usage-missing",
                "/usage",
                {k: want[k] for k in USAGE_FIELDS},
                ABSENT,
                "the target found no usage in a stream that has it",
            )
        )
        return verdict
    for k in USAGE_FIELDS:
        if got.get(k) != want[k]:
            add(Violation("T9", "T9.tokens", f"/usage/{k}", want[k], got.get(k), f"token bucket {k} differs"))
    if not verdict.violations and abs(got["cost"]["total"] - want["cost"]["total"]) > 1e-9:
        add(
            Violation(
                "T9",
                "T9.cost",
                "/usage/cost/total",
                want["cost"]["total"],
                got["cost"]["total"],
                "the cost differs from the catalog's prices",
            )
        )
    return verdict
