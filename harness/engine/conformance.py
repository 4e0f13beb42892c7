"""The conformance engine behind the suites: replay known cases, draw new ones, run the target,
judge, and hold every violation to the target's known divergences.

Order inside one (rule, target, model) test: first the seeds — the committed corpus of edge
cases, every divergence's minimal case, and the minimal case of any cause this session already
found on another model — then Hypothesis's search. A cause found by search is shrunk once; later
models replay its minimal case instead of searching and shrinking again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import reject
from hypothesis.errors import UnsatisfiedAssumption

from harness.catalog import Catalog
from harness.contract.features import ALL_FEATURES
from harness.contract.verdict import Verdict, Violation
from harness.divergences.model import CHANGED, Coverage, Divergences
from harness.engine.coverage import MOSTLY, ContractCoverage
from harness.errors import CaseError, TargetError
from harness.rules.judge import judge, usage_verdict
from harness.targets import NotExpressible, Target


class ConformanceFailure(AssertionError):
    """A case whose violations no known divergence covers. The structured part (`verdict`,
    `uncovered`, `root_causes`, `case`) is what reports and summaries read; str() is for people:
    each violation with its check id, place, expected and actual value and what to do, the
    contract section, the case and where it came from, and the outbound body."""

    def __init__(
        self,
        rule: str,
        target: str,
        model: str,
        case: dict[str, Any],
        verdict: Verdict,
        uncovered: list[Violation],
        outbound: dict[str, Any] | None,
        origin: str = "search",
        root_causes: list[Violation] | None = None,
    ):
        self.rule, self.target, self.model, self.case = rule, target, model, case
        self.verdict, self.uncovered, self.outbound, self.origin = verdict, uncovered, outbound, origin
        self.root_causes = list(root_causes or [])
        super().__init__(self.text())

    @property
    def cause(self) -> tuple[str, str]:
        return self.uncovered[0].cause

    def text(self) -> str:
        from harness import rules

        n = len(self.uncovered)
        lines = [f"{self.rule} on {self.model} ({self.target}): {n} violation(s) no known divergence covers"]
        changed = [getattr(v, "divergence", "") for v in self.uncovered if v.check == CHANGED]
        if changed:  # covered by structure, but the target now sends something else there
            lines[0] += f" (changed divergence: {', '.join(sorted(set(changed)))})"
        if self.root_causes:
            lines.append("  first, what the rest may follow from:")
            lines += _described(self.root_causes)
            lines.append("  then:")
        lines += _described(self.uncovered)
        try:
            rule = rules.get(self.rule)
            lines.append(f"  contract: {rule.title}, `kimi-conformance contract {rule.id}` ({rule.link})")
        except KeyError:
            pass
        origin = "drawn by Hypothesis" if self.origin == "search" else self.origin
        lines.append(f"case ({origin}): {json.dumps(self.case, ensure_ascii=False)}")
        if self.outbound is not None:
            lines.append(f"outbound body: {json.dumps(self.outbound.get('body'), ensure_ascii=False)}")
        return "\n".join(lines)


class TargetCrash(AssertionError):
    """The target failed on a case instead of answering it: it crashed, timed out, lost its process
    or rejected a valid case. There is no request to judge; str() is what it said and the case."""

    def __init__(self, rule: str, target: str, model: str, case: dict[str, Any], error: str, origin: str = "search"):
        self.rule, self.target, self.model, self.case, self.error, self.origin = (
            rule,
            target,
            model,
            case,
            error,
            origin,
        )
        super().__init__(self.text())

    def text(self) -> str:
        origin = "drawn by Hypothesis" if self.origin == "search" else self.origin
        case = json.dumps(self.case, ensure_ascii=False)
        return f"{self.rule} on {self.model} ({self.target}): {self.error}\ncase ({origin}): {case}"


def failures_in(error: BaseException | None) -> list[ConformanceFailure | TargetCrash]:
    """The conformance failures an error is, or holds (Hypothesis groups distinct failures of one
    test); [] when any part of it is something else (a bug of the harness shows as it is)."""
    if isinstance(error, (ConformanceFailure, TargetCrash)):
        return [error]
    if isinstance(error, BaseExceptionGroup):
        found = [f for e in error.exceptions for f in failures_in(e)]
        return found if len(found) == len(error.exceptions) else []
    return []


def _described(violations: list[Violation]) -> list[str]:
    """Each violation as people read it: check, place, values, message, and what to do."""
    from harness import rules

    lines = []
    for v in violations:
        lines.append(f"  [{v.check}] {v.path or '/'}: expected {v.expected!r}, got {v.actual!r}")
        lines.append(f"      {v.message}")
        todo = rules.advice(v.check)
        if todo:
            lines.append(f"      what to do: {todo}")
    return lines


@dataclass
class Outcome:
    """What one example produced, kept for the report's attachments and the summary."""

    rule: str
    target: str
    case: dict[str, Any]
    outbound: dict[str, Any] | None = None
    verdict: Verdict | None = None
    coverage: Coverage | None = None
    origin: str = "search"

    @property
    def divergences(self) -> list[str]:
        return self.coverage.ids if self.coverage else []

    @property
    def reference(self) -> dict[str, Any] | None:
        return self.verdict.reference if self.verdict else None

    @property
    def diff(self) -> str | None:
        return self.verdict.diff if self.verdict else None

    @property
    def uncovered(self) -> list[Violation]:
        if self.coverage is not None:
            return self.coverage.uncovered
        return self.verdict.violations if self.verdict else []


