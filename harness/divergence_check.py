"""Replaying known divergences: does a listed divergence still diverge?

`problem(rule, target, case)` holds one case to one rule exactly as the engine does
(harness.suite.Conformance.run: the rule's properties, then agreement with the reference) and
returns the failure text, or None when the target conforms. `replay(entry, target)` runs an
entry's minimal case and says whether the failure is still the recorded one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.catalog import Catalog
from harness.contract.divergences import Divergence
from harness.targets.base import Target


def problem(rule: str, target: Target, case: dict[str, Any], catalog: Catalog | None = None,
            reference: Target | None = None) -> str | None:
    """The failure text the engine would produce for `case` under `rule`, or None."""
    from harness.catalog import builtin
    from harness.suite import judge, usage_problem
    from harness.targets.reference import ReferenceTarget

    catalog = catalog or builtin()
    reference = reference or ReferenceTarget(catalog)
    if type(target) is type(reference):
        reference = target  # the reference replaying itself: properties only
    if rule == "T9":
        return usage_problem(target, reference, case["model"], case["chunks"])
    return judge(rule, target, case, target.transform(case), reference, catalog).problem


@dataclass
class Replay:
    entry: Divergence
    failure: str | None  # None: the rule holds now

    @property
    def still_diverges(self) -> bool:
        return self.failure is not None and self.entry.matches(self.entry.rule, self.entry.case, self.failure)


def replay(entry: Divergence, target: Target, catalog: Catalog | None = None) -> Replay:
    """Run the entry's minimal case on `target` under the entry's rule."""
    return Replay(entry, problem(entry.rule, target, entry.case, catalog))
