"""The Allure report: scrubbing, labels, history ids, regressions, offline HTML, screenshots.

The fast tests check the pieces; `test_two_runs_show_the_regression` (slow) runs what
`tox -e report` runs, twice — first against the reference, then against a broken target under
the same alias — and checks the built report: its Regressions category lists exactly the tests
that passed before and fail now, their diffs are attached, no API key reached the report, and
neither generating nor viewing it (headless Chromium, over file:// as a double-click opens it)
makes the report's pages contact an outside host. The screenshots are the browser check's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.pytest_plugin import allure as rep
from harness.reporting import categories, report_files
from harness.reporting.history import allure3_history_id, mark_regressions
from harness.reporting.matrix_page import markdown_to_html
from harness.reporting.offline import offline_problems, strip_analytics
from tests.child import run as run_child
from tests.reporting.fake_runs import allure_or_skip, browser_or_skip

ROOT = Path(__file__).resolve().parents[2]
CANARY = "sk-kimiCANARY0123456789abcdefXYZ"


def leaky_canary(case):
    """A broken target (T3 keep everywhere) that also leaks a key into its request."""
    from tests.mutants import t3_keep_everywhere

    out = t3_keep_everywhere(case)
    out["headers"] = {**out.get("headers", {}), "authorization": f"Bearer {CANARY}", "x-api-key": CANARY}
    out["body"]["user"] = f"user-{CANARY}"
    return out


# ----------------------------------------------------------------------------------- fast
@pytest.mark.parametrize(
    "text",
    [
        f'{{"authorization": "Bearer {CANARY}"}}',
        f"{{'x-api-key': '{CANARY}'}}",
        f"Authorization: Bearer {CANARY}\n",
        f"X-Api-Key: {CANARY}",
        f"the key is {CANARY}.",
        "key sk-_abcdefgh is short-prefixed",
    ],
)
def test_scrub_removes_keys_and_credential_headers(text):
    out = rep.scrub(text)
    assert CANARY not in out and "sk-_abcdefgh" not in out
    assert not rep.contains_secret(out)


def test_scrub_keeps_ordinary_text():
    text = '{"model": "kimi-k2.6", "task-1": "disk-2", "content-type": "application/json"}'
    assert rep.scrub(text) == text


def test_feature_titles_and_severity():
    assert rep.feature_title("T3") == "T3 thinking.keep"
    assert rep.feature_title("unknown-rule") == "unknown-rule"
    assert rep.severity("routing") == "blocker" and rep.severity(None) == "normal"


def test_volatile_parameters():
    assert rep.volatile("http://127.0.0.1:53211/v1")
    assert rep.volatile("/tmp/pytest-of-root/x")
    assert not rep.volatile("moonshot/kimi-k2.6")


def test_hypothesis_failure_parsing():
    longrepr = (
        "E   AssertionError: T3: boom\n"
        "E   Falsifying example: test(\n"
        "E       model='moonshot/kimi-k2.6',\n"
        "E   )\n"
        "E   Draw 1 (case): {'model': 'Kimi K2.6'}\n"
        "E   \n"
        "E   You can reproduce this example by temporarily adding @reproduce_failure('6.155.2', "
        "b'AXicc2RgcARCMAGGjQ==') as a decorator on your test case\n"
        "\nharness/suite.py:166: AssertionError\n"
    )
    example, blob = rep.hypothesis_failure(longrepr)
    assert example.startswith("Falsifying example: test(\n    model='moonshot/kimi-k2.6',")
    assert "Draw 1 (case)" in example and "reproduce" not in example
    assert blob.startswith("@reproduce_failure('6.155.2', b'AXicc2RgcARCMAGGjQ==')")


def test_readable_diff():
    text, page = rep.readable_diff({"body": {"a": 1}}, {"body": {"a": 2}}, "engine says", "impl")
    assert "--- reference" in text and "+++ impl" in text and '-    "a": 1' in text and "engine says" in text
    assert page.startswith("<!doctype html>") and "http" not in page


def _result(tmp, name, status, target="'impl'", labels=()):
    r = {
        "name": name,
        "fullName": f"suites.m#{name.split('[')[0]}",
        "testCaseId": f"tc-{name}",
        "status": status,
        "statusDetails": {"message": "AssertionError: T3: disagrees"},
        "labels": list(labels),
        "stop": 1,
        "parameters": [
            {"name": "target", "value": target},
            {"name": "model", "value": "'m'"},
            {"name": "implementation", "value": "'x'", "excluded": True},
        ],
    }
    (tmp / f"{name}-result.json").write_text(json.dumps(r))
    return r


def test_regressions_from_history(tmp_path):
    results = tmp_path / "res"
    results.mkdir()
    prev = {"a[x]": "passed", "b[x]": "passed", "c[x]": "failed", "d[x]": "skipped"}
    now = {"a[x]": "failed", "b[x]": "passed", "c[x]": "failed", "d[x]": "failed", "e[x]": "failed"}
    made = {n: _result(results, n, s) for n, s in now.items()}
    history = tmp_path / "history.jsonl"
    entry = {
        "uuid": "u",
        "timestamp": 1,
        "testResults": {
            allure3_history_id({**made[n], "status": s}): {
                "historyId": allure3_history_id(made[n]),
                "status": s,
                "name": n,
                "fullName": made[n]["fullName"],
            }
            for n, s in prev.items()
        },
    }
    history.write_text(json.dumps({"uuid": "old", "timestamp": 0, "testResults": {}}) + "\n" + json.dumps(entry) + "\n")
    found = mark_regressions(results, history)
    assert [f["name"] for f in found] == ["a[x]"]
    labels = json.loads((results / "a[x]-result.json").read_text())["labels"]
    assert {"name": "regression", "value": "true"} in labels
    # the excluded parameter does not change the history id
    assert allure3_history_id(made["a[x]"]) == allure3_history_id(
        {**made["a[x]"], "parameters": made["a[x]"]["parameters"][:2]}
    )


def test_infrastructure_failure_is_not_a_regression(tmp_path):
    results = tmp_path / "res"
    results.mkdir()
    r = _result(results, "a[x]", "broken")
    r["statusDetails"]["message"] = "Failed: target 'impl' is not available: npm not installed"
    (results / "a[x]-result.json").write_text(json.dumps(r))
    history = tmp_path / "h.jsonl"
    history.write_text(
        json.dumps(
            {
                "timestamp": 1,
                "testResults": {allure3_history_id(r): {"historyId": allure3_history_id(r), "status": "passed"}},
            }
        )
        + "\n"
    )
    assert mark_regressions(results, history) == []


def test_categories_are_valid_regexes():
    import re

    for rule in categories.allure3():
        for m in rule["matchers"]:
            for v in [m.get("message"), *(m.get("labels") or {}).values()]:
                if v:
                    re.compile(v)
    assert categories.allure3()[1]["id"] == "regressions"


def test_offline_check_and_analytics_strip(tmp_path):
    (tmp_path / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="https://fonts.googleapis.com/css?x"></head><body>'
        '<script src="app.js"></script>\n<script async src="https://www.googletagmanager.com/gtag/js?id=G"></script>\n'
        "<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}gtag('js', new Date());</script>\n"
        "</body></html>"
    )
    (tmp_path / "app.js").write_text('const ns="http://www.w3.org/2000/svg";const l="https://allurereport.org";')
    assert strip_analytics(tmp_path) == 2
    problems, _ = offline_problems(tmp_path)
    assert any("fonts.googleapis.com" in p for p in problems)
    assert not any("googletagmanager" in p for p in problems)
    (tmp_path / "index.html").write_text('<html><body><script src="app.js"></script></body></html>')
    assert offline_problems(tmp_path)[0] == []
    # the matrix page is our own script-free text: an endpoint named in an n/a reason is prose...
    (tmp_path / "matrix.html").write_text("<p>n/a: speaks openai-completions at https://api.kimi.com/coding/v1</p>")
    assert offline_problems(tmp_path)[0] == []
    # ...but anything on it that a browser fetches by itself is still refused
    (tmp_path / "matrix.html").write_text('<p><img src="https://tracker.example/p.gif"></p>')
    assert any("tracker.example" in p for p in offline_problems(tmp_path)[0])


def test_markdown_matrix_page():
    page = markdown_to_html("# Matrix\n\n| rule | impl |\n|---|---|\n| T3 | ❌ |\n\n- note `x`\n")
    assert "<table>" in page and "<td>T3</td>" in page and "<code>x</code>" in page and "http" not in page


# ----------------------------------------------------------------------------------- slow: two runs
def _tools_or_skip():
    allure_or_skip()
    return browser_or_skip()


def _report_run(tmp: Path, target: str | None) -> subprocess.CompletedProcess:
    """A suite run into Allure results (none when `target` is None: build again), then the build
    as `tox -e report` runs it, but for its browser check: each costs a Chromium start, so the test
    views the final report once (the build's own check: tests/reporting/test_report_build.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_STORAGE"))}
    env.pop("GITHUB_STEP_SUMMARY", None)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "suites",
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-header",
        "--kimi-model",
        "moonshot/kimi-k2.5",  # a binary-thinking model other than K2.6: the mutant's T3 bug, in every profile
        "-k",
        "t3 or t7",
        "--kimi-target",
        str(target),
        "--alluredir",
        str(tmp / "allure-results"),
        "--clean-alluredir",
        "--kimi-results-dir",
        str(tmp / "results"),
    ]
    if target is not None:
        suites = run_child(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert suites.returncode in (0, 1), suites.stdout[-3000:] + suites.stderr[-3000:]
    build = run_child(
        [
            sys.executable,
            "-m",
            "harness.reporting.build",
            "--results",
            str(tmp / "allure-results"),
            "--out",
            str(tmp / "allure-report"),
            "--history",
            str(tmp / "history.jsonl"),
            "--matrix",
            str(tmp / "matrix.md"),
            "--results-dir",
            str(tmp / "results"),
            "--summary",
            str(tmp / "summary.md"),
            "--fail-on-failures",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode in (0, 1), build.stdout + build.stderr
    return build


def _statuses(results: Path) -> dict[str, str]:
    return {r["name"]: r["status"] for r in (json.loads(p.read_text()) for p in results.glob("*-result.json"))}


@pytest.mark.integration
def test_two_runs_show_the_regression(tmp_path):
    chromium = _tools_or_skip()

    first = _report_run(tmp_path, "impl=reference")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "[report] note:" not in first.stdout, "the plugin wrote the same run id into both result sets"
    before = _statuses(tmp_path / "allure-results")
    assert before and set(before.values()) <= {"passed", "skipped"}

    second = _report_run(tmp_path, "impl=python:tests.reporting.test_report:leaky_canary")
    assert second.returncode == 1, second.stdout + second.stderr  # built, then non-zero
    after = _statuses(tmp_path / "allure-results")
    assert set(after) == set(before), "the same tests (same history ids) in both runs"
    broken = {n for n, s in after.items() if s in ("failed", "broken") and before.get(n) == "passed"}
    assert broken and any("t3" in n for n in broken)
    assert any(s == "passed" for s in after.values()), "a test that still passes is not a regression"

    report = tmp_path / "allure-report"
    cats = report_files.read_json(report, "widgets/categories.json")
    nodes = cats["nodes"]
    reg_root = next(nodes[r] for r in cats["roots"] if nodes[r]["name"].startswith("Regressions"))

    def leaves(node):
        for child in node.get("childrenIds", []):
            yield from ([nodes[child]["name"]] if nodes[child]["type"] == "tr" else leaves(nodes[child]))

    assert set(leaves(reg_root)) == broken
    assert {r["name"] for r in json.loads((report / "regressions.json").read_text())} == broken
    summary_md = (tmp_path / "summary.md").read_text()
    assert (
        f"**{len(broken)} regression(s)**" in summary_md
        and "kimi-conformance-summary-link" in (report / "index.html").read_text()
    )

    # building again for the same run: the same regressions, not "0 regression(s)"; one history line per run
    assert _report_run(tmp_path, None).returncode == 1
    assert {r["name"] for r in json.loads((report / "regressions.json").read_text())} == broken
    assert (tmp_path / "summary.md").read_text() == summary_md
    assert len((tmp_path / "history.jsonl").read_text().splitlines()) == 2

    # diffs attached to each regression; no key anywhere
    for tr in report_files.results_of(report):
        if tr["name"] in broken:
            names = {s.get("link", {}).get("name") for s in tr.get("steps", []) if s.get("type") == "attachment"}
            assert {"diff", "case", "outbound request (reference)"} <= names, names
    for d in (tmp_path / "allure-results", report, tmp_path / "results"):
        for f in d.rglob("*"):
            if f.is_file():
                assert CANARY.encode() not in f.read_bytes(), f
    assert CANARY not in "".join(report_files.embedded((report / "index.html").read_text()).keys())
    for raw in report_files.embedded((report / "index.html").read_text()).values():
        assert CANARY.encode() not in raw
    assert "kimi-conformance-matrix-link" in (report / "index.html").read_text()
    assert "googletagmanager" not in (report / "index.html").read_text()

    # view it as the build's browser check does, with the regressions required
    shots = tmp_path / "shots-regressions"
    view = run_child(
        [
            sys.executable,
            "-m",
            "harness.reporting.screenshot",
            "--report",
            str(report),
            "--shots",
            str(shots),
            "--chromium",
            chromium,
            "--expect-regressions",
            str(len(broken)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert view.returncode == 0, view.stdout + view.stderr
    summary = json.loads((shots / "summary.json").read_text())
    assert summary["opened"] == "file://" and summary["outside_requests"] == []
    assert summary["checks"]["failure"]["diff_visible"] and summary["checks"]["trend"]["history_points"] == 2
    for name in ("overview", "categories", "failure-diff", "trend", "matrix", "summary"):
        assert (shots / f"{name}.png").stat().st_size > 5000
