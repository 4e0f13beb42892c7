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
from harness.contract import compare, properties
from harness.contract.case import context
from harness.contract.divergences import Divergence
from harness.targets.base import Target


def problem(rule: str, target: Target, case: dict[str, Any], catalog: Catalog | None = None,
            reference: Target | None = None) -> str | None:
    """The failure text the engine would produce for `case` under `rule`, or None."""
    from harness.targets.reference import ReferenceTarget

    reference = reference or ReferenceTarget(catalog)
    if rule == "T9":
        return usage_problem(target, reference, case["model"], case["chunks"])
    out = target.transform(case)
    ctx = context(case, catalog)
    try:
        if rule == "idempotence":
            again = target.transform(case)
            if compare.id_sequence(again) != compare.id_sequence(out) or again["body"] != out["body"]:
                return "idempotence property: not deterministic\n" + compare.diff(out["body"], again["body"], ("first", "second"))
            difference = compare.agreement("idempotence", target.transform({**case, "request": out["body"]}), out)
            return f"idempotence property: not idempotent\n{difference}" if difference else None
        properties.check(rule, case, ctx, out)
        if rule == "T6":
            again = compare.id_sequence(target.transform(case))
            if again != compare.id_sequence(out):
                raise AssertionError(f"tool-call ids are not deterministic: {compare.id_sequence(out)} then {again}")
    except AssertionError as e:
        return f"{rule} property: {e}"
    if target.name == getattr(reference, "name", None) and type(target) is type(reference):
        return None
    difference = compare.agreement(rule, out, reference.transform(case))
    return f"{rule}: {target.name} disagrees with the reference; {difference}" if difference else None


USAGE_FIELDS = ("input", "output", "cacheRead")


def usage_problem(target: Target, reference: Target, model: str, chunks: list) -> str | None:
    """T9 as suites/test_t9_usage.py states it: token buckets, then the total cost."""
    got, want = target.usage(model, chunks), reference.usage(model, chunks)
    if want is None:
        if got is not None and any(got.get(k) for k in USAGE_FIELDS):
            return f"T9: no usage was sent, {target.name} reports {got}"
        return None
    if got is None:
        return f"T9: {target.name} found no usage in a stream that has it"
    mine, theirs = {k: got.get(k) for k in USAGE_FIELDS}, {k: want[k] for k in USAGE_FIELDS}
    if mine != theirs:
        return f"T9: token buckets differ: target {mine}, reference {theirs}"
    if abs(got["cost"]["total"] - want["cost"]["total"]) > 1e-9:
        return f"T9: cost differs: target {got['cost']['total']}, reference {want['cost']['total']}"
    return None


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
