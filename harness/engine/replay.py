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
    from harness.catalog import builtin
    from harness.rules.judge import judge, usage_verdict
    from harness.targets.reference import ReferenceTarget

    catalog = catalog or builtin()
    reference = reference or ReferenceTarget(catalog)
    found: list[Violation] = []
    out = None
    for rule in rule_ids:
        if rule == "T9":
            found += usage_verdict(
                target.usage(case["model"], case["chunks"]), reference.usage(case["model"], case["chunks"])
            ).violations
            continue
        out = out or target.transform(case)
        ref = None if isinstance(target, ReferenceTarget) else reference.transform
        found += judge(rule, case, out, catalog=catalog, reference=ref, transform=target.transform).violations
    return found


@dataclass
class Replay:
    entry: Divergence
    found: list[Violation]
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def still_diverges(self) -> bool:
        return any(self.entry.covers(v, self.entry.case) for v in self.found)


def replay(
    entry: Divergence, target: Target, catalog: Catalog | None = None, entries: Divergences | None = None
) -> Replay:
    """Run the entry's minimal case on `target` under every rule the entry names that the target
    can be checked under (a shared entry may name a rule one of its targets does not support)."""
    rules = sorted(r for r in entry.rules if target.capabilities.supports(r))
    found = violations(rules, target, entry.case, catalog)
    entries = entries or Divergences.for_target(target.name)
    return Replay(entry, found, entries.cover(found, entry.case))
