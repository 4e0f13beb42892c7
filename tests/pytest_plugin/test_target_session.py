"""A run ends fast when a target is gone, and a target that answers out of turn fails every test
it touches (harness.pytest_plugin.targets, the target protocol's id pairing)."""

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.pytest_plugin.test_plugin import ROOT, run

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.integration  # every test runs whole pytest sessions (tests/spawn_guard.py)
FIXTURE = Path(__file__).parents[1] / "fixtures" / "jsonl_target.py"
SUITE = "suites/test_t8_stream_usage.py"  # one test per catalog model


@pytest.fixture
def suites(pytester):
    shutil.copytree(ROOT / "suites", pytester.path / "suites")
    pytester.syspathinsert(ROOT)
    return pytester


def jsonl(mode: str) -> str:
    return f"command:{sys.executable} {FIXTURE} {mode}"


def outcomes(result) -> dict:
    return result.parseoutcomes()


def test_a_dead_target_is_one_error_and_ends_the_run_at_once(suites):
    started = time.monotonic()
    result = run(suites, SUITE, "--kimi-target", "command:/nope/gw", "--kimi-target-timeout", "5", "-rs")
    elapsed = time.monotonic() - started
    counts = outcomes(result)
    assert counts.get("errors") == 1 and counts.get("skipped", 0) >= 10, counts
    assert "passed" not in counts and "failed" not in counts
    result.stdout.fnmatch_lines(
        [
            "*target 'command:/nope/gw' is not available*cannot start '/nope/gw'*",
            "*not run: target 'command:/nope/gw' is not available*",
        ]
    )
    assert elapsed < 2 * 5, f"{elapsed:.1f}s"


def test_an_unimportable_python_target_is_one_error_not_an_internal_error(suites):
    result = run(suites, SUITE, "--kimi-target", "python:nonexistent:fn")
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    counts = outcomes(result)
    assert counts.get("errors") == 1 and counts.get("skipped", 0) >= 10, counts
    result.stdout.fnmatch_lines(["*cannot import 'nonexistent' for target python:nonexistent:fn*"])


def test_a_hung_target_is_marked_broken_after_three_timeouts(suites):
    started = time.monotonic()
    result = run(suites, SUITE, "--kimi-target", jsonl("hang-all"), "--kimi-target-timeout", "0.5", "-rs")
    elapsed = time.monotonic() - started
    counts = outcomes(result)
    # 3 timeouts in a row, wherever they fall (Hypothesis replays a failing example): at most 3
    # tests fail, the rest are not run.
    assert 1 <= counts.get("failed", 0) <= 3 and counts["skipped"] >= 10, counts
    assert "passed" not in counts
    result.stdout.fnmatch_lines(["*marked broken after 3 consecutive timeouts*no answer to a case within 0.5s*"])
    assert elapsed < 30, f"{elapsed:.1f}s"  # 3 timeouts, not one per example and per test


def test_a_target_that_dies_on_malformed_cases_is_judged_for_them_and_not_marked_broken(suites):
    # the 9 malformed cases of the `errors` suite in a row each end the process: each is that
    # suite's errors.crashed, never a count towards "broken" (the T8 tests after it run and pass)
    from harness.rules.errors import bad_cases

    result = run(suites, "suites/test_errors.py", SUITE, "--kimi-target", jsonl("die-on-malformed"))
    counts = outcomes(result)
    assert counts.get("failed") == len(bad_cases()) and counts.get("passed", 0) >= 10, counts
    assert "marked broken" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*errors.crashed*"])


def test_a_crash_on_a_valid_case_is_that_tests_failure_with_a_reproduce_line(suites):
    # dies on every K2.7 case, answers the others (K2.6's tests come first): never "broken"; each failing
    # test says what the target did (its exit, its stderr) with the case and a Reproduce line, no harness frames
    result = run(suites, SUITE, "--kimi-target", jsonl("die-on-k2.7"))
    counts = outcomes(result)
    assert counts.get("failed", 0) >= 2 and counts.get("passed", 0) >= 5, counts
    out = result.stdout.str()
    assert "marked broken" not in out
    result.stdout.fnmatch_lines(
        [
            "*T8 on * failed on this case*the process exited (code 3) during a case*",
            "Reproduce: kimi-conformance check *",
        ]
    )
    assert "engine/conformance.py" not in out and "reproduce_failure" not in out


def test_max_timeouts_is_an_option(suites):
    result = run(
        suites,
        SUITE,
        "--kimi-target",
        jsonl("hang-all"),
        "--kimi-target-timeout",
        "0.3",
        "--kimi-target-max-timeouts",
        "1",
        "-rs",
        "--kimi-model",
        "moonshot/kimi-k2.6",
        "--kimi-model",
        "moonshot/kimi-k2.5",
    )
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*marked broken after 1 consecutive timeouts*", "*SKIPPED*not run*"])


