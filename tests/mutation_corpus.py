"""A fixed corpus for the mutation tests: every rule's committed seeds plus cases drawn once,
derandomized, per (rule, model) with the rule's own generation focus — the same judge the
suites use, without a Hypothesis search and a pytest process per mutant."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from hypothesis import Phase

from harness import rules
from harness.catalog import builtin
from harness.corpus import seed_cases
from harness.generation.sample import examples
from harness.generation.strategies import cases

PER_MODEL = 8


def fixed_cases(rule_id: str) -> Iterator[dict[str, Any]]:
    """The corpus in its fixed order, model by model, drawn as it is read: a mutant is caught within
    its first few cases, so the models after its catch are never drawn (drawing them all cost each
    rule ~1-2 s); each model's share is drawn once per process."""
    for model in [m.ref for m in builtin().models(include_retired=True)]:
        yield from _model_cases(rule_id, model)


@cache
def _model_cases(rule_id: str, model: str) -> tuple[dict[str, Any], ...]:
    rule = rules.get(rule_id)
    seeds = [case for _, case in seed_cases(rule_id, model, builtin())]
    drawn = examples(cases(model, require=rule.focus), PER_MODEL, phases=(Phase.explicit, Phase.generate))
    return (*seeds, *drawn)
