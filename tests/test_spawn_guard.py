"""tests/spawn_guard.py: the guard that keeps process-starting tests out of the offline tier sees
a Popen and a warm pytest child, names the command, and lets `git` and marked tests through."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests import child, spawn_guard

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


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


def test_an_unmarked_test_running_whole_sessions_is_refused_and_a_marked_one_passes():
    refused = spawn_guard.session_complaint("t.py::test_x", ["suites", "pytester", "tmp_path"], marked=False)
    assert refused and "t.py::test_x" in refused and "pytest.mark.integration" in refused
    assert spawn_guard.session_complaint("t.py::test_x", ["testdir"], marked=False)  # the legacy name too
    assert spawn_guard.session_complaint("t.py::test_x", ["suites", "pytester"], marked=True) is None
    assert spawn_guard.session_complaint("t.py::test_x", ["tmp_path", "monkeypatch"], marked=False) is None


INNER = """
import pytest

def test_unmarked(pytester):
    pass

@pytest.mark.integration
def test_marked(pytester):
    pass

@pytest.fixture
def sandbox(pytester):  # asked for through another fixture: still a whole session
    return pytester

def test_unmarked_through_a_fixture(sandbox):
    pass

def test_plain():
    pass
"""


@pytest.mark.integration
def test_the_rule_holds_in_a_session_with_this_conftest(pytester):
    pytester.syspathinsert(ROOT)
    pytester.makeconftest(
        "from tests.conftest import pytest_configure, pytest_runtest_setup, pytest_runtest_teardown\n"
        "pytest_plugins = ['pytester']\n"
    )
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-o", "addopts=")
    outcomes = {
        r.head_line: r.outcome for r in result.reprec.getreports("pytest_runtest_logreport") if r.when == "setup"
    }
    assert outcomes == {
        "test_unmarked": "failed",
        "test_marked": "passed",
        "test_unmarked_through_a_fixture": "failed",
        "test_plain": "passed",
    }
