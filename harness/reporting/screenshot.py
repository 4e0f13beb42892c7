"""The browser check: open a built report in headless Chromium as a user would, take screenshots,
and prove that nothing in it reaches an outside host.

    python -m harness.reporting.screenshot [--report reports/allure-report] [--shots reports/screenshots]
                                           [--chromium /usr/bin/chromium] [--expect-regressions N]

`tox -e report` runs it after building (`python -m harness.reporting.build --browser-check DIR`),
so the screenshots always show the report just built. Regenerate them for a report already built
with this module alone.

With Playwright for Python driving the system's Chromium (harness/reporting/browser.py:
`executable_path`, no browser download, Playwright's automation switches, every request
attributed to its initiator):

* a single-file report (the default build) is opened from disk, over `file://` — what a
  double-click does; a multi-file one is served from a loopback HTTP server (127.0.0.1, random
  port), as `kimi-conformance report serve` does;
* checks and screenshots: the overview with its test counts (`overview.png`), one test's page with
  its name rendered — a failing one with its `diff` attachment opened when there is one
  (`failure-diff.png`), the categories tree with the regression category (`categories.png`), the
  history trend charts (`trend.png`), the matrix page (`matrix.png`) and the summary page
  (`summary.png`) when the report links them;
* problems (exit 1): a request or connection by the report's pages to a host other than the
  report's own; an overview or test page that never renders the tests; with
  `--expect-regressions N`, a missing Regressions category or diff. Chromium's own background
  traffic is listed (`browser_traffic`), never counted. Other misses are warnings.

A JSON summary is printed and written to `<shots>/summary.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from harness.reporting import report_files
from harness.reporting.browser import click_text, find_chromium, offline_browser, serve

SHOTS = ("overview", "failure-diff", "categories", "trend", "matrix", "summary")
APP_LOADED = (
    "document.querySelector('#app') && document.querySelector('#app').innerText.trim().length > 50"
    " && !(document.querySelector('#allure-app-loader') && document.querySelector('#allure-app-loader').offsetParent)"
)


def wait_for(page: Any, expr: str, timeout: float = 30, what: str = "") -> Any:
    """Wait until the JS expression is truthy; AssertionError naming `what` when it never is."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(expr, timeout=timeout * 1000).json_value()
    except PlaywrightTimeout:
        raise AssertionError(f"timed out waiting for {what or expr[:80]}") from None


def text_of(page: Any) -> str:
    return page.evaluate("document.body ? document.body.innerText : ''") or ""


def shot(page: Any, path: Path, full: bool = False) -> Path:
    page.screenshot(path=str(path), full_page=full)
    return path


def _shown_result(results: list[dict]) -> dict | None:
    """The test to open: a failing one with a diff attachment, else any failing one, else the first."""
    failing = [tr for tr in results if tr.get("status") in ("failed", "broken")]
    for tr in failing:
        if '"diff"' in json.dumps(tr.get("steps", [])):
            return tr
    shown = failing or results
    return shown[0] if shown else None


def _history_points(report: Path) -> int:
    """How many runs the charts' status-dynamics (trend) widget holds (history + this one)."""
    charts = report_files.read_json(report, "widgets/charts.json") or {}
    for chart in (charts.get("general") or {}).values():
        if (
            chart.get("type") in ("trend", "statusDynamics", "status-dynamics")
            or "dynamics" in str(chart.get("title", "")).lower()
        ):
            for key in ("data", "items", "points", "slices"):
                if isinstance(chart.get(key), (list, dict)):
                    return len(chart[key])
    return -1


