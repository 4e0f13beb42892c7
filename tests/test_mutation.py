"""The suites must fail on broken implementations: one mutant per bug, each must be caught.

Every mutant is judged in process by its own rule — the suites' judge, the same checks and the
same agreement with the reference — on a fixed corpus (tests/mutation_corpus.py: the committed
seeds plus derandomized cases per model), and counts as caught only by a violation of its rule
(and of its named check where one is given), read from the structured verdict. A few mutants
also run their rule's suite module as a real pytest process, proving the suites wire it up.
The mutation score is printed at the end of the session.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness import rules
from tests.child import run as run_child
from tests.mutants import CHECKS, MUTANTS, suite_module

ROOT = Path(__file__).resolve().parents[1]
RESULTS: dict[str, tuple[int, str, list]] = {}  # in-process verdicts, for the mutation score
SUITE_RESULTS: dict[str, tuple[int, str, list]] = {}  # through pytest processes


def _run(name: str) -> tuple[int, str, list[dict]]:
    with tempfile.TemporaryDirectory() as results:
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            f"suites/{suite_module(name)}",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "--hypothesis-profile=mutation",
            f"--kimi-target=python:tests.mutants:{name}",
            "-o",
            "addopts=",
            "--kimi-results-dir",
            results,
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        proc = run_child(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
        violations = [
            v
            for f in Path(results).glob("results-*.json")
            for r in json.loads(f.read_text())["results"]
            for v in r.get("violations") or []
        ]
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    return proc.returncode, (lines[0] if lines else proc.stdout[-300:]), violations


@pytest.fixture(scope="session")
def mutation_results():
    if not SUITE_RESULTS:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            SUITE_RESULTS.update(zip(THROUGH_SUITES, pool.map(_run, THROUGH_SUITES)))
    return SUITE_RESULTS


def test_there_are_enough_mutants():
    assert len(MUTANTS) >= 15
    rules = {bug.split(":")[0] for bug in MUTANTS.values()}
    assert {"T1", "T2", "T3", "T4", "T5", "T6", "T6b", "T7", "T8", "routing", "errors"} <= rules


def _judged(name: str) -> list[dict]:
    """Violations of the mutant's own rule over the fixed corpus (stops at the first catch)."""
    from harness.errors import CaseError
    from harness.reference import transform as reference
    from harness.rules.judge import judge
    from tests import mutants
    from tests.mutation_corpus import fixed_cases

    mutant = getattr(mutants, name)
    rule = MUTANTS[name].split(":")[0].replace("pass-through", "passthrough")
    if rule not in rules.ids() or rules.get(rule).kind != "transform":
        return []
    for case in fixed_cases(rule):
        try:
            out = mutant(case)
        except CaseError:
            continue
        found = [v.to_json() for v in judge(rule, case, out, reference=reference, transform=mutant).violations]
        if found and (name not in CHECKS or any(v["check"] == CHECKS[name] for v in found)):
            return found
    return []


IN_PROCESS = sorted(n for n in MUTANTS if not MUTANTS[n].startswith(("robustness", "errors")))


@pytest.mark.parametrize("name", IN_PROCESS)
def test_rule_catches_mutant(name):
    violations = _judged(name)
    rule = MUTANTS[name].split(":")[0].replace("pass-through", "passthrough")
    RESULTS[name] = (1 if violations else 0, "", violations)
    assert violations, f"mutant {name} ({MUTANTS[name]}) was not caught by {rule} on the fixed corpus"
    assert all(v["rule"] == rule for v in violations)
    if name in CHECKS:
        assert any(v["check"] == CHECKS[name] for v in violations), f"{name}: not named by {CHECKS[name]}"
    # its line of the committed kill record, checked here: judging every mutant a second time in
    # test_mutation_kills_are_recorded would double the cost under xdist (RESULTS is per worker)
    assert _recorded().get(name) == _kill_entry(name, violations), _STALE.format(names=[name])


