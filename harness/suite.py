"""The conformance engine behind the suites: draw a case, run the target, hold it to the rule.

A suite module is a few lines (`conformance_test("T3")`); what a rule means lives in
`harness.contract`, what a target is in `harness.targets`. Known divergences are consulted
here: a listed divergence that matches the case and the failure is expected, anything else fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from harness.catalog import Catalog
from harness.contract import compare, properties
from harness.contract.case import context
from harness.contract.divergences import Divergences
from harness.errors import CaseError, TargetError, TargetUnavailable
from harness.targets import NotExpressible, Target, create


# ------------------------------------------------------------------------------- targets
def _registry(config) -> dict[str, Any]:
    if not hasattr(config, "_kimi_targets"):
        config._kimi_targets = {}
    return config._kimi_targets


def open_target(config, name: str) -> Target:
    """One instance per target for the whole session (workers start once)."""
    registry = _registry(config)
    if name not in registry:
        from harness.plugin import _catalog

        try:
            registry[name] = create(name, catalog=_catalog(config), timeout=config.getoption("target_timeout"))
        except TargetUnavailable as e:
            registry[name] = e
    found = registry[name]
    if isinstance(found, Exception):
        pytest.fail(f"target {name!r} is not available: {found}", pytrace=False)
    return found


def target_versions(config) -> dict[str, dict[str, str]]:
    return {name: t.versions() for name, t in _registry(config).items() if isinstance(t, Target)}


def close_targets(config) -> None:
    for target in _registry(config).values():
        if isinstance(target, Target):
            target.close()


def not_applicable_reason(config, target_name: str, rule: str, model: str | None) -> str | None:
    """Why `rule` cannot be checked on this target (and model), from its declared capabilities."""
    registry = _registry(config)
    target = registry.get(target_name)
    if target is None:
        try:
            target = open_target(config, target_name)
        except BaseException:  # reported by the first test that uses it
            return None
    caps = target.capabilities
    if not caps.supports(rule):
        return caps.why_not.get(rule, f"{target.name} cannot express rule {rule}")
    if model is not None and model in caps.models_not_applicable:
        return caps.models_not_applicable[model]
    return None


# ------------------------------------------------------------------------------- engine
@dataclass
class Outcome:
    """What one example produced, kept for the report's attachments."""

    rule: str
    target: str
    case: dict[str, Any]
    outbound: dict[str, Any] | None = None
    reference: dict[str, Any] | None = None
    diff: str | None = None
    divergence: str | None = None


