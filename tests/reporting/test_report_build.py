"""The main job's report (issue 28): `tox -e report` builds this run's report, matrix and summary
before anything can fail and ends 1 for a failing run after writing them; the run's identity comes
from the run being reported; the report opens from disk; `report serve` serves it on loopback.

Most builds here use hand-made runs (tests/reporting/fake_runs.py): Allure results plus the run
file the plugin writes. tests/reporting/test_report.py runs real suites.
"""

from __future__ import annotations

import configparser
import json
import os
import shlex
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from harness.reporting import report_files, run_identity, runs
from harness.reporting.offline import offline_problems
from tests.reporting.fake_runs import allure_or_skip, browser_or_skip, make_run

ROOT = Path(__file__).resolve().parents[2]


def _build(tmp: Path, *extra: str, results_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    cmd = [
        sys.executable,
        "-m",
        "harness.reporting.build",
        "--results",
        str(tmp / "allure-results"),
        "--out",
        str(tmp / "allure-report"),
        "--history",
        str(tmp / "history.jsonl"),
        "--results-dir",
        str(results_dir or tmp / "results"),
        "--matrix",
        str(tmp / "matrix.md"),
        "--summary",
        str(tmp / "summary.md"),
        "--fail-on-failures",
        *extra,
    ]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


# ----------------------------------------------------------------------------------- 1. the tox env
def _report_env() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(ROOT / "tox.ini", encoding="utf-8")
    return cp["testenv:report"]


def test_the_report_env_builds_this_run_before_anything_can_fail():
    """Two commands: the suites, whose exit code tox ignores (`-`), then the build, which decides the
    env's exit code. Nothing runs between them (the harness's own tests were there once, and a
    failure among them left the previous report and summary in place)."""
    env = _report_env()
    commands = [line.strip() for line in env["commands"].splitlines() if line.strip()]
    assert len(commands) == 2, commands
    suites, build = commands
    assert suites.startswith("- pytest suites ") and "--alluredir reports/allure-results" in suites
    assert "--kimi-results-dir reports/results" in suites
    argv = shlex.split(build)
    assert argv[:3] == ["python", "-m", "harness.reporting.build"]
    for option in ("--fail-on-failures", "--summary", "--matrix", "--browser-check", "--results-dir"):
        assert option in argv, option
    assert "--multi-file" not in argv, "the default output opens from disk"
    assert not any("tests/" in c for c in commands), "the harness's own tests run in tox -e py"
    # the previous run's Allure results go before the suites run: a run that never starts builds nothing
    assert "--clear-results" in env["commands_pre"]


@pytest.mark.integration
def test_a_failing_run_replaces_the_stale_report_and_ends_1(tmp_path):
    allure_or_skip()
    out, summary = tmp_path / "allure-report", tmp_path / "summary.md"
    out.mkdir()
    (out / "index.html").write_text("<html><body>STALE REPORT</body></html>")
    summary.write_text("## kimi-conformance summary\n\nnow 0 failing\n")
    (tmp_path / "matrix.md").write_text("# stale matrix\n")

    make_run(tmp_path / "allure-results", {"T3": "failed", "T7": "passed"}, results_dir=tmp_path / "results")
    failing = _build(tmp_path)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "1 test(s) failed or broke; the report is built" in failing.stdout
    assert "STALE" not in (out / "index.html").read_text()
    assert "now 1 failing" in summary.read_text() and "T3.agreement" in summary.read_text()
    assert "stale matrix" not in (tmp_path / "matrix.md").read_text()
    assert "1 FAIL" in (tmp_path / "matrix.md").read_text()
    assert report_files.is_single_file(out), "the default output is one file that opens from disk"
    assert {r["status"] for r in report_files.results_of(out)} == {"failed", "passed"}
    # the matrix's FAIL cell names its top check and links its test in the report
    failed_id = next(r["id"] for r in report_files.results_of(out) if r["status"] == "failed")
    assert f'<a href="index.html#/{failed_id}">FAIL ×1 · T3.agreement</a>' in (out / "matrix.html").read_text()
    assert f"[FAIL ×1 · T3.agreement](allure-report/index.html#/{failed_id})" in (tmp_path / "matrix.md").read_text()

    make_run(tmp_path / "allure-results", {"T3": "passed", "T7": "passed"}, results_dir=tmp_path / "results")
    passing = _build(tmp_path)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "now 0 failing" in summary.read_text() and "1 test(s) fixed" in summary.read_text()

    # a suite run that did not complete (pytest's 2..5) ends non-zero even when nothing failed
    make_run(tmp_path / "allure-results", {"T3": "passed"}, results_dir=tmp_path / "results", exitstatus=3)
    broken = _build(tmp_path)
    assert broken.returncode == 1 and "did not complete (pytest exit status 3)" in broken.stdout


@pytest.mark.integration
def test_no_results_is_exit_2_and_says_the_report_is_of_an_earlier_run(tmp_path):
    (tmp_path / "allure-report").mkdir()
    (tmp_path / "allure-report" / "index.html").write_text("old")
    (tmp_path / "allure-results").mkdir()
    r = _build(tmp_path)
    assert r.returncode == 2 and "is of an earlier run" in r.stderr


# ----------------------------------------------------------------------------------- 4. the run's identity
def test_the_run_comes_from_the_allure_results_not_from_a_stale_results_dir(tmp_path):
    allure, stale, mine = tmp_path / "allure-results", tmp_path / "stale", tmp_path / "mine"
    old_id = make_run(tmp_path / "old-allure", {"T3": "passed"}, "reference", results_dir=stale)
    make_run(tmp_path / "old-allure", {"T4": "passed"}, "openclaw", results_dir=stale)
    run_id = make_run(allure, {"T3": "failed"}, "impl", results_dir=mine)

    same = run_identity.identify(allure, mine)
    assert (same.run_id, same.targets, same.results_dir, same.note) == (run_id, ["impl"], mine, None)

    other = run_identity.identify(allure, stale)
    assert other.run_id == run_id and other.targets == ["impl"] and other.results_dir is None
    assert other.current is not None and other.current.run_id == run_id
    stale_id = runs.load([stale]).run_id
    assert old_id != stale_id  # a set of two files
    assert other.note is not None and "\n" not in other.note
    assert stale_id in other.note and run_id in other.note and "reference, openclaw" not in other.note
    # the matrix still shows every target of the results directory, this run's from this run
    columns = {data["target"] for _, data in run_identity.matrix_inputs(other, stale)}
    assert columns == {"reference", "openclaw", "impl"}


def test_allure_results_without_a_run_file_are_never_given_a_results_dirs_identity(tmp_path):
    allure, stale = tmp_path / "allure-results", tmp_path / "stale"
    make_run(tmp_path / "old", {"T3": "passed"}, "reference", results_dir=stale)
    make_run(allure, {"T3": "failed"}, "impl", run_file=False)
    run = run_identity.identify(allure, stale)
    assert run.targets == ["impl"] and run.current is None and run.results_dir is None
    assert run.run_id != runs.load([stale]).run_id
    assert run.note is not None and runs.load([stale]).run_id in run.note and run.run_id in run.note


@pytest.mark.integration
def test_a_stale_results_dir_does_not_hide_the_regressions(tmp_path):
    """The issue's steps with hand-made runs: a pass run and then a failing run of `impl` (Allure
    results only), built where the results directory still holds an earlier reference/openclaw run."""
    allure_or_skip()
    stale = tmp_path / "results"
    make_run(tmp_path / "old", {"T3": "passed", "T7": "passed"}, "reference", results_dir=stale)
    make_run(tmp_path / "old", {"T3": "passed"}, "openclaw", results_dir=stale)
    stale_id = runs.load([stale]).run_id

    first = make_run(tmp_path / "allure-results", {"T3": "passed", "T7": "passed"}, "impl")
    r1 = _build(tmp_path)
    assert r1.returncode == 0, r1.stdout + r1.stderr
    second = make_run(tmp_path / "allure-results", {"T3": "failed", "T7": "failed"}, "impl")
    r2 = _build(tmp_path)
    assert r2.returncode == 1, r2.stdout + r2.stderr
    notes = [line for line in r2.stdout.splitlines() if line.startswith("[report] note:")]
    assert len(notes) == 1 and stale_id in notes[0] and second in notes[0]
    regressions = json.loads((tmp_path / "allure-report" / "regressions.json").read_text())
    assert sorted(r["name"] for r in regressions) == [
        "test_t3[impl-moonshot/kimi-k2.6]",
        "test_t7[impl-moonshot/kimi-k2.6]",
    ]
    assert "**2 regression(s)**" in (tmp_path / "summary.md").read_text()
    lines = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [line["kimi"]["runId"] for line in lines] == [first, second]


# ----------------------------------------------------------------------------------- 3. opens from disk
@pytest.mark.integration
def test_the_report_opens_from_disk_and_shows_its_tests(tmp_path):
    """index.html over file:// in headless Chromium: the tests render (text, not HTML source), and
    the summary and matrix pages it links open too."""
    allure_or_skip()
    chromium = browser_or_skip()
    from harness.reporting.browser import offline_browser
    from harness.reporting.screenshot import APP_LOADED, text_of, wait_for

    make_run(tmp_path / "allure-results", {"T3": "failed", "T7": "passed"}, results_dir=tmp_path / "results")
    assert _build(tmp_path).returncode == 1
    report = tmp_path / "allure-report"
    origin = report.as_uri()
    failed = next(r for r in report_files.results_of(report) if r["status"] == "failed")
    with offline_browser(chromium, origin) as (page, guard):
        page.goto(f"{origin}/index.html")
        wait_for(page, APP_LOADED, what="the report to render")
        overview = " ".join(text_of(page).split())
        page.goto(f"{origin}/index.html#/{failed['id']}")
        wait_for(page, "document.body.innerText.includes('test_t3[impl-moonshot/kimi-k2.6]')", what="the test")
        test_page = text_of(page)
        page.goto(f"{origin}/index.html")
        wait_for(page, APP_LOADED, what="the report again")
        page.click("#kimi-conformance-summary-link")
        page.wait_for_load_state()
        summary_page = text_of(page)
        page.goto(f"{origin}/matrix.html")
        matrix_page = text_of(page)
        page.get_by_text("FAIL ×1 · T3.agreement").first.click()  # the matrix cell: to its test
        wait_for(page, "document.body.innerText.includes('test_t3[impl-moonshot/kimi-k2.6]')", what="the cell's test")
    assert "Results 2" in overview and "Failed 1" in overview and "Passed 1" in overview
    assert "Failed" in test_page and "the target disagrees with the reference" in test_page
    assert "kimi-conformance summary" in summary_page and "T3.agreement" in summary_page
    assert "Conformance matrix" in matrix_page and "1 FAIL" in matrix_page
    assert guard.outside() == []


def test_the_offline_check_reads_a_single_file_report(tmp_path):
    import base64

    app = base64.b64encode(b'const n="http://www.w3.org/2000/svg";').decode()
    data = base64.b64encode(json.dumps({"roots": []}).encode()).decode()
    page = (
        f'<html><body><script src="data:text/javascript;base64,{app}"></script>'
        f'<script>window.allureReportData = {{}}</script><script defer>Promise.allSettled([d("widgets/x.json","{data}")])'
        "</script></body></html>"
    )
    (tmp_path / "index.html").write_text(page)
    assert report_files.is_single_file(tmp_path)
    assert report_files.read_json(tmp_path, "widgets/x.json") == {"roots": []}
    assert offline_problems(tmp_path)[0] == []
    evil = base64.b64encode(b'fetch("https://collect.example.com/x")').decode()
    (tmp_path / "index.html").write_text(page.replace(app, evil))
    assert any("collect.example.com" in p for p in offline_problems(tmp_path)[0])


# ----------------------------------------------------------------------------------- report serve
@pytest.mark.integration
def test_report_serve_serves_on_loopback_and_stops_on_ctrl_c(tmp_path):
    (tmp_path / "index.html").write_text("<html><body>the report</body></html>")
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.reporting.serve", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(" at ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/index.html"), line
        with urllib.request.urlopen(url, timeout=10) as r:
            assert b"the report" in r.read()
        port = int(url.split(":")[2].split("/")[0])
        for host in _other_addresses():  # loopback only
            with pytest.raises(OSError):
                urllib.request.urlopen(f"http://{host}:{port}/index.html", timeout=3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "stopped" in out


def _other_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (the one it routes out from; its host name's)."""
    import socket

    addrs: set[str] = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # UDP: no packet is sent, the kernel only picks a source
            addrs.add(s.getsockname()[0])
        except OSError:
            pass
    try:
        addrs |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        pass
    return sorted(a for a in addrs if not a.startswith("127.") and a != "0.0.0.0")


def test_report_serve_without_a_report_is_one_line_and_exit_2(tmp_path, capsys):
    from harness.reporting.serve import serve_main

    assert serve_main([str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no report in" in err


def test_the_report_serve_command_wiring(tmp_path):
    """What harness/cli/main.py adds (`add_report_command(sub)`): `kimi-conformance report serve [DIR]`."""
    import argparse

    from harness.reporting.serve import DEFAULT_DIR, add_report_command

    parser = argparse.ArgumentParser(prog="kimi-conformance")
    add_report_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", "serve"])
    assert (args.dir, args.port) == (DEFAULT_DIR, 0)
    args = parser.parse_args(["report", "serve", str(tmp_path), "--port", "0"])
    assert args.func(args) == 2  # no index.html there


@pytest.mark.integration
def test_a_multi_file_report_is_checked_over_loopback(tmp_path):
    allure_or_skip()
    browser_or_skip()
    from harness.reporting import screenshot

    make_run(tmp_path / "allure-results", {"T3": "passed", "T7": "passed"}, results_dir=tmp_path / "results")
    built = _build(tmp_path, "--multi-file", "--browser-check", str(tmp_path / "shots"))
    assert built.returncode == 0, built.stdout + built.stderr
    report = tmp_path / "allure-report"
    assert not report_files.is_single_file(report) and (report / "widgets").is_dir()
    assert "browser check (http://127.0.0.1): passed" in built.stdout
    summary = json.loads((tmp_path / "shots" / "summary.json").read_text())
    assert summary["checks"]["overview"]["shows_results"] and screenshot.problems(summary) == []
