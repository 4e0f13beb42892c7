"""The standard tests, made from the rule registry: `conformance_test("T3")` is a whole suite.

What a rule means lives in `harness.rules`, how a case is judged in `harness.engine.conformance`, what a
target is in `harness.targets`; this module only turns a rule into a pytest test (a property
test for transformation rules, a stream test for T9, the bad-case list for errors) and keeps the
session's targets.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness import rules
from harness.divergences.model import Divergences
from harness.engine.conformance import Conformance, ConformanceFailure, Outcome

# The session's targets live in harness.pytest_plugin.targets; re-exported for old imports.
from harness.pytest_plugin.targets import close_targets, not_applicable_reason, open_target, target_versions
from harness.rules.errors import BAD_CASES  # re-exported: the malformed cases
from harness.targets import NotExpressible, Target

__all__ = [
    "BAD_CASES",
    "Conformance",
    "ConformanceFailure",
    "Outcome",
    "close_targets",
    "conformance_test",
    "not_applicable_reason",
    "open_target",
    "target_versions",
]


# ------------------------------------------------------------------------------- tests
def _transform_test(rule: rules.Rule, method: bool):
    if method:

        @given(data=st.data())
        def test(self, conformance: Conformance, target: Target, model: str, data) -> None:
            __tracebackhide__ = True  # a failure is the target's: its verdict, not the harness's frames
            conformance.run(rule.id, target, model, data, rule.focus)
    else:

        @given(data=st.data())
        def test(conformance: Conformance, target: Target, model: str, data) -> None:
            __tracebackhide__ = True  # a failure is the target's: its verdict, not the harness's frames
            conformance.run(rule.id, target, model, data, rule.focus)

    return test


def _check_usage(conformance: Conformance, target: Target, model: str, chunks) -> None:
    try:
        target.usage(model, chunks)
    except NotExpressible as e:
        pytest.skip(f"not applicable: {e}")
    conformance.usage(target, model, chunks)


def _usage_test(rule: rules.Rule, method: bool):
    from harness.generation.usage_streams import usage_stream

    if method:

        @given(chunks=usage_stream())
        def test(self, conformance: Conformance, target: Target, model: str, chunks) -> None:
            _check_usage(conformance, target, model, chunks)
    else:

        @given(chunks=usage_stream())
        def test(conformance: Conformance, target: Target, model: str, chunks) -> None:
            _check_usage(conformance, target, model, chunks)

    return test


def _errors_test(rule: rules.Rule, method: bool):
    from harness.rules.errors import bad_cases

    bad = bad_cases()
    param = pytest.mark.parametrize("bad", bad, ids=[b["id"] for b in bad])

    # Through the engine: an accepted or crashing malformed case is a violation (errors.accepted /
    # errors.crashed at the place its fault reached), held to the target's known divergences.
    def method_test(self, conformance: Conformance, target: Target, bad) -> None:
        __tracebackhide__ = True
        conformance.bad_case(target, bad)

    def test(conformance: Conformance, target: Target, bad) -> None:
        __tracebackhide__ = True
        conformance.bad_case(target, bad)

    return param(method_test if method else test)


def _check_known_divergence(config: pytest.Config, known_divergence, catalog) -> None:
    from harness.engine.replay import replay
    from harness.pytest_plugin.targets import divergence_files
    from harness.targets import split_alias
    from harness.util.scrub import scrub_text

    spec, divergence_id = known_divergence
    name = scrub_text(split_alias(spec)[0])
    if divergence_id is None:
        pytest.skip(f"no known divergences for {name}")
    target = open_target(config, spec)
    files = divergence_files(config)
    entry = next(d for d in files.entries(name) if d.id == divergence_id)
    result = replay(entry, target, catalog, entries=Divergences.for_target(target.name, files.for_target(name)))
    if not result.still_diverges:
        pytest.fail(
            f"{name}: divergence {entry.id!r} no longer diverges: none of its checks {sorted(entry.checks)} "
            f"fails on its minimal case; remove it from {entry.file}",
            pytrace=False,
        )
    changed = result.coverage.changed  # covered by structure, but the pinned value moved
    if changed:
        pytest.fail(
            f"{name}: the minimal case of {entry.id!r} sends other values than its entries pin (if the new "
            f"value is right: `kimi-conformance divergence pin --target {name} --id ID`):\n"
            + "\n".join(f"  {v}" for v in changed),
            pytrace=False,
        )
    gaps = "\n".join(f"  {v}" for v in result.coverage.uncovered)
    if gaps:
        pytest.fail(
            f"{name}: the minimal case of {entry.id!r} has violations no entry covers (add entries with "
            f"`kimi-conformance divergence add`):\n{gaps}\ncase: {json.dumps(entry.case)}",
            pytrace=False,
        )
    overlaps = "\n".join(f"  {v}: {', '.join(d.id for d in ds)}" for v, ds in result.coverage.overlapping)
    if overlaps:
        pytest.fail(
            f"{name}: entries overlap on the minimal case of {entry.id!r} (each violation needs exactly "
            f"one entry):\n{overlaps}",
            pytrace=False,
        )


def known_divergence_test(*, method: bool = False):
    """Every known divergence of the target, replayed: it must still diverge (else it is stale),
    and its minimal case's violations must each be covered by exactly one entry."""

    def method_test(self, request: pytest.FixtureRequest, known_divergence, catalog) -> None:
        _check_known_divergence(request.config, known_divergence, catalog)

    def test(request: pytest.FixtureRequest, known_divergence, catalog) -> None:
        _check_known_divergence(request.config, known_divergence, catalog)

    chosen = method_test if method else test
    chosen.__name__ = "test_known_divergence"
    chosen.__doc__ = known_divergence_test.__doc__
    return pytest.mark.area("divergences")(chosen)


_FACTORIES = {"transform": _transform_test, "usage": _usage_test, "errors": _errors_test}


def conformance_test(rule_id: str, *, doc: str | None = None, method: bool = False):
    """The standard test of `rule_id`, parametrized per target and per catalog model."""
    rule = rules.get(rule_id)
    test = _FACTORIES[rule.kind](rule, method)
    test.__name__ = rule.test_name
    test.__doc__ = doc or f"{rule.id} {rule.title}: {rule.summary}. Contract: {rule.read} ({rule.link})."
    return pytest.mark.rule(rule.id)(test)
