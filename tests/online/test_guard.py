"""A foreign `harness` (another package or a folder of the user's project) shadowing ours: pytest
and the command line stop with one line naming it, never a traceback."""

from __future__ import annotations

import os
import sys

import pytest

import kimi_conformance
from tests.child import run as run_child


def _shadowed_env(tmp_path):
    fake = tmp_path / "shadow" / "harness"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('"""some other project\'s harness"""\n')
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    return {**os.environ, "PYTHONPATH": str(tmp_path / "shadow")}, fake


def test_our_harness_is_recognised():
    assert kimi_conformance.shadowing_problem() is None
    from harness.pytest_plugin.suite_class import ConformanceSuite

    assert kimi_conformance.ConformanceSuite is ConformanceSuite


@pytest.mark.integration
def test_pytest_stops_with_one_line_when_harness_is_shadowed(tmp_path):
    env, fake = _shadowed_env(tmp_path)
    r = run_child(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--kimi-target",
            "reference",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = (r.stdout + r.stderr).strip()
    assert r.returncode != 0
    assert "Traceback" not in out
    assert "shadows it" in out and str(fake) in out
    assert len([ln for ln in out.splitlines() if "kimi-conformance" in ln]) == 1


@pytest.mark.integration
def test_cli_stops_with_one_line_when_harness_is_shadowed(tmp_path):
    env, _fake = _shadowed_env(tmp_path)
    r = run_child(
        [sys.executable, "-m", "kimi_conformance.cli", "catalog"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("error: kimi-conformance: the module `harness`") and len(r.stderr.splitlines()) == 1
