"""A property test whose examples were mostly discarded judged too little to pass: the engine
marks its verdict `not_exercised` (discarded, examples, rate, main reasons: data), the plugin
reports it as a skip with that reason, the results record carries the data and the matrix shows
`unex`, never `pass`. The threshold is the coverage gate's (harness.engine.coverage.MOSTLY)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.catalog import builtin
from harness.engine.conformance import Conformance
from harness.engine.coverage import MOSTLY
from harness.reference import transform as reference
from harness.reporting import matrix
from harness.targets import NotExpressible, Target

pytest_plugins = ["pytester"]


def _refused(case: dict[str, Any], share: int) -> bool:
    """Deterministically refuse `share` quarters of the cases (by a hash of the case)."""
    digest = hashlib.sha256(json.dumps(case, sort_keys=True).encode()).digest()
    return digest[0] % 4 < share


def mostly_refuses(case: dict[str, Any]) -> dict[str, Any]:
    """A python: target that cannot express three cases in four (and is otherwise the reference)."""
    if _refused(case, 3):
        raise NotExpressible("this target cannot express three cases in four")
    return reference(case)


class Refusing(Target):
    def __init__(self, share: int):
        self.share, self.name = share, f"refuses-{share}-of-4"

    def transform(self, case):
        if _refused(case, self.share):
            raise NotExpressible(f"refuses {self.share} of 4")
        return reference(case)


def _run(target: Target, rule: str = "T8") -> Conformance:
    engine = Conformance(builtin())
    engine.start_test()

    @settings(max_examples=12, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def search(data):
        engine.run(rule, target, "moonshot/kimi-k2.6", data)

    search()
    engine.end_test(None)
    return engine


def test_mostly_discarded_is_not_exercised_with_the_rate():
    verdict = _run(Refusing(3)).verdict
    ne = verdict.not_exercised
    assert ne is not None and ne["discarded"] > MOSTLY * ne["examples"]
    assert ne["rate"] == round(ne["discarded"] / ne["examples"], 3) and ne["rate"] > MOSTLY
    assert ne["reasons"] and all(k.startswith("refuses-3-of-4 cannot express it") for k in ne["reasons"])
    assert verdict.to_json()["not_exercised"] == ne
    assert verdict.not_exercised_reason.startswith(f"not exercised: {ne['discarded']} of {ne['examples']} examples")


def test_a_few_discards_still_pass():
    verdict = _run(Refusing(0)).verdict
    assert verdict.not_exercised is None and verdict.examples >= 12 and not verdict.discarded


def test_a_failure_is_never_relabelled():
    engine = Conformance(builtin())
    verdict = engine.start_test()
    verdict.examples, verdict.discarded = 10, {"x": 9}
    engine.end_test(AssertionError("a failure"))
    assert verdict.not_exercised is None


def _rec(**kw) -> dict[str, Any]:
    return {"nodeid": kw.pop("nodeid", "n"), "target": "t", "rule": "idempotence", "model": "m", **kw}


def test_the_matrix_shows_not_exercised_never_pass():
    ne = {"discarded": 9, "examples": 12, "rate": 0.75, "reasons": {"x": 9}}
    unex = _rec(outcome="skipped", reason="not exercised: 9 of 12 examples discarded (x (9))", not_exercised=ne)
    assert matrix.classify(unex) == matrix.UNEX
    assert matrix.classify({**unex, "not_exercised": None}) == matrix.SKIP  # the data decides, not the text
    m = matrix.from_data(
        [("r.json", {"target": "t", "results": [unex, _rec(nodeid="p", model="m2", outcome="passed")]})]
    )
    assert m.cell("t", "idempotence", "m").status == matrix.UNEX
    assert m.summary("t", "idempotence") == "1/1 pass, 1 unex"
    md = m.render_markdown()
    assert "| m | unex |" in md and "unex: idempotence on m: not exercised: 9 of 12 examples discarded" in md
    # beside a pass in the same cell, the cell is not exercised, not passed
    both = matrix.from_data([("r.json", {"target": "t", "results": [unex, _rec(nodeid="p", outcome="passed")]})])
    assert both.cell("t", "idempotence", "m").status == matrix.UNEX
    only = matrix.from_data([("r.json", {"target": "t", "results": [unex]})])
    assert only.summary("t", "idempotence") == "1 unex"


@pytest.mark.integration  # runs whole pytest sessions (pytester)
def test_the_suite_reports_a_skip_with_the_data(pytester, tmp_path):
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "suites", pytester.path / "suites")
    pytester.syspathinsert(root)
    out = tmp_path / "res"
    result = pytester.runpytest(
        "suites/test_t8_stream_usage.py",
        "--kimi-target",
        "python:tests.engine.test_not_exercised:mostly_refuses",
        "--kimi-model",
        "moonshot/kimi-k2.6",
        "--kimi-results-dir",
        str(out),
        "-rs",
        "-p",
        "no:cacheprovider",
        "--hypothesis-profile=mutation",
        "--import-mode=importlib",
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*not exercised: * of * examples discarded*"])
    (record,) = json.loads(next(out.glob("results-*.json")).read_text())["results"]
    assert record["outcome"] == "skipped" and record["not_exercised"]["rate"] > MOSTLY
    assert matrix.classify(record) == matrix.UNEX
