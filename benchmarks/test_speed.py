"""Speed is a feature: how fast the harness turns cases into checked requests.

Run with `tox -e bench` (pytest-benchmark). Measured, not asserted: a timed test would be flaky;
compare runs with `--benchmark-compare`.
"""

import sys
from pathlib import Path

import pytest

from harness import rules
from harness.generation.sample import examples
from harness.generation.strategies import cases
from harness.reference import transform
from harness.rules.judge import judge
from harness.targets import create


def _sample(n=40, model="moonshot/kimi-k2.6"):
    return examples(cases(model, require=("tool_history", "extra_body", "stream")), n)


CASES = _sample()


def test_reference_transform(benchmark):
    benchmark(lambda: [transform(c) for c in CASES])


def test_properties_all_rules(benchmark):
    outs = [(c, transform(c)) for c in CASES]
    ids = [r.id for r in rules.transform_rules() if r.id != "idempotence"]
    benchmark(lambda: [judge(r, c, o) for c, o in outs for r in ids])


def test_case_generation(benchmark):
    benchmark.pedantic(lambda: _sample(20), rounds=3)


@pytest.fixture(scope="module")
def command_target():
    script = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "jsonl_target.py"
    target = create(f"command:{sys.executable} {script}")
    yield target
    target.close()


def test_command_target_round_trip(benchmark, command_target):
    benchmark(lambda: [command_target.transform(c) for c in CASES])
