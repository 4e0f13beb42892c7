"""The suites as a base class, for use in another project after `pip install kimi-conformance`.

    # tests/test_kimi_conformance.py in your gateway's repo
    from harness.testing import ConformanceSuite

    class TestMyGateway(ConformanceSuite):
        target = "command:./bin/gateway --transform-jsonl"

Every standard test of the contract is inherited. A subclass may not silently drop one: an
override must be the standard test itself marked `pytest.mark.xfail(reason=..., strict=True)`
(use `ConformanceSuite.known_failure("T3", "why")`), so the day it starts passing, the run says so.
"""

from __future__ import annotations

import pytest

from harness.suite import RULE_FOCUS, conformance_test

# Test name -> rule: the same tests suites/ holds, one per rule.
STANDARD_TESTS = {
    "test_routing": "routing", "test_t1_always_thinking": "T1", "test_t2_binary_thinking": "T2",
    "test_t3_thinking_keep": "T3", "test_t4_tool_choice": "T4", "test_t5_reasoning_content": "T5",
    "test_t6_tool_call_ids": "T6", "test_t6b_extra_body": "T6b", "test_t7_compat": "T7",
    "test_t8_stream_usage": "T8", "test_passthrough": "passthrough", "test_idempotence": "idempotence",
}
assert set(STANDARD_TESTS.values()) == set(RULE_FOCUS)


def _is_strict_xfail(fn) -> bool:
    return any(m.name == "xfail" and m.kwargs.get("strict") is True and m.kwargs.get("reason")
               for m in getattr(fn, "pytestmark", []))


class ConformanceSuite:
    """Base class: set `target` (any `--target` spec) and optionally `models` (refs)."""

    target: str = "reference"
    models: tuple[str, ...] | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in STANDARD_TESTS:
            fn = cls.__dict__.get(name)
            if fn is not None and not _is_strict_xfail(fn):
                raise TypeError(
                    f"{cls.__name__}.{name} overrides a standard conformance test. Tests may not be dropped: "
                    f"use `{name} = ConformanceSuite.known_failure({STANDARD_TESTS[name]!r}, reason=...)`.")

    @staticmethod
    def known_failure(rule: str, reason: str):
        """The standard test for `rule`, expected to fail (strictly: a pass fails the run)."""
        name = next(n for n, r in STANDARD_TESTS.items() if r == rule)
        return pytest.mark.xfail(reason=reason, strict=True)(_method(name))


def _method(name: str):
    fn = conformance_test(STANDARD_TESTS[name], method=True)
    fn.__name__ = name
    return fn


for _name in STANDARD_TESTS:
    setattr(ConformanceSuite, _name, _method(_name))