# Through real pytest processes: one mutant per kind of suite (property, bad cases, robustness), and
# the field fact of issue #27 (thinking and reasoning_effort together on a Moonshot host).
THROUGH_SUITES = [
    "t4_required_kept",
    "d3_both_on_moonshot_host",
    "d5_content_tidied",
    "accepts_malformed",
    "crashes_on_tools",
]


@pytest.mark.integration
@pytest.mark.parametrize("name", THROUGH_SUITES)
def test_suite_catches_mutant(name, mutation_results):
    code, first_failure, violations = mutation_results[name]
    # 1 = tests failed. 0 would mean the bug went unnoticed; 2-4 a usage or collection error.
    assert code == 1, f"mutant {name} ({MUTANTS[name]}) was not caught: exit {code}\n{first_failure}"
    assert first_failure.startswith("FAILED"), first_failure
    # Caught for the right reason, read from the structured verdict (never from message text).
    rule = MUTANTS[name].split(":")[0].replace("pass-through", "passthrough")
    if rule in rules.ids() and rules.get(rule).kind in ("transform", "errors"):  # errors: errors.accepted
        assert any(v["rule"] == rule for v in violations), f"{name}: no {rule} violation recorded: {violations}"
    if name in CHECKS:
        assert any(v["check"] == CHECKS[name] for v in violations), f"{name}: not named by {CHECKS[name]}: {violations}"


# Mutation meets coverage (issue #22): which check killed each mutant, recorded where the coverage
# output reads it (harness/engine/mutation_kills.json); a check no mutant trips is "unproven" there.
KILLS = ROOT / "harness" / "engine" / "mutation_kills.json"


_STALE = f"{KILLS.relative_to(ROOT)} is stale for {{names}}: KIMI_UPDATE_KILLS=1 pytest tests/test_mutation.py -k kills"


def _kill_entry(name: str, violations: list[dict]) -> dict:
    return {"bug": MUTANTS[name], "checks": sorted({v["check"] for v in violations})}


def _recorded() -> dict:
    return json.loads(KILLS.read_text(encoding="utf-8")).get("mutants", {}) if KILLS.is_file() else {}


def _kills() -> dict:
    out = {}
    for name in IN_PROCESS:
        out[name] = _kill_entry(name, RESULTS[name][2] if name in RESULTS else _judged(name))
    return {"about": "which check killed each mutant of tests/mutants.py (tests/test_mutation.py)", "mutants": out}


def test_mutation_kills_are_recorded():
    """The committed record names every in-process mutant, each killed by a check; whether each
    entry is what its mutant does now is checked by its test_rule_catches_mutant. Regenerate with
    KIMI_UPDATE_KILLS=1 pytest tests/test_mutation.py -k kills"""
    if os.environ.get("KIMI_UPDATE_KILLS"):
        KILLS.write_text(json.dumps(_kills(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    recorded = _recorded()
    stale = sorted(set(IN_PROCESS) ^ set(recorded))  # a mutant added or removed since the record
    assert not stale, _STALE.format(names=stale)
    assert all(info["checks"] for info in recorded.values()), "a mutant killed by no check"


def test_unproven_checks_are_listed():
    """A check that no mutant trips is listed as unproven by the coverage summary."""
    from harness.engine.coverage import summarize

    doc = {
        "target": "reference",
        "tests": {
            "T6": {
                "moonshot/kimi-k2.6": {
                    "drawn": 1,
                    "replayed": 0,
                    "discarded": {},
                    "checks": {"T6.unique": [1, 0, 0], "T6.reshaped": [1, 0, 0]},
                    "forms": {},
                    "unreachable": [],
                }
            }
        },
    }
    rows = {r.check: r for r in summarize(doc, kills={"T6.unique": ["t6_keeps_duplicates"]}).rows}
    assert rows["T6.unique"].proven_by == ["t6_keeps_duplicates"]
    assert rows["T6.reshaped"].proven_by == []
