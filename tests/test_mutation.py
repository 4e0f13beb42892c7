"""The suites must fail on broken implementations: one mutant per bug, each must be caught.

Each mutant runs its rule's own suite module as a separate pytest process, with the
derandomized `mutation` profile (the `ci` profile without shrinking: a catch is reproducible and
cheap), stopping at the first failure. Being caught by the rule's own module is the stronger
claim: the rule's properties (or its agreement with the reference) see the bug, not some other
test by accident. The mutation score is printed at the end of the session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness import rules
from tests.mutants import CHECKS, MUTANTS, suite_module

ROOT = Path(__file__).resolve().parents[1]
RESULTS: dict[str, tuple[int, str]] = {}


def _run(name: str) -> tuple[int, str, list[dict]]:
    with tempfile.TemporaryDirectory() as results:
        cmd = [sys.executable, "-m", "pytest", f"suites/{suite_module(name)}", "-x", "-q", "-p", "no:cacheprovider",
               "--hypothesis-profile=mutation", f"--target=python:tests.mutants:{name}", "-o", "addopts=",
               "--results-dir", results]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
        violations = [v for f in Path(results).glob("results-*.json")
                      for r in json.loads(f.read_text())["results"] for v in r.get("violations") or []]
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    return proc.returncode, (lines[0] if lines else proc.stdout[-300:]), violations


@pytest.fixture(scope="session")
def mutation_results():
    if not RESULTS:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            RESULTS.update(zip(MUTANTS, pool.map(_run, MUTANTS)))
    return RESULTS


def test_there_are_enough_mutants():
    assert len(MUTANTS) >= 15
    rules = {bug.split(":")[0] for bug in MUTANTS.values()}
    assert {"T1", "T2", "T3", "T4", "T5", "T6", "T6b", "T7", "T8", "routing", "errors"} <= rules


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_suite_catches_mutant(name, mutation_results):
    code, first_failure, violations = mutation_results[name]
    # 1 = tests failed. 0 would mean the bug went unnoticed; 2-4 a usage or collection error.
    assert code == 1, f"mutant {name} ({MUTANTS[name]}) was not caught: exit {code}\n{first_failure}"
    assert first_failure.startswith("FAILED"), first_failure
    # Caught for the right reason, read from the structured verdict (never from message text).
    rule = MUTANTS[name].split(":")[0].replace("pass-through", "passthrough")
    if rule in rules.ids() and rules.get(rule).kind == "transform":
        assert any(v["rule"] == rule for v in violations), f"{name}: no {rule} violation recorded: {violations}"
    if name in CHECKS:
        assert any(v["check"] == CHECKS[name] for v in violations), f"{name}: not named by {CHECKS[name]}: {violations}"
