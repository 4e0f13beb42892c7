"""`--kimi-shard I/N` and `-n 2` give the verdicts of one serial run: the same test ids, outcomes,
violations and contract coverage once the parts are merged (`kimi-conformance merge`). A deliberately
incomplete merge (two shards of three) is shown to differ, so the comparison can fail."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from harness.pytest_plugin import shard
from tests.child import run_pytest

ROOT = Path(__file__).resolve().parents[2]
BROKEN = "--kimi-target=python:tests.mutants:t3_keep_everywhere"  # fails T3 on some models: failures to compare
SUITES = ("suites/test_t3_thinking_keep.py", "suites/test_t6_tool_call_ids.py", "suites/test_known_divergences.py")
# four models, not the catalog's seventeen: the mutant passes T3 on K2.6 (keep) and fails it on K2.5; eight
# tests fill all three shards of either target (each run and shard is a pytest session of its own)
MODELS = [
    f"--kimi-model={m}" for m in ("moonshot/kimi-k2.6", "moonshot/kimi-k2.5", "moonshot/kimi-k3", "kimi/kimi-k2p5")
]


def _pytest(*args: str) -> subprocess.CompletedProcess:
    # PYTHONHASHSEED=0 as in every tox env: the draws of the fixed-seed `ci` profile must not move with it
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"}
    return run_pytest("-q", "-p", "no:cacheprovider", *args, cwd=ROOT, env=env)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["kimi-conformance", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def verdicts(directory: Path, coverage: bool = True) -> dict[str, object]:
    """What must be equal: per results file its test ids, outcomes and violations (rule, check,
    path); per contract coverage file the tests it counted (every worker's and every shard's), with
    `coverage` also the cases each drew. Not the finer counts: a failure is shrunk and its minimal case
    replayed on the other models of its process, which adds cases where tests share a process."""
    out: dict[str, object] = {}
    for path in sorted(directory.glob("results-*.json")):
        data = json.loads(path.read_text())
        out[path.name] = sorted(
            (r["nodeid"], r["outcome"], sorted((v["rule"], v["check"], v["path"]) for v in r["violations"]))
            for r in data["results"]
        )
    for path in sorted(directory.glob("coverage-*.json")):
        tests = json.loads(path.read_text())["tests"]
        out[path.name] = {
            rule: {model: t["drawn"] if coverage else None for model, t in models.items()}
            for rule, models in tests.items()
        }
    return out


def _sharded(tmp_path: Path, args: list[str], count: int) -> list[Path]:
    parts = []
    for i in range(1, count + 1):
        part = tmp_path / f"shard-{i}"
        r = _pytest(*args, "--kimi-shard", f"{i}/{count}", "--kimi-results-dir", str(part))
        assert r.returncode in (0, 1), r.stdout[-2000:] + r.stderr[-2000:]
        assert f"deselected: in another shard than {i}/{count}" in r.stdout  # said, with the count
        parts.append(part)
    return parts


@pytest.mark.parametrize("target", ["--kimi-target=reference", BROKEN])
@pytest.mark.integration
def test_three_shards_merged_and_two_workers_give_the_serial_verdicts(tmp_path, target):
    args = [*SUITES, *MODELS, target]
    one = _pytest(*args, "--kimi-results-dir", str(tmp_path / "one"))
    assert one.returncode == (1 if target == BROKEN else 0), one.stdout[-2000:]
    counts = target != BROKEN
    serial = verdicts(tmp_path / "one", counts)
    failed = [t for recs in serial.values() if isinstance(recs, list) for t in recs if t[1] == "failed"]
    assert bool(failed) == (target == BROKEN)  # the broken target's failures are among what is compared

    parts = _sharded(tmp_path, args, 3)
    merged = _cli("merge", *map(str, parts), "--out", str(tmp_path / "merged"))
    assert merged.returncode == 0, merged.stderr
    assert verdicts(tmp_path / "merged", counts) == serial
    # the same run: identical records give the identical run id
    for path in (tmp_path / "one").glob("results-*.json"):
        assert (
            json.loads((tmp_path / "merged" / path.name).read_text())["run_id"]
            == json.loads(path.read_text())["run_id"]
        )
    # the readers take the parts directly too: nothing changed from the serial run to the shards
    compared = _cli("compare", str(tmp_path / "one"), "--to", *map(str, parts))
    assert compared.returncode == 0 and "**0 regression(s)**" in compared.stdout, compared.stdout + compared.stderr

    # deliberately broken: a merge missing one shard is not the run
    incomplete = _cli("merge", str(parts[0]), str(parts[1]), "--out", str(tmp_path / "two-of-three"))
    assert incomplete.returncode == 0
    assert verdicts(tmp_path / "two-of-three", counts) != serial

    workers = _pytest(*args, "-n", "2", "--kimi-results-dir", str(tmp_path / "xdist"))
    assert workers.returncode == one.returncode, workers.stdout[-2000:]
    assert verdicts(tmp_path / "xdist", counts) == serial


def test_every_test_is_in_exactly_one_shard_and_the_split_is_stable():
    keys = [("openclaw", rule, f"moonshot/m{i}", "1") for rule in ("T1", "T3", "T6") for i in range(20)]
    for count in (1, 2, 3, 5):
        parts = [shard.part_of(k, count) for k in keys]
        assert set(parts) <= set(range(1, count + 1))
        if count > 1:
            assert len(set(parts)) == count  # 60 keys fill every part
    # sha256, not Python's salted hash: the same part on every machine, in every process
    assert shard.part_of(("openclaw", "T3", "moonshot/kimi-k2.6", "1"), 3) == shard.part_of(
        ("openclaw", "T3", "moonshot/kimi-k2.6", "1"), 3
    )
    assert [shard.part_of(("t", "T3", "m", s), 7) for s in "123456"] != [shard.part_of(("t", "T3", "m", "1"), 7)] * 6


@pytest.mark.parametrize("spec", ["0/3", "4/3", "1/0", "x", "1-3", "", "2/"])
@pytest.mark.integration
def test_a_bad_shard_is_one_line_exit_4(spec):
    with pytest.raises(pytest.UsageError, match="--kimi-shard"):
        shard.parse(spec)
    if spec in ("4/3", "x"):  # the whole path once: pytest's usage error, no traceback
        r = _pytest("suites/test_t3_thinking_keep.py", "--kimi-shard", spec)
        assert r.returncode == 4
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("ERROR: --kimi-shard")
        assert "--kimi-shard" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.integration
def test_openclaw_under_two_workers_gives_the_serial_verdicts(tmp_path):
    from harness.targets.node import install

    if not install.is_installed("openclaw", install.default_cache_dir("openclaw")):
        pytest.skip("openclaw not installed, run: python -m harness.targets.node.install openclaw")
    args = ["suites/test_t3_thinking_keep.py", "--kimi-target=openclaw"]
    args += ["--kimi-model", "moonshot/kimi-k2.6", "--kimi-model", "moonshot/kimi-k3"]
    one = _pytest(*args, "--kimi-results-dir", str(tmp_path / "one"))
    assert one.returncode == 0, one.stdout[-2000:]
    # verdicts only: OpenClaw meets known divergences, whose causes are replayed on the other models of
    # their process, so the coverage counts depend on which tests share a process
    serial = verdicts(tmp_path / "one", coverage=False)
    workers = _pytest(*args, "-n", "2", "--kimi-results-dir", str(tmp_path / "xdist"))
    assert workers.returncode == 0, workers.stdout[-2000:]
    assert verdicts(tmp_path / "xdist", coverage=False) == serial != {}
    # shards select tests and merge results alike for every target: the test above shows it (an
    # OpenClaw session costs ~5 s of CPU to start, one per shard)
