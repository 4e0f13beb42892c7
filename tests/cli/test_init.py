"""`kimi-conformance init` in a user's repository: a starter suite that runs, an empty divergence
file the suite reads, a CI workflow; nothing existing is ever overwritten."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from tests.child import run as run_child

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd):
    return run_child(
        ["kimi-conformance", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.integration
def test_init_writes_a_suite_that_runs_and_never_overwrites(tmp_path):
    r = cli("init", "--target", "reference", "--name", "my-gw", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    test = tmp_path / "tests" / "test_kimi_conformance.py"
    divergences = tmp_path / "tests" / "kimi-divergences.yaml"
    workflow = tmp_path / ".github" / "workflows" / "kimi-conformance.yml"
    assert test.is_file() and divergences.is_file() and workflow.is_file()
    assert "class TestMyGw(ConformanceSuite):" in test.read_text()
    assert yaml.safe_load(divergences.read_text()) == {"target": "my-gw", "entries": []}
    assert "pytest tests/test_kimi_conformance.py" in workflow.read_text()
    yaml.safe_load(workflow.read_text())  # valid YAML

    # the starter suite runs as written (here against the reference: everything passes or is n/a)
    run = run_child(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "t3 or known_divergence", str(test)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout.splitlines()[-1] and "failed" not in run.stdout.splitlines()[-1]

    # a second init keeps what is there
    test.write_text(test.read_text() + "# mine\n")
    again = cli("init", "--target", "command:./other", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.count("kept ") == 3
    assert test.read_text().endswith("# mine\n")


@pytest.mark.integration
def test_init_refuses_a_bad_name_in_one_line(tmp_path):
    r = cli("init", "--name", "my gateway!", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--name" in r.stderr
    assert not (tmp_path / "tests").exists()


def test_a_spec_holding_a_key_is_refused_and_nothing_is_written(tmp_path, capsys):
    """init writes the spec into files the user commits: a key in it would be a leaked key."""
    from harness.cli.main import main

    canary = "sk-initCanary0123456789abcdef"
    code = main(["init", "--dir", str(tmp_path), "--target", f"gw=command:python gw.py --api-key {canary}"])
    out, err = capsys.readouterr()
    assert code == 2
    assert canary not in out + err and "holds a key" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
