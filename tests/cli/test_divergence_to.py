"""`kimi-conformance divergence add --to FILE`: your known divergences go into your own file, keyed
by your target's name, and that file then turns the failure into a known divergence; the
installed package is never written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.child import run as run_child

ROOT = Path(__file__).resolve().parents[2]
TARGET = "mine=python:tests.mutants:t3_keep_everywhere"
CASE = {
    "model": "moonshot/kimi-k2.5",
    "thinking": "high",
    "params": {"thinking": {"type": "enabled", "keep": "all"}},
    "request": {"messages": [{"role": "user", "content": "hi"}]},
}


def cmd(*args, cwd=ROOT):
    return run_child(list(args), cwd=cwd, capture_output=True, text=True, timeout=300, env=None)


@pytest.mark.integration
def test_add_to_your_file_then_the_suite_knows_it(tmp_path):
    failure = tmp_path / "failure.json"
    failure.write_text(json.dumps(CASE))
    mine = tmp_path / "kimi-divergences.yaml"
    r = cmd("kimi-conformance", "divergence", "add", "--target", TARGET, "--from", str(failure), "--to", str(mine))
    assert r.returncode == 0, r.stderr
    data = yaml.safe_load(mine.read_text())
    assert data["target"] == "mine" and data["entries"], data  # keyed by the name, never by the kind
    assert all(e["id"].startswith("mine-") and (tmp_path / e["case"]).is_file() for e in data["entries"])

    # the file now explains the failure: every violation of the case is covered by one of its entries
    from harness.catalog import builtin
    from harness.divergences.model import Divergences
    from harness.engine.replay import violations
    from harness.targets import create

    target = create(TARGET, catalog=builtin())
    try:
        found = violations(["T3"], target, CASE, builtin())
        coverage = Divergences.for_target(target.name, [mine]).cover(found, CASE)
    finally:
        target.close()
    assert found and coverage.uncovered == [] and {d.file for _, d in coverage.covered} == {str(mine)}

    # a second add of the same case finds it covered, and the file keeps its entries
    again = cmd("kimi-conformance", "divergence", "add", "--target", TARGET, "--from", str(failure), "--to", str(mine))
    assert again.returncode == 0 and "covered by an existing entry" in again.stderr
    assert yaml.safe_load(mine.read_text()) == data


def test_an_installed_package_is_never_written(tmp_path, monkeypatch):
    from harness.cli import divergence

    assert divergence._installed(Path("/usr/lib/python3/site-packages/harness/divergences"))
    assert not divergence._installed(ROOT / "harness" / "divergences")


@pytest.mark.integration
def test_pin_your_own_file_and_never_the_shipped_ones(tmp_path):
    """`divergence pin --divergences FILE` writes `sends:` pins into your entries only."""
    failure = tmp_path / "failure.json"
    failure.write_text(json.dumps(CASE))
    mine = tmp_path / "kimi-divergences.yaml"
    assert (
        cmd(
            "kimi-conformance", "divergence", "add", "--target", TARGET, "--from", str(failure), "--to", str(mine)
        ).returncode
        == 0
    )
    # drafted without pins, as a hand-written entry may be
    data = yaml.safe_load(mine.read_text())
    for e in data["entries"]:
        e.pop("sends", None)
    mine.write_text(yaml.safe_dump(data, sort_keys=False))
    shipped = {p: p.read_bytes() for p in (ROOT / "harness" / "divergences").glob("*.yaml")}

    r = cmd("kimi-conformance", "divergence", "pin", "--target", TARGET, "--divergences", str(mine))
    assert r.returncode == 0, r.stderr
    pinned = yaml.safe_load(mine.read_text())["entries"]
    assert pinned and all(e.get("sends") for e in pinned), pinned
    assert {p: p.read_bytes() for p in shipped} == shipped  # the install's files are left alone

    missing = cmd(
        "kimi-conformance", "divergence", "pin", "--target", TARGET, "--divergences", str(mine), "--id", "nope"
    )
    assert missing.returncode == 2 and missing.stderr.strip() == f"error: no entry nope for mine in {mine}"
