"""Contract coverage (harness/engine/coverage.py): what a run exercised, counted in memory by the
engine, merged across workers, summarized green / yellow / red, and held by --kimi-min-coverage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.catalog import builtin
from harness.engine.conformance import Conformance
from harness.engine.coverage import ContractCoverage, merge, read, summarize
from harness.targets import NotExpressible
from harness.targets.reference import ReferenceTarget

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]
K26 = "moonshot/kimi-k2.6"


def _case(results=("functions.read:0", "functions.read:1"), provider=None):
    calls = [
        {"id": i, "type": "function", "function": {"name": "read", "arguments": "{}"}}
        for i in ("functions.read:0", "functions.read:1")
    ]
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None, "tool_calls": calls}]
    messages += [{"role": "tool", "tool_call_id": r, "content": f"result {n}"} for n, r in enumerate(results)]
    case = {"model": K26, "request": {"messages": messages}}
    if provider:
        case["provider"] = provider
    return case


def _engine():
    catalog = builtin()
    return Conformance(catalog), ReferenceTarget(catalog), catalog


def test_a_judged_case_counts_its_checks_and_forms():
    engine, target, catalog = _engine()
    engine.check("T6", target, _case(results=("functions.read:1", "functions.read:0")))
    engine.check("T6", target, _case(), origin="the committed corpus")
    doc = engine.coverage.to_json(catalog)["reference"]
    t6 = doc["tests"]["T6"][K26]
    assert (t6["drawn"], t6["replayed"]) == (1, 1)
    assert t6["checks"]["T6.result-follows-call"] == [1, 1, 0]  # drawn, replayed, violated
    assert t6["forms"]["T6.result-follows-call|results out of order"] == [1, 0]
    assert "T6.agreement" in t6["unreachable"]  # the reference is not compared with itself
    rows = {r.check: r for r in summarize(doc).rows}
    assert rows["T6.agreement"].status == "n/a"
    assert "results out of order" in rows["T6.result-follows-call"].forms_drawn
    assert rows["T6.reshaped"].exercised == 2


class _Broken(ReferenceTarget):
    name = "broken"

    def transform(self, case):
        out = super().transform(case)
        for m in out["body"]["messages"]:
            if m.get("role") == "tool":
                m["tool_call_id"] = "x"
        return out


def test_a_violation_is_counted_against_its_check():
    catalog = builtin()
    engine = Conformance(catalog)
    engine.check("T6", _Broken(catalog), _case())
    t6 = engine.coverage.to_json(catalog)["broken"]["tests"]["T6"][K26]
    assert t6["checks"]["T6.result-follows-call"][2] == 1
    assert "T6.agreement" not in t6["unreachable"]  # a real target is compared with the reference


def test_mostly_discarded_is_not_exercised_and_the_gate_says_why():
    engine, target, catalog = _engine()
    engine.check("idempotence", target, _case())
    for _ in range(3):
        engine.coverage.discarded("idempotence", target, K26, "reference cannot express it: thinking fed back")
    s = summarize(engine.coverage.to_json(catalog)["reference"])
    assert [(x.rule, x.discarded, x.attempts) for x in s.starved] == [("idempotence", 3, 4)]
    assert {r.check: r.status for r in s.rows}["idempotence.deterministic"] == "red"
    assert "idempotence on moonshot/kimi-k2.6 not exercised: 3 of 4 examples discarded" in s.problems[0]


def test_a_form_never_drawn_is_a_gap_named_by_rule_and_form():
    engine, target, catalog = _engine()
    engine.check("T6", target, _case())  # results in call order only
    problems = summarize(engine.coverage.to_json(catalog)["reference"]).problems
    assert any(p.startswith("T6 form 'results out of order' never drawn") for p in problems), problems


def test_a_check_never_exercised_is_red():
    engine, target, catalog = _engine()
    engine.check("T6", target, {"model": K26, "request": {"messages": [{"role": "user", "content": "hi"}]}})
    s = summarize(engine.coverage.to_json(catalog)["reference"])
    red = {r.check for r in s.rows if r.status == "red"}
    assert "T6.unique" in red
    assert any(p.startswith("T6 check T6.unique never exercised") for p in s.problems)


def test_workers_and_shards_add_up():
    engine, target, catalog = _engine()
    engine.check("T6", target, _case())
    other = ContractCoverage()
    other.add_state(json.loads(json.dumps(engine.coverage.state())))
    other.add_state(json.loads(json.dumps(engine.coverage.state())))
    t6 = other.to_json(catalog)["reference"]["tests"]["T6"][K26]
    assert t6["drawn"] == 2 and t6["checks"]["T6.reshaped"] == [2, 0, 0]
    doc = engine.coverage.to_json(catalog)["reference"]
    merged = merge([doc, doc])["reference"]["tests"]["T6"][K26]
    assert merged["drawn"] == 2 and merged["forms"] == {
        k: [2 * v[0], 2 * v[1]] for k, v in doc["tests"]["T6"][K26]["forms"].items()
    }


def test_not_expressible_is_counted_as_discarded_with_its_reason():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    catalog = builtin()
    engine = Conformance(catalog)

    class Picky(ReferenceTarget):
        name = "picky"

        def transform(self, case):
            raise NotExpressible("no tools here")

    picky = Picky(catalog)
    engine._seeded[("T5", "picky", K26)] = None  # no seeds: only drawn examples

    @settings(max_examples=5, database=None, derandomize=True)
    @given(data=st.data())
    def run(data):
        engine.run("T5", picky, K26, data)

    with pytest.raises(Exception):  # every example discarded: Hypothesis gives up
        run()
    discarded = engine.coverage.to_json(catalog)["picky"]["tests"]["T5"][K26]["discarded"]
    assert discarded and all("picky cannot express it: no tools here" in k for k in discarded)


def test_the_file_is_read_back(tmp_path):
    engine, target, catalog = _engine()
    engine.check("T6", target, _case())
    (path,) = engine.coverage.write(tmp_path, catalog)
    assert path.name == "coverage-reference.json"
    assert read(path)["tests"]["T6"][K26]["drawn"] == 1


# ------------------------------------------------------------------------------- the gate, end to end
@pytest.fixture
def suites(pytester):
    shutil.copytree(ROOT / "suites", pytester.path / "suites")
    pytester.syspathinsert(ROOT)
    return pytester


def _gate(pytester, results: Path):
    from importlib.metadata import entry_points

    installed = any(
        ep.value in ("kimi_conformance.plugin", "harness.pytest_plugin.plugin") for ep in entry_points(group="pytest11")
    )
    extra = () if installed else ("-p", "harness.pytest_plugin.plugin")
    return pytester.runpytest(
        "suites/test_t6_tool_call_ids.py",
        *extra,
        "-p",
        "no:cacheprovider",
        "--hypothesis-profile=ci",
        "--import-mode=importlib",
        "--kimi-results-dir",
        str(results),
        "--kimi-min-coverage",
    )


@pytest.mark.integration  # runs whole pytest sessions (pytester)
def test_the_gate_holds_on_the_reference_and_fails_a_narrowed_generator(suites, monkeypatch, tmp_path):
    # imported before the first in-process run: pytester restores sys.modules after each run, so a
    # module first imported by that run would be imported afresh by the next, without the patch
    from harness.generation import history

    ok = _gate(suites, tmp_path / "ok")
    assert ok.ret == 0, ok.stdout.str()[-3000:]
    assert (tmp_path / "ok" / "coverage-reference.json").is_file()
    ok.stdout.fnmatch_lines(["kimi-conformance coverage: reference: * green, 0 yellow, 0 red*"])

    monkeypatch.setattr(history, "RESULT_ORDERS", ("calls",))  # results in call order only
    narrowed = _gate(suites, tmp_path / "narrowed")
    assert narrowed.ret == 1
    narrowed.stdout.fnmatch_lines(
        [
            "kimi-conformance coverage: reference: T6 form 'results out of order' never drawn*",
            "kimi-conformance coverage: --kimi-min-coverage: * gap(s): the run fails",
        ]
    )
    outcomes = narrowed.parseoutcomes()
    assert outcomes.get("passed") and not outcomes.get("failed")  # the tests passed: the gate alone fails the run


@pytest.mark.integration
def test_xdist_workers_counts_are_merged_and_written_once(tmp_path):
    """Under -n 2 each worker counts its share; the controller writes one file, equal to a
    run without workers (the CI profile is derandomized)."""
    import os
    import sys

    from tests.child import run as run_child

    def run(results: Path, *extra: str) -> None:
        cmd = [sys.executable, "-m", "pytest", "suites/test_t4_tool_choice.py", "-q", "-p", "no:cacheprovider"]
        cmd += ["-o", "addopts=", "--kimi-results-dir", str(results), *extra]
        env = {**os.environ, "CI": "true", "PYTHONHASHSEED": "0"}
        proc = run_child(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-2000:]

    run(tmp_path / "one")
    run(tmp_path / "two", "-n", "2")
    assert [p.name for p in (tmp_path / "two").glob("coverage-*.json")] == ["coverage-reference.json"]
    one, two = (read(tmp_path / d / "coverage-reference.json") for d in ("one", "two"))
    assert two == one and two["tests"]["T4"]


def test_a_long_target_name_makes_a_bounded_distinct_file_name():
    """A `command:` spec with long paths named the coverage file past the file system's 255 bytes:
    session finish crashed. Cut names keep a digest of the whole, so two such targets stay two files."""
    from harness.engine.coverage import _safe

    a = "command:" + "/very/long/path" * 30 + " --port 1"
    b = a.replace("--port 1", "--port 2")
    assert len(_safe(a)) <= 80 and len(_safe(b)) <= 80
    assert _safe(a) != _safe(b)
    assert _safe("openclaw") == "openclaw"  # a short name is unchanged