@dataclass
class TestVerdict:
    """One test's verdict, the only one: the engine writes it as the test's examples run, the
    pytest plugin keeps it on the test item (`item.stash`), and results files, summaries and
    reports read it from there. Nothing downstream parses a message.

    `divergences`: the known divergences its examples met; `outcome`: the last example judged
    (case, outbound request, reference, diff: the report's attachments); for a failing test, the
    `violations` no divergence covers, their `cause` (check id) and the `minimal_case`."""

    divergences: set[str] = field(default_factory=set)
    outcome: Outcome | None = None
    violations: list[Violation] = field(default_factory=list)
    cause: str | None = None
    minimal_case: dict[str, Any] | None = None
    # Examples Hypothesis tried, and those discarded (why -> count): a test whose examples were
    # mostly discarded judged too little to pass; it is reported "not exercised" (`not_exercised`).
    examples: int = 0
    discarded: dict[str, int] = field(default_factory=dict)
    not_exercised: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "divergences": sorted(self.divergences),
            "violations": [v.to_json() for v in self.violations],
            "cause": self.cause,
            "minimal_case": self.minimal_case,
            "not_exercised": self.not_exercised,
        }

    def discard(self, why: str) -> None:
        self.discarded[why] = self.discarded.get(why, 0) + 1

    def judge_exercise(self) -> None:
        """After a test that raised nothing: more than MOSTLY of its examples discarded (the
        coverage gate's threshold, harness.engine.coverage) -> not exercised, with the rate."""
        n = sum(self.discarded.values())
        if self.examples and n > MOSTLY * self.examples:
            top = sorted(self.discarded.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            self.not_exercised = {
                "discarded": n,
                "examples": self.examples,
                "rate": round(n / self.examples, 3),
                "reasons": dict(top),
            }

    @property
    def not_exercised_reason(self) -> str:
        """The skip reason people read (the data is `not_exercised`)."""
        ne = self.not_exercised or {}
        why = "; ".join(f"{k} ({v})" for k, v in (ne.get("reasons") or {}).items())
        return f"not exercised: {ne.get('discarded')} of {ne.get('examples')} examples discarded ({why})"


@dataclass(repr=False)
class Conformance:
    """The engine of a session: its caches (divergence files, seeds replayed, causes found) live
    as long as the session; each test's findings go into that test's `TestVerdict`
    (`start_test` ... `end_test`, called by the pytest plugin around every test using it)."""

    catalog: Catalog
    verdict: TestVerdict = field(default_factory=TestVerdict)  # the running test's
    # the user's own divergence files by target name ("*": every target), read when first needed
    user_divergences: dict[str, list[Any]] = field(default_factory=dict)
    # (target, rule) -> minimal cases of causes found this session (replayed on the other models)
    found: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from harness.targets.reference import ReferenceTarget

        self.reference = ReferenceTarget(self.catalog)
        self._divergences: dict[str, Divergences] = {}
        self._seeded: dict[tuple[str, str, str], ConformanceFailure | None] = {}
        self._lock: dict[tuple[str, str, str], tuple[str, str]] = {}
        # what the session exercised (harness.engine.coverage): counted in memory, written at the end
        self.coverage = ContractCoverage()

    def __repr__(self) -> str:  # Hypothesis prints fixtures in falsifying examples: keep it short
        return f"<Conformance catalog {self.catalog.version}>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    def start_test(self) -> TestVerdict:
        """A new test begins: a fresh verdict for its examples to write into."""
        self.verdict = TestVerdict()
        return self.verdict

    def end_test(self, error: BaseException | None) -> TestVerdict:
        """The test ended (with `error` if it raised): a conformance failure becomes the verdict's
        violations and minimal case, and that case seeds the same rule on the other models."""
        verdict = self.verdict
        if error is None:
            verdict.judge_exercise()
        judged = [f for f in failures_in(error) if isinstance(f, ConformanceFailure)]
        error = judged[0] if judged else error  # of a group of distinct failures, the first judged one
        if isinstance(error, ConformanceFailure):
            verdict.violations = list(error.uncovered)
            verdict.cause = error.cause[1]
            verdict.minimal_case = error.case
            last = verdict.outcome
            if last is not None and last.case == error.case:
                self.remember(last)
        return verdict

    def divergences(self, target: Target) -> Divergences:
        if target.name not in self._divergences:
            files = [*self.user_divergences.get("*", ()), *self.user_divergences.get(target.name, ())]
            self._divergences[target.name] = Divergences.for_target(target.name, files)
        return self._divergences[target.name]

    # ------------------------------------------------------------------ one case
    def call(self, target: Target, case: dict[str, Any]) -> dict[str, Any]:
        __tracebackhide__ = True  # pytest: the verdict speaks, not the engine's frames
        try:
            return target.transform(case)
        except CaseError as e:
            raise AssertionError(f"{target.name} rejected a valid case as invalid: {e}") from None
        except TargetError as e:
            raise AssertionError(f"{target.name} failed on this case: {e}") from None

    def check(self, rule: str, target: Target, case: dict[str, Any], origin: str = "search") -> Outcome:
        """Judge one case; the outcome says which violations are covered and which are not."""
        outcome = self.verdict.outcome = Outcome(rule, target.name, case, origin=origin)
        try:
            out = outcome.outbound = self.call(target, case)
        except AssertionError as e:  # no request to judge: what the target said, the case, a Reproduce line
            raise TargetCrash(rule, target.name, str(case.get("model")), case, str(e), origin) from None
        reference = None if target.name == "reference" else self.reference.transform
        from harness.contract.case import context

        model = context(case, self.catalog, validated=True).model.ref  # cached: the call just resolved it
        outcome.verdict = judge(
            rule,
            case,
            out,
            catalog=self.catalog,
            reference=reference,
            transform=lambda c: self.call(target, c),
            features=frozenset(target.capabilities.features_for(model)),
        )
        # with what went out: a covering entry's pinned values are checked (a changed divergence fails)
        outcome.coverage = self.divergences(target).cover(outcome.verdict.violations, case, out)
        self.verdict.divergences.update(outcome.coverage.ids)
        self._count(rule, target, case, out, outcome.verdict, origin)
        return outcome

    def _count(self, rule: str, target: Target, case: dict[str, Any], out, verdict: Verdict, origin: str) -> None:
        from harness.contract.case import context

        ctx = context(case, self.catalog, validated=True)  # cached: judge just resolved it
        violated = [v.check for v in verdict.violations]
        self.coverage.judged(rule, target, ctx.model.ref, case, ctx, out, violated, origin)

    def _failure(self, outcome: Outcome, model: str) -> ConformanceFailure:
        from harness.rules.diagnosis import dropped_inputs

        assert outcome.verdict is not None and outcome.coverage is not None
        # root cause before symptom: configured inputs that never reached the body, unless a
        # known divergence of this target already explains them
        dropped = dropped_inputs(outcome.case, outcome.outbound, outcome.reference)
        known = self._divergences.get(outcome.target)
        if dropped and known is not None:
            dropped = known.cover(dropped, outcome.case).uncovered
        return ConformanceFailure(
            outcome.rule,
            outcome.target,
            model,
            outcome.case,
            outcome.verdict,
            outcome.coverage.uncovered,
            outcome.outbound,
            outcome.origin,
            [v for v in dropped if v not in outcome.coverage.uncovered],
        )

    # ------------------------------------------------------------------ seeds, then search
    def seeds(self, rule: str, target: Target, model: str) -> list[tuple[str, dict[str, Any]]]:
        from harness import rules
        from harness.corpus import seed_cases
        from harness.generation.features import case_features

        found = [
            (f"the minimal case of a cause found on {c['model']}", c) for c in self.found.get((target.name, rule), [])
        ]
        caps = target.capabilities
        seeds = []
        # A rule with cases of its own (web search) shapes them per model (thinking per model):
        # its seeds replay only on the model they were found on, never adapted to another.
        same_model_only = rules.get(rule).strategy is not None
        for why, case in seed_cases(rule, model, self.catalog, extra=found, adapt_models=not same_model_only):
            if case_features(case, caps.request_defaults) <= caps.features_for(model):
                case["request"].update(caps.request_defaults)
                seeds.append((why, case))
        return seeds

    def replay_seeds(self, rule: str, target: Target, model: str) -> ConformanceFailure | None:
        for origin, case in self.seeds(rule, target, model):
            try:
                outcome = self.check(rule, target, case, origin=origin)
            except NotExpressible:
                continue
            if outcome.coverage and outcome.coverage.uncovered:
                return self._failure(outcome, model)
        return None

    def run(self, rule: str, target: Target, model: str, data, require=()) -> None:
        __tracebackhide__ = True  # pytest: the verdict speaks, not the engine's frames
        key = (rule, target.name, model)
        if key not in self._seeded:
            self._seeded[key] = self.replay_seeds(rule, target, model)
        seeded = self._seeded[key]
        if seeded is not None:  # raised before any draw: Hypothesis has nothing to shrink
            self.verdict.outcome = Outcome(
                rule, target.name, seeded.case, seeded.outbound, seeded.verdict, None, seeded.origin
            )
            raise ConformanceFailure(
                seeded.rule,
                seeded.target,
                model,
                seeded.case,
                seeded.verdict,
                seeded.uncovered,
                seeded.outbound,
                seeded.origin,
                seeded.root_causes,
            )
        self.verdict.examples += 1
        try:
            case = self.draw(data, target, model, require, rule)
        except UnsatisfiedAssumption:  # the case strategy filtered it out: Hypothesis discards it
            self.coverage.discarded(rule, target, model, "filtered out by the case strategy")
            self.verdict.discard("filtered out by the case strategy")
            raise
        try:
            outcome = self.check(rule, target, case)
        except NotExpressible as e:  # the target's `unsupported`: a discarded example, counted
            self.coverage.discarded(rule, target, model, f"{target.name} cannot express it: {e}")
            self.verdict.discard(" ".join(f"{target.name} cannot express it: {e}".split())[:160])
            reject()
        if not (outcome.coverage and outcome.coverage.uncovered):
            return
        failure = self._failure(outcome, model)
        # Shrink one cause: once a test has failed, other causes do not count as this failure.
        lock = self._lock.setdefault(key, failure.cause)
        if all(v.cause != lock for v in failure.uncovered):
            return
        raise failure

    def remember(self, outcome: Outcome) -> None:
        """After a failing test: its minimal case seeds the same rule on the other models."""
        cases = self.found.setdefault((outcome.target, outcome.rule), [])
        if outcome.case not in cases:
            cases.append(outcome.case)

    def draw(self, data, target: Target, model: str, require=(), rule: str | None = None) -> dict[str, Any]:
        from harness import rules
        from harness.generation.strategies import cases

        caps = target.capabilities
        own = rules.get(rule).strategy if rule else None
        if own is not None:  # the rule draws its own cases (web search)
            case = data.draw(own(self.catalog.resolve(model), caps.features_for(model)), label="case")
            case["request"].update(caps.request_defaults)
            return case
        return data.draw(
            cases(
                model,
                caps.features_for(model),
                require=tuple(require),
                spellings=self.spellings(model, caps.features_for(model)),
                request_defaults=caps.request_defaults,
            ),
            label="case",
        )

    def spellings(self, model: str, features: frozenset[str] = ALL_FEATURES) -> tuple[str, ...]:
        """The other refs the catalog resolves to `model`; without the `model_aliases` feature only
        provider refs (a target with no alias table would refuse the rest one by one)."""
        cache = self.__dict__.setdefault("_spellings", {})
        if model not in cache:
            cache[model] = tuple(
                sorted(k for k, v in self.catalog.accepted_refs().items() if v == model and k != model)
            )
        return tuple(s for s in cache[model] if "/" in s or "model_aliases" in features)

    # ------------------------------------------------------------------ errors
    def bad_case(self, target: Target, bad: dict[str, Any]) -> None:
        """The `errors` rule on one malformed case (harness/contract/bad_cases.json): a case error
        or a refusal passes; a request it would send, or a crash, is a violation, held to the
        target's known divergences like any other."""
        __tracebackhide__ = True  # pytest: the verdict speaks, not the engine's frames
        from harness.rules import errors

        case, sent = bad["case"], {}

        def transform(c: dict[str, Any]) -> dict[str, Any]:
            sent["out"] = target.transform(c)
            return sent["out"]

        verdict = Verdict("errors", errors.violations(case, transform, refusals=(NotExpressible,)))
        origin = f"the malformed case {bad['id']!r} of harness/contract/bad_cases.json"
        outcome = self.verdict.outcome = Outcome("errors", target.name, case, sent.get("out"), verdict, origin=origin)
        outcome.coverage = self.divergences(target).cover(verdict.violations, case, sent.get("out"))
        self.verdict.divergences.update(outcome.coverage.ids)
        if outcome.coverage.uncovered:
            model = case.get("model") if isinstance(case.get("model"), str) else "(no model)"
            raise ConformanceFailure(
                "errors", target.name, model, case, verdict, outcome.coverage.uncovered, outcome.outbound, origin
            )

    # ------------------------------------------------------------------ T9
    def usage(self, target: Target, model: str, chunks: list) -> None:
        __tracebackhide__ = True  # pytest: the verdict speaks, not the engine's frames
        case = {"model": model, "chunks": chunks}
        got = target.usage(model, chunks)
        verdict = usage_verdict(got, self.reference.usage(model, chunks))
        outcome = self.verdict.outcome = Outcome("T9", target.name, case, None, verdict)
        outcome.coverage = self.divergences(target).cover(verdict.violations, case, {"usage": got})
        self.verdict.divergences.update(outcome.coverage.ids)
        self.coverage.judged("T9", target, model, case, None, None, [v.check for v in verdict.violations], "search")
        if outcome.coverage.uncovered:
            raise self._failure(outcome, model)
