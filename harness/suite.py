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
        verdict = judge(rule, target, case, out, self.reference, self.catalog, transform=lambda c: self.call(target, c))
        outcome.reference, outcome.diff = verdict.reference, verdict.diff
        if verdict.problem is None:
            return
        self.expect_divergence(target, rule, case, f"{verdict.problem}\n\ncase: {json.dumps(case, ensure_ascii=False)}\n"
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


@dataclass
class Verdict:
    problem: str | None  # None: the target conforms on this case
    reference: dict[str, Any] | None = None
    diff: str | None = None


def judge(rule: str, target: Target, case: dict[str, Any], out: dict[str, Any], reference: Target,
          catalog: Catalog, transform=None) -> Verdict:
    """Hold one outbound request to one rule: the rule's properties (plus determinism for T6 and
    idempotence), then agreement with the reference. The engine and the divergence replays both
    judge through here, so a recorded failure text is exactly what a suite produces."""
    transform = transform or target.transform
    try:
        if rule == "idempotence":
            _idempotence(transform, case, out)
        else:
            properties.check(rule, case, context(case, catalog), out)
        if rule == "T6":  # "rewritten ids are deterministic": the same case, the same ids
            again = compare.id_sequence(transform(case))
            if again != compare.id_sequence(out):
                raise AssertionError(f"tool-call ids are not deterministic: {compare.id_sequence(out)} then {again}")
    except AssertionError as e:
        want = None if target is reference else reference.transform(case)
        return Verdict(f"{rule} property: {e}", want, None if want is None else compare.diff(want, out))
    if target is reference or rule == "idempotence":
        return Verdict(None)
    want = reference.transform(case)
    difference = compare.agreement(rule, out, want)
    problem = f"{rule}: {target.name} disagrees with the reference; {difference}" if difference else None
    return Verdict(problem, want, difference)


def _idempotence(transform, case: dict[str, Any], out: dict[str, Any]) -> None:
    again = transform(case)
    if compare.id_sequence(again) != compare.id_sequence(out) or again["body"] != out["body"]:
        raise AssertionError("not deterministic: the same case gave two different requests\n"
                             + compare.diff(out["body"], again["body"], ("first", "second")))
    twice = transform({**case, "request": out["body"]})
    difference = compare.agreement("idempotence", twice, out)
    if difference:
        raise AssertionError("not idempotent: transforming the outbound body again changed it\n" + difference)


USAGE_FIELDS = ("input", "output", "cacheRead")


def usage_problem(target: Target, reference: Target, model: str, chunks: list) -> str | None:
    """T9: the target's token buckets, then its total cost, against the reference's reading."""
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
