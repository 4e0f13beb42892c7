"""No key reaches any file a run writes: canaries in the environment, in a target spec (its argv)
and in a target's answer; pytest writes junit, allure results (and environment.properties),
results JSON, summary.md, a log file and its cache, then `kimi-conformance matrix` writes the
Markdown matrix. Every file and both terminals are searched for the canaries.

Two kinds of canary: `sk-` shaped keys (redacted by shape), and secrets that only their position
says are secret (`POSITIONAL`: a `--token=` value in a target spec, the value of $FOO_TOKEN, a
`SESSION_SECRET=` assignment in a target's stderr) — none of these looks like a key."""

import os
import shutil
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from harness.targets.process import scrubbed_env
from tests.child import run as run_child

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "jsonl_target.py"
# Built so this file does not itself hold a key-shaped string.
CANARY = "sk-" + "canary"
ENV_BY_NAME = CANARY + "-env-by-name-0000"  # MOONSHOT_KEY: a provider key under an odd name
ENV_BY_SHAPE = CANARY + "-env-by-shape-0000"  # an innocuous name, a key-shaped value
IN_SPEC = CANARY + "-in-target-spec-0000"  # --kimi-target "command:gw --api-key sk-..."
# The target's own answer canaries are made inside tests/fixtures/jsonl_target.py (leak mode).
POSITIONAL = "pos" + "canary"  # in every canary below; no `sk-` shape
BY_OPTION = "ghp_" + POSITIONAL + "-spec-0001"  # --kimi-target "command:gw --token=ghp_..."
BY_ENV_NAME = POSITIONAL + "-foo-token-0002"  # FOO_TOKEN; the spec holds it too, as a bare argument
# tests/fixtures/secret_stderr_target.py writes SESSION_SECRET=poscanary-stderr-0003 to its stderr
STDERR_TARGET = ROOT / "tests" / "fixtures" / "secret_stderr_target.py"


def test_target_environment_is_filtered_by_name_and_by_key_shape(monkeypatch):
    monkeypatch.setenv("MOONSHOT_KEY", ENV_BY_NAME)
    monkeypatch.setenv("KIMI_CONFORMANCE_ODD", ENV_BY_SHAPE)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_notakeyshape")
    monkeypatch.setenv("KIMI_CONFORMANCE_HARMLESS", "task-1 disk-2")
    env = scrubbed_env()
    assert "MOONSHOT_KEY" not in env and "KIMI_CONFORMANCE_ODD" not in env and "GITHUB_TOKEN" not in env
    assert env["KIMI_CONFORMANCE_HARMLESS"] == "task-1 disk-2"  # not a key: kept
    assert CANARY not in repr(env)


@pytest.mark.integration
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
        "FOO_TOKEN": BY_ENV_NAME,
        "PYTHONPATH": str(ROOT),
    }
    spec = f"command:{sys.executable} {FIXTURE} leak --api-key {IN_SPEC}"
    # no alias: the spec is the target's name, shown in every id, label and message
    by_position = f"command:{sys.executable} {STDERR_TARGET} --token={BY_OPTION} {BY_ENV_NAME}"
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
            by_position,
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
    assert (work / "out" / "results" / "summary.md").is_file()
    assert (work / "out" / "allure-results" / "environment.properties").is_file()
    for canary in (CANARY, POSITIONAL):
        leaks = {str(p.relative_to(work)) for p in written if canary.encode() in p.read_bytes()}
        assert not leaks, f"canary {canary} found in {sorted(leaks)}"
        for name, text in (("pytest terminal", terminal), ("matrix terminal", matrix_run.stdout + matrix_run.stderr)):
            at = text.find(canary)
            assert at < 0, f"canary in the {name}: ...{text[at - 300 : at + 80]}"
    # The position-only secrets were met: the stderr target's failures show its stderr, redacted.
    junit = (work / "out" / "junit.xml").read_text()
    assert "SESSION_SECRET=&lt;redacted&gt;" in junit or "SESSION_SECRET=<redacted>" in junit
    # The run did see the keys: the target's failure is reported, redacted.
    assert "redacted:api-key" in junit


@pytest.mark.integration  # runs whole pytest sessions (pytester)
def test_logs_are_scrubbed_by_shape_position_and_value(pytester, monkeypatch):
    """What a test or the harness logs goes through the same scrubber: the --log-file, live logs
    and the captured log a report shows (-rA)."""
    monkeypatch.setenv("FOO_TOKEN", BY_ENV_NAME)
    monkeypatch.setenv("CANARY_OPTION_VALUE", BY_OPTION)  # an innocent name: found by position only
    monkeypatch.setenv("CANARY_KEY_SHAPE", CANARY + "-in-a-log-000")
    pytester.makepyfile(
        test_logs="""
        import logging, os

        def test_it():
            log = logging.getLogger("harness.targets")
            log.warning("spawned gw --token=%s for %s", os.environ["CANARY_OPTION_VALUE"], "x")
            log.warning("env value %s, key %s", os.environ["FOO_TOKEN"], os.environ["CANARY_KEY_SHAPE"])
        """
    )
    installed = any(ep.value == "harness.pytest_plugin.plugin" for ep in entry_points(group="pytest11"))
    plugin = () if installed else ("-p", "harness.pytest_plugin.plugin")
    log_file = pytester.path / "run.log"
    result = pytester.runpytest(
        *plugin, "-p", "no:cacheprovider", "-rA", f"--log-file={log_file}", "--log-cli-level=INFO"
    )
    result.assert_outcomes(passed=1)
    written = log_file.read_text()
    assert "--token=<redacted>" in written and "env value <redacted>" in written
    assert "Captured log call" in result.stdout.str()
    for text in (written, result.stdout.str()):
        assert POSITIONAL not in text and CANARY not in text
