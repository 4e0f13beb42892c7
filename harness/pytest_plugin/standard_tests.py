"""The standard tests, made from the rule registry: `conformance_test("T3")` is a whole suite.

What a rule means lives in `harness.rules`, how a case is judged in `harness.engine.conformance`, what a
target is in `harness.targets`; this module only turns a rule into a pytest test (a property
test for transformation rules, a stream test for T9, the bad-case list for errors) and keeps the
session's targets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness import rules
from harness.engine.conformance import Conformance, ConformanceFailure, Outcome
from harness.errors import CaseError, TargetError

# The session's targets live in harness.pytest_plugin.targets; re-exported for old imports.
from harness.pytest_plugin.targets import close_targets, not_applicable_reason, open_target, target_versions
from harness.targets import NotExpressible, Target

__all__ = [
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
            conformance.run(rule.id, target, model, data, rule.focus)
    else:

        @given(data=st.data())
        def test(conformance: Conformance, target: Target, model: str, data) -> None:
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


BAD_CASES = Path(__file__).resolve().parents[1] / "contract" / "bad_cases.json"


def _check_bad(target: Target, bad: dict[str, Any]) -> None:
    try:
        out = target.transform(bad["case"])
    except CaseError as e:
        assert str(e).strip(), "a case error needs a message saying what is wrong"
        return
    except TargetError as e:
        pytest.fail(f"{target.name} crashed on a malformed case ({bad['id']}) instead of rejecting it: {e}")
    pytest.fail(f"{target.name} accepted a malformed case ({bad['id']}) and would send: {json.dumps(out)[:300]}")


def _errors_test(rule: rules.Rule, method: bool):
    bad = json.loads(BAD_CASES.read_text())["cases"]
    param = pytest.mark.parametrize("bad", bad, ids=[b["id"] for b in bad])

    def method_test(self, target: Target, bad) -> None:
        _check_bad(target, bad)

    def test(target: Target, bad) -> None:
        _check_bad(target, bad)

    return param(method_test if method else test)


_FACTORIES = {"transform": _transform_test, "usage": _usage_test, "errors": _errors_test}


def conformance_test(rule_id: str, *, doc: str | None = None, method: bool = False):
    """The standard test of `rule_id`, parametrized per target and per catalog model."""
    rule = rules.get(rule_id)
    test = _FACTORIES[rule.kind](rule, method)
    test.__name__ = rule.test_name
    test.__doc__ = doc or f"{rule.id} {rule.title}: {rule.summary}. See {rule.link}."
    return pytest.mark.rule(rule.id)(test)