def run(report: Path, shots: Path, chromium: str, expect_regressions: int | None = None) -> dict:
    report = report.resolve()
    shots.mkdir(parents=True, exist_ok=True)
    for name in SHOTS:  # never leave a screenshot of an earlier report beside this one's
        (shots / f"{name}.png").unlink(missing_ok=True)
    single = report_files.is_single_file(report)
    summary: dict[str, Any] = {
        "report": str(report),
        "opened": "file://" if single else "http://127.0.0.1",
        "screenshots": {},
        "checks": {},
        "outside_requests": [],
        "browser_traffic": [],
    }
    server = None
    if single:
        origin = report.as_uri()
    else:
        server, port = serve(report)
        origin = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    try:
        with offline_browser(chromium, origin) as (page, guard):
            try:
                _visit(page, origin, report, shots, summary, expect_regressions)
            except AssertionError as e:
                summary["checks"]["error"] = str(e)
                shot(page, shots / "error.png")
            time.sleep(0.5)
            summary["requests"] = len(guard.requests)
            summary["outside_requests"] = guard.outside()
            summary["browser_traffic"] = guard.browser_traffic()
    finally:
        if server is not None:
            server.shutdown()
    summary["seconds"] = round(time.monotonic() - t0, 1)
    (shots / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def _visit(page: Any, origin: str, report: Path, shots: Path, summary: dict, expect_regressions: int | None) -> None:
    checks = summary["checks"]
    results = report_files.results_of(report)

    # 1. overview: the app rendered (no spinner) with the run's counts
    page.goto(f"{origin}/index.html")
    wait_for(page, APP_LOADED, what="the report app to render (not a spinner)")
    time.sleep(1.0)
    text = text_of(page)
    checks["overview"] = {
        "has_title": "kimi-conformance" in text,
        "shows_results": bool(results) and f"Results {len(results)}" in " ".join(text.split()),
        "results": len(results),
    }
    summary["screenshots"]["overview"] = str(shot(page, shots / "overview.png"))

    # 2. one test's page: its name rendered; a failure with its diff attachment opened
    tr = _shown_result(results)
    if tr is not None:
        page.goto(f"{origin}/index.html#/{tr['id']}")
        wait_for(page, f"document.body.innerText.includes({json.dumps(tr['name'])})", what="a test's page")
        time.sleep(0.5)
        opened = got = False
        if tr.get("status") in ("failed", "broken"):
            click_text(page, "Attachments")
            time.sleep(0.5)
            opened = click_text(page, "diff")
            if opened:
                try:  # this line is only in the diff attachment, not in the error message
                    got = wait_for(
                        page, "document.body.innerText.includes('Whole request, unified diff')", timeout=8, what="diff"
                    )
                except AssertionError:
                    got = False
                page.evaluate("""(() => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                    let n; while ((n = w.nextNode())) { if (n.nodeValue.includes('What the rule compares')) {
                    n.parentElement.scrollIntoView({block: 'start'}); window.scrollBy(0, -120); return true; } }
                    return false; })()""")
                time.sleep(0.3)
        checks["failure"] = {
            "test": tr["name"],
            "status": tr.get("status"),
            "name_rendered": True,
            "diff_clicked": opened,
            "diff_visible": bool(got),
        }
        summary["screenshots"]["failure-diff"] = str(shot(page, shots / "failure-diff.png"))
    else:
        checks["failure"] = {"test": None}

    # 3. categories (regressions)
    page.goto(f"{origin}/index.html#/categories")
    try:
        wait_for(
            page,
            "['Regressions', 'Product errors', 'Known divergences', 'Infrastructure', 'No categories']"
            ".some(t => document.body.innerText.includes(t))",
            timeout=15,
            what="the categories tab",
        )
    except AssertionError:
        pass  # reported below as a missed check, with the screenshot
    time.sleep(0.5)
    checks["categories"] = {"regressions_category": "Regressions (passed in the previous run" in text_of(page)}
    if expect_regressions:
        click_text(page, "Regressions (passed in the previous run, fail now)")
        time.sleep(0.5)
    summary["screenshots"]["categories"] = str(shot(page, shots / "categories.png"))

    # 4. history trend
    page.goto(f"{origin}/index.html#/charts")
    try:  # the charts render after their data loads: slow on a busy machine
        wait_for(page, "/Status dynamics|trend/i.test(document.body.innerText)", timeout=20, what="the trend chart")
    except AssertionError:
        pass
    text = text_of(page)
    checks["trend"] = {
        "trend_title": "Status dynamics" in text or "trend" in text.lower(),
        "history_points": _history_points(report),
        "svg_charts": page.evaluate("document.querySelectorAll('svg path').length"),
    }
    summary["screenshots"]["trend"] = str(shot(page, shots / "trend.png", full=True))

    # 5. the pages this project adds, when the report links them
    index = (report / "index.html").read_text(encoding="utf-8", errors="replace")
    for stem in ("matrix", "summary"):
        if (report / f"{stem}.html").is_file():
            page.goto(f"{origin}/{stem}.html")
            wait_for(page, "document.body && document.body.innerText.length > 10", what=f"the {stem} page")
            checks[stem] = {"linked_from_index": f'href="{stem}.html"' in index}
            summary["screenshots"][stem] = str(shot(page, shots / f"{stem}.png", full=stem == "summary"))


def problems(summary: dict, expect_regressions: int | None = None) -> list[str]:
    """What fails the check: the report's pages reached out, or the report did not show its tests."""
    out = []
    if summary["outside_requests"]:
        out.append(f"the report's pages tried to reach outside hosts: {summary['outside_requests']}")
    c = summary["checks"]
    if c.get("error"):
        out.append(c["error"])
    if not c.get("overview", {}).get("shows_results"):
        out.append("the overview did not render the run's test results")
    if expect_regressions:
        if not c.get("categories", {}).get("regressions_category"):
            out.append("no Regressions category in the categories tab")
        if not c.get("failure", {}).get("diff_visible"):
            out.append("the failing test's diff attachment did not show")
    return out


def warnings(summary: dict) -> list[str]:
    """Misses that do not fail the check (a chart slow to draw on a busy machine)."""
    c, out = summary["checks"], []
    if "trend" in c and not c["trend"].get("trend_title"):
        out.append("no trend chart on the charts page")
    for stem in ("matrix", "summary"):
        if stem in c and not c[stem].get("linked_from_index"):
            out.append(f"{stem}.html is not linked from index.html")
    if summary.get("browser_traffic"):
        out.append(
            f"Chromium's own background traffic (refused, not the report's): {len(summary['browser_traffic'])} "
            f"request(s), e.g. {summary['browser_traffic'][0]}"
        )
    return out


def check(report: Path, shots: Path, chromium: str | None = None, expect_regressions: int | None = None):
    """(summary, problems), or (None, [why it was skipped]) without Playwright or Chromium."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, ["Playwright for Python is not installed: pip install 'kimi-conformance[report]'"]
    found = find_chromium(chromium)
    if found is None:
        return None, ["chromium not found (Debian: apt-get install chromium)"]
    summary = run(report, shots, found, expect_regressions)
    return summary, problems(summary, expect_regressions)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.reporting.screenshot", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--report",
        type=Path,
        default=Path("reports/allure-report"),
        help="the built report to open (default reports/allure-report)",
    )
    ap.add_argument(
        "--shots",
        type=Path,
        default=Path("reports/screenshots"),
        help="where the screenshots and summary.json go (default reports/screenshots)",
    )
    ap.add_argument("--chromium", default=None, help="Chromium binary (default: chromium on PATH)")
    ap.add_argument(
        "--expect-regressions",
        type=int,
        default=None,
        help="also require the Regressions category and a failing test's diff to show",
    )
    args = ap.parse_args(argv)
    summary, bad = check(args.report, args.shots, args.chromium, args.expect_regressions)
    if summary is None:
        print(f"[screenshot] {bad[0]}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=1))
    for w in warnings(summary):
        print(f"[screenshot] note: {w}", file=sys.stderr)
    for p in bad:
        print(f"[screenshot] FAIL: {p}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
