"""Replaying known divergences: does an entry still diverge, and is its case fully explained?

`violations(rules, target, case)` judges a case under several rules exactly as the engine does;
`replay(entry, target)` runs an entry's minimal case under every rule the entry names and says
whether the entry still covers something, and which violations of that case no entry covers
or more than one entry covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.catalog import Catalog
from harness.contract.verdict import Violation
from harness.divergences.model import Coverage, Divergence, Divergences
from harness.targets.base import Target


def violations(
    rule_ids, target: Target, case: dict[str, Any], catalog: Catalog | None = None, reference: Target | None = None
) -> list[Violation]:
    return judged(rule_ids, target, case, catalog, reference)[0]


def judged(
    rule_ids, target: Target, case: dict[str, Any], catalog: Catalog | None = None, reference: Target | None = None
) -> tuple[list[Violation], dict[str, Any]]:
    """The violations, and what the target sent (its request; under T9 also `usage`, its reading
    of the stream): where an entry's `sends` pins are read."""
    from harness.catalog import builtin
    from harness.rules.judge import judge, usage_verdict
    from harness.targets.reference import ReferenceTarget

    catalog = catalog or builtin()
    reference = reference or ReferenceTarget(catalog)
    found: list[Violation] = []
    out = None
    sent: dict[str, Any] = {}
    for rule in rule_ids:
        if rule == "errors":  # a malformed case: rejected, else what went wrong (harness.rules.errors)
            from harness.rules.errors import violations as bad_case_violations
            from harness.targets import NotExpressible

            captured: dict[str, Any] = {}  # what it would send, where its pins are read

            def send(c: dict[str, Any], captured: dict[str, Any] = captured) -> dict[str, Any]:
                captured.update(target.transform(c))
                return captured

            found += bad_case_violations(case, send, refusals=(NotExpressible,))
            out = out or captured or None
            continue
        if rule == "T9":
            got = target.usage(case["model"], case["chunks"])
            sent["usage"] = got
            found += usage_verdict(got, reference.usage(case["model"], case["chunks"])).violations
            continue
        out = out or target.transform(case)
        ref = None if isinstance(target, ReferenceTarget) else reference.transform
        features = _features(target, case, catalog)  # as the engine reruns it: only what the target can take
        found += judge(
            rule, case, out, catalog=catalog, reference=ref, transform=target.transform, features=features
        ).violations
    return found, {**(out or {}), **sent}


def _features(target: Target, case: dict[str, Any], catalog: Catalog) -> frozenset[str] | None:
    from harness.contract.case import context
    from harness.errors import CaseError

    try:
        return frozenset(target.capabilities.features_for(context(case, catalog).model.ref))
    except CaseError:
        return None


@dataclass
class Replay:
    entry: Divergence
    found: list[Violation]
    coverage: Coverage = field(default_factory=Coverage)
    sent: dict[str, Any] = field(default_factory=dict)  # what the target sent (its pins are read there)

    @property
    def still_diverges(self) -> bool:
        return any(self.entry.covers(v, self.entry.case) for v in self.found)


def replay(
    entry: Divergence, target: Target, catalog: Catalog | None = None, entries: Divergences | None = None
) -> Replay:
    """Run the entry's minimal case on `target` under every rule the entry names that the target
    can be checked under (a shared entry may name a rule one of its targets does not support)."""
    rules = sorted(r for r in entry.rules if target.capabilities.supports(r))
    found, sent = judged(rules, target, entry.case, catalog)
    entries = entries or Divergences.for_target(target.name)
    return Replay(entry, found, entries.cover(found, entry.case, sent), sent)
