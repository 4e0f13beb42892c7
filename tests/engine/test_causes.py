"""A failing run stays fast: failures of one cause are shrunk once, and the other models replay
that minimal case instead of searching and shrinking again (harness/engine/conformance.py).

Measured as work, not time (a timed test would be flaky): the target calls of a run against a
target with three bugs must stay under twice those of a passing run of the same suites.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.child import run as run_child

ROOT = Path(__file__).resolve().parents[2]
SUITES = ["suites/test_t4_tool_choice.py", "suites/test_t7_compat.py", "suites/test_t8_stream_usage.py"]


def _run(tmp_path: Path, target: str) -> tuple[int, dict]:
    calls, results = tmp_path / f"{target}.calls", tmp_path / target
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *SUITES,
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        f"--kimi-target={target}=python:tests.fixtures.counting_target:{target}",
        "--kimi-results-dir",
        str(results),
    ]
    env = {**os.environ, "CI": "true", "PYTHONHASHSEED": "0", "KIMI_TEST_CALLS": str(calls)}
    run_child(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    records = json.loads(next(results.glob("results-*.json")).read_text())["results"]
    return int(calls.read_text()), {"records": records}


@pytest.mark.integration
def test_a_failing_run_costs_at_most_twice_a_passing_one(tmp_path):
    passing, ok = _run(tmp_path, "correct")
    failing, bad = _run(tmp_path, "broken")
    assert all(r["outcome"] == "passed" for r in ok["records"] if r["outcome"] != "skipped")
    failed = [r for r in bad["records"] if r["outcome"] == "failed"]
    causes = {v["check"] for r in failed for v in r["violations"]}
    assert len(failed) >= 30, f"only {len(failed)} failing tests"
    assert {c.split(".")[0] for c in causes} == {"T4", "T7", "T8"} and len(causes) <= 6, causes
    assert all(r["violations"] and r["minimal_case"] for r in failed), "every failure names its cause and minimal case"
    print(
        f"target calls: passing run {passing}, failing run {failing} ({len(failed)} failures, causes {sorted(causes)})"
    )
    assert failing <= 2 * passing, f"the failing run called the target {failing} times, the passing one {passing}"
