"""What a rule is: one object that everything else (suites, standard tests, capabilities,
matrix rows, report titles, divergence entries) derives from.

A rule's `checks` state what must hold on one outbound request, given the case and the
catalog, as `Violation`s; its `project` picks the fields it governs, keyed by JSON pointer, for
agreement with the reference. Rules that need the target again (determinism, idempotence) say
so with `rerun`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.contract.verdict import Violation

ABSENT = "<absent>"


@dataclass
class Check:
    """Everything a check may look at for one case (built once per judged request)."""

    rule: str
    case: dict[str, Any]
    ctx: Any  # harness.contract.case.Context
    out: dict[str, Any]  # the target's outbound request
    intended: dict[str, Any]  # the body the caller intends (request + params + extra body)
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # the target, for reruns
    # what the target can express on this model (None: unknown, everything): a rerun feeds it only that
    features: frozenset[str] | None = None

    @property
    def body(self) -> dict[str, Any]:
        return self.out["body"]

    def violation(self, check: str, path: str, message: str, expected: Any = None, actual: Any = ABSENT) -> Violation:
        return Violation(self.rule, check, path, expected, actual, message)


CheckFn = Callable[[Check], Iterable[Violation]]
Projection = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    section: str  # anchor in docs/contract.md
    summary: str  # one sentence: what must hold on the wire
    test_name: str  # the standard test (suites/, ConformanceSuite)
    order: int  # position in the registry (suites, matrix rows, reports)
    sources: tuple[str, ...] = ()  # [doc] / [oc] / [wire] facts it rests on
    focus: tuple[str, ...] = ()  # what generation concentrates on (harness.generation)
    checks: tuple[CheckFn, ...] = ()
    project: Projection | None = None  # governed fields by JSON pointer, for agreement
    agree: Callable[[dict[str, Any], dict[str, Any], str], list[Violation]] | None = None
    severity: str = "normal"
    kind: str = "transform"  # transform: case -> request; usage: T9; errors: bad cases
    reference_step: str | None = None  # module of harness.reference implementing it
    # Cases of their own (web search): (catalog Model, features) -> a strategy, or None where the
    # rule does not apply to that model (reported not applicable); default: harness.generation.
    strategy: Callable[[Any, frozenset[str]], Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def not_applicable(self, model) -> str | None:
        """Why this rule does not apply to a catalog model (None: it does)."""
        if self.strategy is not None and self.strategy(model, frozenset()) is None:
            return f"{self.id} ({self.title}) does not apply to {model.ref}: see {self.read}"
        return None

    @property
    def link(self) -> str:
        """Its section of the contract in a checkout (docs pages link here)."""
        return f"docs/contract.md#{self.section}"

    @property
    def read(self) -> str:
        """How to read its section from an install (what messages and reports say)."""
        return f"`kimi-conformance contract {self.id}`"

    def violations(self, check: Check) -> Iterator[Violation]:
        for fn in self.checks:
            yield from fn(check)