@pytest.mark.parametrize("value", ["-1", "0", "soon"])
def test_target_timeout_must_be_positive(suites, value):
    result = run(suites, SUITE, f"--kimi-target-timeout={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument --kimi-target-timeout*"])
    assert "Traceback" not in result.stderr.str()


def test_a_target_one_line_behind_fails_every_test_it_touches(suites):
    # every answer written twice: the stale copy breaks the next case, the restarted process answers
    # the one after: never two protocol errors in a row, so never broken, but no test passes
    result = run(
        suites,
        "suites/test_t3_thinking_keep.py",
        "suites/test_t4_tool_choice.py",
        "--kimi-target",
        jsonl("repeat"),
        "--kimi-model",
        "moonshot/kimi-k2.6",
        "--kimi-model",
        "moonshot/kimi-k2.5",
    )
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*protocol error: sent a case with id *"])
    assert "marked broken" not in result.stdout.str()


@pytest.mark.parametrize("mode", ["banner", "no-id"])
def test_a_target_that_breaks_the_protocol_on_every_case_is_marked_broken(suites, mode, tmp_path):
    """A banner on stdout (every answer one line behind) or answers without their id: each case was
    one failure and one restart, for every test. Now, like a hung target, it is marked broken after
    --kimi-target-max-timeouts consecutive protocol errors and its remaining tests are not run."""
    out = tmp_path / "res"
    result = run(
        suites,
        "suites/test_t3_thinking_keep.py",
        "suites/test_t4_tool_choice.py",
        "--kimi-target",
        f"gw={jsonl(mode)}",
        "--kimi-model",
        "moonshot/kimi-k2.6",
        "--kimi-model",
        "moonshot/kimi-k2.5",
        "--kimi-target-max-timeouts",
        "2",
        "--kimi-results-dir",
        str(out),
        "-rs",
    )
    result.assert_outcomes(failed=1, skipped=3)
    result.stdout.fnmatch_lines(
        [
            "*marked broken after 2 consecutive timeouts, lost processes or protocol errors*",
            "*not run: target 'gw' is not available: marked broken*",
        ]
    )
    records = json.loads((out / "results-gw.json").read_text())["results"]
    assert sorted(r["outcome"] for r in records) == ["failed", "skipped", "skipped", "skipped"]
    assert all(r["reason"].startswith("not run: ") for r in records if r["outcome"] == "skipped")


def test_the_same_target_answering_in_turn_passes(suites):
    result = run(
        suites, "suites/test_t3_thinking_keep.py", "--kimi-target", jsonl("ok"), "--kimi-model", "moonshot/kimi-k2.6"
    )
    result.assert_outcomes(passed=1)


def test_not_run_tests_are_recorded_with_their_cause(suites, tmp_path):
    out = tmp_path / "res"
    run(suites, SUITE, "--kimi-target", "gw=command:/nope/gw", "--kimi-results-dir", str(out))
    records = json.loads((out / "results-gw.json").read_text())["results"]
    outcomes = sorted({(r["outcome"], r["reason"].split(":")[0]) for r in records})
    assert outcomes == [("failed", ""), ("skipped", "not run")], outcomes  # the one error: its setup failed
    assert all("cannot start '/nope/gw'" in r["reason"] for r in records if r["outcome"] == "skipped")


SLOW = Path(__file__).parents[1] / "fixtures" / "slow_target.py"
NOTICE = "kimi-conformance: target 'slow' takes * s per case: its 2 tests (up to * cases each*) will take about *"


def slow_run(suites, threshold: str, *extra: str):
    return run(
        suites,
        SUITE,
        "--kimi-target",
        f"slow=command:{sys.executable} {SLOW} 0.01",
        "--kimi-model",
        "moonshot/kimi-k2.6",
        "--kimi-model",
        "moonshot/kimi-k2.5",
        "--kimi-slow-target-notice",
        threshold,
        *extra,
    )


def test_a_slow_target_says_so_once_with_its_pace_and_how_to_narrow_the_run(suites):
    result = slow_run(suites, "0.2")  # 2 tests x 25 cases x 0.01 s: over half a second
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([NOTICE + "To narrow the run: --kimi-model REF*a suite file*the ci profile*"])
    assert result.stdout.str().count("takes ") == 1  # once per target per session, not per test


def test_a_target_within_the_threshold_says_nothing(suites):
    result = slow_run(suites, "1000")
    result.assert_outcomes(passed=2)
    assert "s per case" not in result.stdout.str()


def test_under_xdist_the_notice_is_said_once_by_the_controller(suites):
    pytest.importorskip("xdist")
    result = slow_run(suites, "0.2", "-n", "2")  # each worker notices; the controller says it once
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*target 'slow' takes * s per case: its 2 tests (up to * cases each, 2 workers)*"])
    assert result.stdout.str().count("s per case") == 1
