"""Deep-search throughput of a real target: judged examples per second of the property suites under the
`deep` profile, in one process and with two pytest-xdist workers, on a fixed example budget and
without shrinking (the search, not the minimizing of what it found).

The run is the one `tox -e deep` makes (`pytest suites --kimi-target T --hypothesis-profile=deep
--hypothesis-seed=S`), but every test stops at `--deep-examples` examples (the `bench-deep` profile
this module registers when pytest loads it with `-p benchmarks.deep`) and the wire suites, which do
not run the target, are left out. The examples are counted, not assumed: the contract coverage files
the run writes (`coverage-<target>.json`: cases drawn and replayed per rule and model). The figure is
wall time over the whole pytest run — start-up, collection and the Node workers' start included,
which is what a user waits for — so the ratio of two workers to one is what `-n 2` buys.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILE = "bench-deep"
BUDGET_ENV = "KIMI_BENCH_DEEP_EXAMPLES"
# the targets `tox -e deep` searches, as the bench names their figures
REAL = {"openclaw": "openclaw", "pi-ai": "pi_ai", "litellm": "litellm", "pydantic-ai": "pydantic_ai"}


def _register() -> None:
    """The `deep` profile with a fixed number of examples per test (pytest -p benchmarks.deep)."""
    from hypothesis import Phase, settings

    from harness.pytest_plugin import profiles

    profiles.register()
    budget = int(os.environ.get(BUDGET_ENV, "20"))
    # No shrinking: a failure found (a divergence no entry lists yet) would spend up to 20 s shrinking,
    # and more under xdist, where a cause found in one worker is not replayed in the other; the
    # figure is the search's throughput, whatever the divergence files say that day.
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    settings.register_profile(PROFILE, parent=settings.get_profile("deep"), max_examples=budget, phases=phases)


if os.environ.get(BUDGET_ENV):  # loaded by the bench's pytest runs (and their xdist workers) only
    _register()


def examples(results: Path) -> int:
    """Cases judged in a run (drawn and replayed), from its contract coverage files."""
    total = 0
    for path in results.glob("coverage-*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for models in doc["tests"].values():
            total += sum(int(t.get("drawn", 0)) + int(t.get("replayed", 0)) for t in models.values())
    return total


def command(target: str, workers: int, seed: int, results: Path) -> list[str]:
    suites = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "suites").glob("test_*.py"))
    cmd = [sys.executable, "-m", "pytest", *suites, "-q", "-p", "no:cacheprovider", "-p", "benchmarks.deep"]
    cmd += [f"--kimi-target={target}", f"--hypothesis-profile={PROFILE}", f"--hypothesis-seed={seed}"]
    cmd += ["--kimi-results-dir", str(results)]
    # worksteal, as tox -e deep runs: a few tests take far longer than the rest
    return cmd + (["-n", str(workers), "--dist", "worksteal"] if workers > 1 else [])


def throughput(target: str, workers: int, budget: int, seed: int = 1) -> tuple[float, int, float, str]:
    """(examples/s, examples, seconds, pytest's last line) of one run with `workers` processes; the
    last line also says the CPU seconds the run's processes used (Node workers included), so a
    scaling figure can be told from a machine whose cores were busy with others."""
    env = {**os.environ, BUDGET_ENV: str(budget), "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)  # CI=true would load the `ci` profile's settings first; the profile is given
    with tempfile.TemporaryDirectory(prefix="kimi-bench-deep-") as tmp:
        results = Path(tmp) / "results"
        start, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(
            command(target, workers, seed, results), cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
        n = examples(results)
    last = (done.stdout.strip().splitlines() or [f"exit {done.returncode}"])[-1].strip("= ")
    if done.returncode not in (0, 1) or n == 0:
        raise RuntimeError(f"{target} with {workers} worker(s): exit {done.returncode}, {n} examples: {last}")
    return n / seconds, n, seconds, f"{last}; {cpu:.0f} CPU s"


def _children_cpu() -> float:
    """User + system seconds of this process's finished children and theirs (a run's whole tree)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
