"""tests/spawn_guard.py: the guard that keeps process-starting tests out of the offline tier sees
a Popen and a warm pytest child, names the command, and lets `git` and marked tests through."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests import child, spawn_guard


@pytest.fixture
def probe(request):
    """A pretend test id for the guard to watch; the real test's id is given back afterwards."""
    spawn_guard.start("probe::test", marked=False)
    yield "probe::test"
    spawn_guard.stop("probe::test")
    spawn_guard.start(request.node.nodeid, marked=False)


def test_a_popen_is_seen_and_named(probe):
    with pytest.raises(FileNotFoundError):  # no process starts: the guard looks before Popen does
        subprocess.Popen(["/nonexistent/kimi-gateway", "--jsonl"])
    assert spawn_guard.stop(probe) == "/nonexistent/kimi-gateway --jsonl"
    assert spawn_guard.stop(probe) is None  # said once


def test_a_warm_pytest_child_is_seen_though_no_popen_starts_it(probe, monkeypatch):
    monkeypatch.setattr(child, "_take", lambda: (_ for _ in ()).throw(RuntimeError("not started")))
    with pytest.raises(RuntimeError, match="not started"):
        child.run_pytest("suites/test_t3_thinking_keep.py", "-q")
    assert spawn_guard.stop(probe) == "pytest suites/test_t3_thinking_keep.py -q"


def test_git_and_the_time_between_tests_are_not_counted(probe):
    spawn_guard.note(["git", "ls-files"])
    assert spawn_guard.stop(probe) is None
    spawn_guard.note(["node", "worker.mjs"])  # between tests (stop ended the probe): nobody to blame
    assert spawn_guard.stop(probe) is None


def test_the_complaint_names_the_test_the_command_and_the_mark(probe):
    text = spawn_guard.complaint(probe, "python -m harness.cli.main check")
    assert probe in text and "python -m harness.cli.main check" in text and "pytest.mark.integration" in text


def test_raise_mode_stops_an_unmarked_test_at_its_spawn(probe, monkeypatch):
    monkeypatch.setenv(spawn_guard.RAISE_ENV, "1")
    with pytest.raises(RuntimeError, match="not marked integration"):
        spawn_guard.note(["node", "worker.mjs"])
    spawn_guard.stop(probe)
    spawn_guard.start(probe, marked=True)
    spawn_guard.note(["node", "worker.mjs"])  # a marked test is recorded, not stopped
    assert spawn_guard.stop(probe) == "node worker.mjs"
    assert os.environ[spawn_guard.RAISE_ENV] == "1"
