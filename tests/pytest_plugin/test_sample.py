"""The `ci` sample of the slow reproductions (harness/pytest_plugin/sample.py): under CI=true a test
marked `outside_ci_sample` is deselected (counted, said why), never skipped as a pass;
--kimi-repro-all and a run without CI keep every one; the bug-report sample keeps every kind of reproduction of every target."""

from __future__ import annotations

import pytest

from harness.pytest_plugin.sample import first_of_each

pytest_plugins = ["pytester"]

MODULE = """
import pytest

@pytest.mark.parametrize("n", [1, pytest.param(2, marks=pytest.mark.outside_ci_sample), 3])
def test_n(n):
    assert n
"""


def test_first_of_each_keeps_the_first_carrier_of_every_key():
    assert first_of_each([{"a", "b"}, {"a"}, {"b", "c"}, set(), {"c"}]) == [True, False, True, False, False]
    assert first_of_each([]) == []


@pytest.mark.parametrize(
    ("ci", "args", "passed", "deselected"),
    [("true", [], 2, 1), ("true", ["--kimi-repro-all"], 3, 0), ("", [], 3, 0)],
    ids=["ci-sample", "repro-all", "not-ci"],
)
@pytest.mark.integration  # runs whole pytest sessions (pytester)
def test_outside_the_sample_is_deselected_under_ci_only(pytester, monkeypatch, ci, args, passed, deselected):
    monkeypatch.setenv("CI", ci)
    pytester.makepyfile(test_it=MODULE)
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=passed, deselected=deselected)
    said = [line for line in result.outlines if "outside the ci sample" in line]
    assert said == ([f"kimi-conformance: {deselected} deselected: {said[0].split(': ', 2)[2]}"] if deselected else [])


def test_the_bug_report_sample_covers_every_kind():
    """Every kind of reproduction (rule, pin kind, streaming, wire) of every real target's
    divergences is carried by a kept entry, and the sample is smaller than the whole."""
    from harness.reporting.bug_report import entries, real_targets
    from tests.reporting.test_bug_report import _kinds, _params

    params = _params()

    def gaps(name: str, kept: set[str]) -> set:
        listed = entries(name)
        return set().union(*(_kinds(e) for e in listed)) - set().union(*(_kinds(e) for e in listed if e.id in kept))

    for name in real_targets():
        kept = {p.values[1] for p in params if p.values[0] == name and not p.marks}
        assert gaps(name, kept) == set(), name
        assert any(gaps(name, kept - {k}) for k in kept), name  # a smaller sample loses a kind: the check can fail
    assert sum(not p.marks for p in params) < len(params)
