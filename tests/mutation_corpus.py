"""A fixed corpus for the mutation tests: every rule's committed seeds plus cases drawn once,
derandomized, per (rule, model) with the rule's own generation focus — the same judge the
suites use, without a Hypothesis search and a pytest process per mutant."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import Phase

from harness import rules
from harness.catalog import builtin
from harness.corpus import seed_cases
from harness.generation.sample import examples
from harness.generation.strategies import cases

PER_MODEL = 8


@cache
def fixed_cases(rule_id: str) -> tuple[dict[str, Any], ...]:
    rule = rules.get(rule_id)
    catalog = builtin()
    found: list[dict[str, Any]] = []
    for model in [m.ref for m in catalog.models(include_retired=True)]:
        found.extend(case for _, case in seed_cases(rule_id, model, catalog))

        found.extend(examples(cases(model, require=rule.focus), PER_MODEL, phases=(Phase.explicit, Phase.generate)))
    return tuple(found)
