"""tests/child.py: a warm child is `python -m pytest` — the same exit code and output as a cold one,
its own cwd, environment and PYTHONPATH, the program named "pytest", a timeout that kills it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.child import ROOT, run_pytest


def _cold(*args: str, cwd=ROOT, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _tail(text: str) -> list[str]:  # the run's own lines, without its timing
    return [ln.split(" in ")[0] for ln in text.strip().splitlines()[-3:]]


@pytest.mark.parametrize(
    "args",
    [("test_one.py", "-q", "-p", "no:cacheprovider", "-rA"), ("test_one.py", "-q", "--no-such-option")],
    ids=["passing-and-failing", "argparse-error"],
)
@pytest.mark.integration
def test_a_warm_child_answers_as_a_cold_one(tmp_path, args):
    # a small test file (the harness's plugin still loads, by its entry point): the mechanism is
    # what is compared, and a cold child is what every test here avoids paying for
    (tmp_path / "test_one.py").write_text("def test_ok():\n    pass\n\ndef test_bad():\n    assert 1 == 2\n")
    warm, cold = run_pytest(*args, cwd=tmp_path), _cold(*args, cwd=tmp_path)
    assert warm.returncode == cold.returncode != 0
    assert _tail(warm.stdout) == _tail(cold.stdout)
    assert warm.stderr.splitlines()[:2] == cold.stderr.splitlines()[:2]  # e.g. "usage: pytest [options] ..."


@pytest.mark.integration
def test_cwd_environment_and_pythonpath_are_the_childs(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "probe_mod.py").write_text("VALUE = 'from PYTHONPATH'\n")
    (tmp_path / "test_probe.py").write_text(
        "import os, probe_mod\n"
        "def test_probe():\n"
        "    assert os.getcwd() == os.environ['WANT_CWD']\n"
        "    assert os.environ.get('KIMI_CHILD_PROBE') == 'yes' and 'KIMI_NOT_GIVEN' not in os.environ\n"
        "    assert probe_mod.VALUE == 'from PYTHONPATH'\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KIMI_NOT_GIVEN"}
    env.update(KIMI_CHILD_PROBE="yes", WANT_CWD=str(tmp_path), PYTHONPATH=str(tmp_path / "lib"))
    os.environ["KIMI_NOT_GIVEN"] = "1"  # in the caller, not in the child's environment
    try:
        r = run_pytest("test_probe.py", "-q", "-p", "no:cacheprovider", cwd=tmp_path, env=env)
    finally:
        del os.environ["KIMI_NOT_GIVEN"]
    assert r.returncode == 0, r.stdout[-2000:]


@pytest.mark.integration
def test_a_child_past_its_timeout_is_killed(tmp_path):
    (tmp_path / "test_hang.py").write_text("import time\ndef test_hang():\n    time.sleep(60)\n")
    with pytest.raises(subprocess.TimeoutExpired):
        run_pytest("test_hang.py", "-q", "-p", "no:cacheprovider", cwd=tmp_path, timeout=0.5)
    # and the next run is served (by a fresh warm process)
    assert run_pytest("--version").returncode == 0
