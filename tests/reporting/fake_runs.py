"""Suite runs made by hand, for the report tests that need a build but not a suite run: Allure
results (`*-result.json`) plus the run file the plugin writes beside them
(harness.reporting.run_identity), and optionally the `--kimi-results-dir` file of the same run."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import pytest

from harness.reporting import run_identity, runs

MODEL = "moonshot/kimi-k2.6"


def record(rule: str, outcome: str, target: str) -> dict:
    name = f"test_{rule.lower()}[{target}-{MODEL}]"
    failed = outcome == "failed"
    return {
        "nodeid": f"suites/test_{rule.lower()}.py::{name}",
        "target": target,
        "rule": rule,
        "model": MODEL,
        "area": "transformations",
        "outcome": outcome,
        "reason": "",
        "divergences": [],
        "provenance": None,
        "violations": (
            [
                {
                    "rule": rule,
                    "check": f"{rule}.agreement",
                    "path": "/body/thinking",
                    "expected": "enabled",
                    "actual": "off",
                    "message": "the target disagrees with the reference",
                }
            ]
            if failed
            else []
        ),
        "minimal_case": {"model": MODEL, "request": {"messages": []}} if failed else {},
    }


def allure_result(rec: dict, n: int) -> dict:
    name = rec["nodeid"].split("::")[-1]
    func = name.split("[")[0]
    failed = rec["outcome"] == "failed"
    return {
        "uuid": f"{n:08d}-0000-4000-8000-{zlib.crc32(rec['nodeid'].encode()):012d}",
        "name": name,
        "fullName": f"suites.{func}#{func}",
        "testCaseId": f"tc-{func}",
        "status": rec["outcome"],
        "statusDetails": {"message": "AssertionError: the target disagrees with the reference"} if failed else {},
        "start": 1_000_000 + n,
        "stop": 1_000_100 + n,
        "labels": [
            {"name": "epic", "value": "transformations"},
            {"name": "feature", "value": rec["rule"]},
            {"name": "story", "value": MODEL},
        ],
        "parameters": [{"name": "target", "value": f"'{rec['target']}'"}, {"name": "model", "value": f"'{MODEL}'"}],
    }


def make_run(
    allure: Path,
    outcomes: dict[str, str],
    target: str = "impl",
    *,
    results_dir: Path | None = None,
    run_file: bool = True,
    exitstatus: int | None = None,
) -> str:
    """A run of `target` with one test per rule ({"T3": "failed", ...}) into a fresh `allure`
    directory (as --clean-alluredir leaves it); returns its run id."""
    shutil.rmtree(allure, ignore_errors=True)
    allure.mkdir(parents=True)
    records = [record(rule, outcome, target) for rule, outcome in sorted(outcomes.items())]
    for n, rec in enumerate(records):
        result = allure_result(rec, n)
        (allure / f"{result['uuid']}-result.json").write_text(json.dumps(result))
    versions = {"impl": "1.0"}
    data = {"harness": "0.1.0", "catalog": "test", "targets": {target: versions}, "target": target}
    data.update(results=records, versions=versions, run_id=runs.file_run_id(target, versions, records))
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        (results_dir / f"results-{target}.json").write_text(json.dumps(data))
    if run_file:
        assert run_identity.write(allure, {target: data}, exitstatus) == data["run_id"]
    return data["run_id"]


def allure_or_skip():
    from harness.reporting import build

    # Uses an Allure 3 that `tox -e report` (python -m harness.reporting.build --install-only) has
    # already installed; installing 53 MB from npm is never a side effect of running the tests.
    if not build.is_installed():
        pytest.skip(
            "Allure 3 is not installed in the cache: run `tox -e report` (or python -m "
            "harness.reporting.build --install-only) once, then this test uses it"
        )
    try:
        build.node_binary()
    except build.BuildError as e:
        pytest.skip(str(e))


def browser_or_skip() -> str:
    from harness.reporting import browser

    try:
        import playwright.sync_api  # noqa: F401  (the browser check drives chromium through it)
    except ImportError:
        pytest.skip("Playwright for Python is not installed: pip install -e '.[report]' (tox -e report has it)")
    chromium = browser.find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    return chromium
