"""No key reaches any file a run writes: canaries in the environment, in a target spec (its argv)
and in a target's answer; pytest writes junit, allure results, results JSON, a log file and its
cache, then `kimi-conformance matrix` writes the Markdown matrix. Every file and both terminals
are searched for the canaries."""

import os
import shutil
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from harness.targets.process import scrubbed_env
from tests.child import run as run_child

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "jsonl_target.py"
# Built so this file does not itself hold a key-shaped string.
CANARY = "sk-" + "canary"
ENV_BY_NAME = CANARY + "-env-by-name-0000"  # MOONSHOT_KEY: a provider key under an odd name
ENV_BY_SHAPE = CANARY + "-env-by-shape-0000"  # an innocuous name, a key-shaped value
IN_SPEC = CANARY + "-in-target-spec-0000"  # --kimi-target "command:gw --api-key sk-..."
# The target's own answer canaries are made inside tests/fixtures/jsonl_target.py (leak mode).


def test_target_environment_is_filtered_by_name_and_by_key_shape(monkeypatch):
    monkeypatch.setenv("MOONSHOT_KEY", ENV_BY_NAME)
    monkeypatch.setenv("KIMI_CONFORMANCE_ODD", ENV_BY_SHAPE)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_notakeyshape")
    monkeypatch.setenv("KIMI_CONFORMANCE_HARMLESS", "task-1 disk-2")
    env = scrubbed_env()
    assert "MOONSHOT_KEY" not in env and "KIMI_CONFORMANCE_ODD" not in env and "GITHUB_TOKEN" not in env
    assert env["KIMI_CONFORMANCE_HARMLESS"] == "task-1 disk-2"  # not a key: kept
    assert CANARY not in repr(env)


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_no_canary_in_any_file_a_run_writes(tmp_path, parallel):
    # under xdist the reports cross from the workers to the controller, which writes junit and results
    work = tmp_path / "run"
    shutil.copytree(ROOT / "suites", work / "suites")
    env = {
        **os.environ,
        "CI": "true",
        "MOONSHOT_KEY": ENV_BY_NAME,
        "KIMI_CONFORMANCE_ODD": ENV_BY_SHAPE,
        "MOONSHOT_API_KEY": CANARY + "-env-api-key-0000",
        "PYTHONPATH": str(ROOT),
    }
    spec = f"command:{sys.executable} {FIXTURE} leak --api-key {IN_SPEC}"
    installed = any(ep.value == "harness.pytest_plugin.plugin" for ep in entry_points(group="pytest11"))
    plugin = () if installed else ("-p", "harness.pytest_plugin.plugin")
    pytest_run = run_child(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/test_t3_thinking_keep.py",
            "suites/test_routing.py",
            *plugin,
            *parallel,
            "--import-mode=importlib",
            "-rA",
            "-v",
            "--kimi-target",
            spec,
            "--kimi-target",
            "reference",
            "--kimi-model",
            "moonshot/kimi-k2.6",
            "--junitxml",
            "out/junit.xml",
            "--alluredir",
            "out/allure-results",
            "--kimi-results-dir",
            "out/results",
            "--log-file",
            "out/run.log",
            "--log-file-level",
            "DEBUG",
            "-o",
            "cache_dir=out/cache",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    terminal = pytest_run.stdout + pytest_run.stderr
    assert pytest_run.returncode == 1, terminal[-3000:]  # the leaking target fails, the reference passes
    assert "1 passed" not in terminal or "failed" in terminal
    matrix_run = run_child(
        [sys.executable, "-m", "harness.cli.main", "matrix", "out/results", "--markdown", "out/matrix.md"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert matrix_run.returncode == 0, matrix_run.stderr

    written = [p for p in (work / "out").rglob("*") if p.is_file()]
    names = {p.relative_to(work / "out").parts[0] for p in written}
    assert {"junit.xml", "allure-results", "results", "run.log", "cache", "matrix.md"} <= names, names
    assert any(p.name.endswith("-result.json") for p in written)
    leaks = {str(p.relative_to(work)) for p in written if CANARY.encode() in p.read_bytes()}
    assert not leaks, f"canary found in {sorted(leaks)}"
    for name, text in (("pytest terminal", terminal), ("matrix terminal", matrix_run.stdout + matrix_run.stderr)):
        assert CANARY not in text, f"canary in the {name}: ...{text[text.find(CANARY) - 300 : text.find(CANARY) + 80]}"
    # The run did see the keys: the target's failure is reported, redacted.
    assert "redacted:api-key" in (work / "out" / "junit.xml").read_text()
