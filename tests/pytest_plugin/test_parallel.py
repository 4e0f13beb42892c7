"""pytest-xdist (`-n 2`): the workers' results reach one set of files written by the controller, the
same records a one-process run writes; a key in a test id crosses to the controller redacted; live
runs refuse -n (one process keeps the budget)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.child import run_pytest

pytest.importorskip("xdist")

ROOT = Path(__file__).resolve().parents[2]
CANARY = "sk-" + "canary-in-a-test-id-0000"


def _pytest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(ROOT)}
    return run_pytest("-q", "-p", "no:cacheprovider", *args, cwd=cwd, env=env)


def _records(directory: Path) -> dict[str, dict]:
    out = {}
    for path in sorted(directory.glob("results-*.json")):
        data = json.loads(path.read_text())
        out[path.name] = {
            "versions": data["versions"],
            "records": sorted((r["nodeid"], r["outcome"], r["rule"], r["model"]) for r in data["results"]),
        }
    return out


@pytest.mark.integration
def test_workers_results_are_written_once_as_one_process_writes_them(tmp_path):
    args = [
        "suites/test_t4_tool_choice.py",
        "--kimi-model",
        "moonshot/kimi-k2.6",
        "--kimi-model",
        "moonshot/kimi-k3",
    ]
    one = _pytest(*args, "--kimi-results-dir", str(tmp_path / "one"))
    two = _pytest(*args, "-n", "2", "--kimi-results-dir", str(tmp_path / "two"))
    assert one.returncode == 0, one.stdout[-2000:]
    assert two.returncode == 0, two.stdout[-2000:]
    assert _records(tmp_path / "two") == _records(tmp_path / "one") != {}
    # the end-of-run summary is printed once, by the controller, with every worker's tests
    assert two.stdout.count("kimi-conformance summary") == 1
    counts = [line for line in two.stdout.splitlines() if "regression(s)" in line]
    assert counts and "2 passed" in counts[0], counts


@pytest.mark.integration
def test_a_key_in_a_test_id_crosses_to_the_controller_redacted(tmp_path):
    (tmp_path / "test_ids.py").write_text(
        "import pytest\n"
        f"@pytest.mark.parametrize('key', [{CANARY!r}, 'other'])\n"
        "def test_key(key):\n"
        "    assert key != 'other'\n"
    )
    run = _pytest("test_ids.py", "-n", "2", "-rA", "--junitxml", "junit.xml", cwd=tmp_path)
    terminal = run.stdout + run.stderr
    assert run.returncode == 1 and "1 failed, 1 passed" in terminal, terminal[-2000:]
    assert "INTERNALERROR" not in terminal
    assert CANARY not in terminal
    assert CANARY not in (tmp_path / "junit.xml").read_text()


@pytest.mark.integration
def test_live_refuses_workers():
    run = _pytest("suites/wire", "--kimi-live", "-n", "2")
    assert run.returncode == 4, run.stdout[-1000:] + run.stderr[-1000:]
    assert "--kimi-live runs in one process" in run.stderr
