"""The suites as a base class, for use in another project after `pip install kimi-conformance`.

    # tests/test_kimi_conformance.py in your gateway's repo
    from kimi_conformance import ConformanceSuite

    class TestMyGateway(ConformanceSuite):
        target = "command:./bin/gateway --transform-jsonl"
        name = "my-gateway"                       # how reports and your divergence file name it
        apis = ["openai-completions"]             # the surfaces it speaks: the others are n/a
        divergences = "kimi-divergences.yaml"     # your known divergences, beside this file

Every standard test — one per rule of the registry (`harness.rules`) — is inherited. A subclass
may not drop or replace one: the only override allowed is `ConformanceSuite.known_failure(rule,
reason=...)`, the standard test marked as a strict xfail, so the day it starts passing, the run
says so. Anything else is refused when the class is created. What the target does not serve
(`apis`, `models`) is reported not applicable, with that reason — never a failure, never
silently dropped. `test_known_divergence` replays each entry of the class's divergence file:
an entry that no longer diverges fails as stale.
"""

from __future__ import annotations

import pytest

from harness import rules
from harness.pytest_plugin.standard_tests import conformance_test, known_divergence_test

# Test name -> rule id, derived from the registry: the same tests suites/ holds.
STANDARD_TESTS = {r.test_name: r.id for r in rules.all_rules()}
_KNOWN_FAILURE = "__kimi_known_failure__"


class ConformanceSuite:
    """Base class: set `target` (any `--kimi-target` spec); optionally `name`, `apis`, `models`,
    `divergences` (a path relative to the test file)."""

    target: str = "reference"
    name: str | None = None  # the target's name in reports and in your divergence file (NAME=SPEC)
    apis: tuple[str, ...] | list[str] | None = None  # API surfaces served: openai-completions, anthropic-messages
    models: tuple[str, ...] | list[str] | None = None  # catalog refs served; others are not applicable
    divergences: str | None = None  # your known divergences (YAML, the divergence format)

    test_known_divergence = known_divergence_test(method=True)

    @classmethod
    def target_spec(cls) -> str:
        """The `--kimi-target` value of this class: `name=target` when it names its target (a target
        written `alias=spec` already is named: `name` wins, not `name=alias=spec`, which no kind reads)."""
        from harness.targets import split_alias

        return f"{cls.name}={split_alias(cls.target)[1]}" if cls.name else cls.target

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "test_known_divergence" in cls.__dict__:
            raise TypeError(f"{cls.__name__}.test_known_divergence replaces the standard replay of known divergences")
        for name, rule in STANDARD_TESTS.items():
            if name in cls.__dict__ and getattr(cls.__dict__[name], _KNOWN_FAILURE, None) != rule:
                raise TypeError(
                    f"{cls.__name__}.{name} overrides a standard conformance test. Tests may not be dropped or "
                    f"replaced: use `{name} = ConformanceSuite.known_failure({rule!r}, reason=...)`."
                )

    @staticmethod
    def known_failure(rule: str, reason: str):
        """The standard test for `rule`, expected to fail (strictly: a pass fails the run)."""
        if not isinstance(reason, str) or not reason.strip():
            raise TypeError("known_failure needs a reason saying why the rule fails (an issue link, a version)")
        fn = pytest.mark.xfail(reason=reason, strict=True)(conformance_test(rule, method=True))
        setattr(fn, _KNOWN_FAILURE, rule)
        return fn


for _name, _rule in STANDARD_TESTS.items():
    setattr(ConformanceSuite, _name, conformance_test(_rule, method=True))