@dataclass(repr=False)
class Conformance:
    catalog: Catalog
    last: Outcome | None = None
    expected_divergences: dict[str, int] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)  # divergence ids met by the running test

    def __post_init__(self):
        from harness.targets.reference import ReferenceTarget

        self.reference = ReferenceTarget(self.catalog)
        self._divergences: dict[str, Divergences] = {}
        self._spellings: dict[str, tuple[str, ...]] = {}

    def __repr__(self) -> str:  # Hypothesis prints fixtures in falsifying examples: keep it short
        return f"<Conformance catalog {self.catalog.version}>"

    def _repr_pretty_(self, printer, cycle) -> None:  # Hypothesis's pretty-printer asks for this
        printer.text(repr(self))

    def divergences(self, target: Target) -> Divergences:
        if target.name not in self._divergences:
            self._divergences[target.name] = Divergences.for_target(target.name)
        return self._divergences[target.name]

    def draw(self, data, target: Target, model: str, require=()) -> dict[str, Any]:
        from harness.generation.strategies import cases

        spellings = self._spellings.get(model)
        if spellings is None:
            spellings = self._spellings[model] = tuple(
                sorted(k for k, v in self.catalog.accepted_refs().items() if v == model and k != model))
        caps = target.capabilities
        return data.draw(cases(model, caps.features, require=tuple(require), spellings=spellings,
                               request_defaults=caps.request_defaults), label="case")

    def call(self, target: Target, case: dict[str, Any]) -> dict[str, Any]:
        try:
            return target.transform(case)
        except NotExpressible:
            reject()
        except CaseError as e:
            raise AssertionError(f"{target.name} rejected a valid case as invalid: {e}") from None
        except TargetError as e:
            raise AssertionError(f"{target.name} failed on this case: {e}") from None

    def run(self, rule: str, target: Target, model: str, data, require=()) -> None:
        case = self.draw(data, target, model, require)
        outcome = self.last = Outcome(rule, target.name, case)
        outcome.outbound = out = self.call(target, case)
        ctx = context(case, self.catalog)
        problem = None
        try:
            if rule == "idempotence":
                self._idempotence(target, case, out)
            else:
                properties.check(rule, case, ctx, out)
            if rule == "T6":  # "rewritten ids are deterministic": the same case, the same ids
                again = compare.id_sequence(self.call(target, case))
                if again != compare.id_sequence(out):
                    raise AssertionError(f"tool-call ids are not deterministic: {compare.id_sequence(out)} then {again}")
        except AssertionError as e:
            problem = f"{rule} property: {e}"
        if problem is None and target is not self.reference and rule != "idempotence":
            outcome.reference = want = self.reference.transform(case)
            outcome.diff = compare.agreement(rule, out, want)
            if outcome.diff:
                problem = f"{rule}: {target.name} disagrees with the reference; {outcome.diff}"
        if problem is None:
            return
        if outcome.diff is None and outcome.reference is None and target is not self.reference:
            outcome.reference = self.reference.transform(case)
            outcome.diff = compare.diff(outcome.reference, out)
        self.expect_divergence(target, rule, case, f"{problem}\n\ncase: {json.dumps(case, ensure_ascii=False)}\n"
                                                   f"outbound body: {json.dumps(out['body'], ensure_ascii=False)}")

    def expect_divergence(self, target: Target, rule: str, case: dict[str, Any], problem: str) -> None:
        """A failure is expected only if a listed divergence of this target matches it."""
        known = self.divergences(target).match(rule, case, problem)
        if known is None:
            raise AssertionError(problem)
        if self.last is not None:
            self.last.divergence = known.id
        self.expected_divergences[known.id] = self.expected_divergences.get(known.id, 0) + 1
        self.hits.append(known.id)

    def _idempotence(self, target: Target, case: dict[str, Any], out: dict[str, Any]) -> None:
        again = self.call(target, case)
        if compare.id_sequence(again) != compare.id_sequence(out) or again["body"] != out["body"]:
            raise AssertionError("not deterministic: the same case gave two different requests\n"
                                 + compare.diff(out["body"], again["body"], ("first", "second")))
        twice = self.call(target, {**case, "request": out["body"]})
        difference = compare.agreement("idempotence", twice, out)
        if difference:
            raise AssertionError("not idempotent: transforming the outbound body again changed it\n" + difference)


# What each rule's suite focuses generation on (see harness.generation.strategies.cases).
RULE_FOCUS: dict[str, tuple[str, ...]] = {
    "routing": ("ref_spelling", "provider"),
    "T1": ("sampling", "tool_choice"),
    "T2": ("configured_thinking",),
    "T3": ("keep",),
    "T4": ("tool_choice",),
    "T5": ("tool_history",),
    "T6": ("tool_history",),
    "T6b": ("extra_body",),
    "T7": ("compat", "provider", "developer_role"),
    "T8": ("stream",),
    "passthrough": (),
    "idempotence": (),
}


def conformance_test(rule: str, *, doc: str | None = None, method: bool = False):
    """A property test of `rule`, parametrized per target and per catalog model."""
    require = RULE_FOCUS[rule]

    if method:
        @pytest.mark.rule(rule)
        @given(data=st.data())
        def test(self, conformance: Conformance, target: Target, model: str, data) -> None:
            conformance.run(rule, target, model, data, require)
    else:
        @pytest.mark.rule(rule)
        @given(data=st.data())
        def test(conformance: Conformance, target: Target, model: str, data) -> None:
            conformance.run(rule, target, model, data, require)

    test.__doc__ = doc
    return test
