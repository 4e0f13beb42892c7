"""Open a built report in headless Chromium, take screenshots, and prove it stays offline.

    python -m harness.reporting.screenshot [--report reports/allure-report] [--shots reports/screenshots]
                                           [--chromium /usr/bin/chromium] [--expect-regressions N]

What it does, with Playwright for Python driving the system's Chromium (harness/reporting/browser.py;
`executable_path`, no browser download):

* serves the report from a loopback HTTP server (127.0.0.1, random port) — the Awesome report
  loads its data with fetch(), which file:// does not allow;
* launches Chromium headless with background networking / component updates / sync off, QUIC off,
  no name resolving but loopback, and a loopback *trap* proxy that records and refuses every
  request Chromium itself sends to an outside host; in the page every request is routed
  (`context.route`): the report's origin goes through, anything else is refused and recorded;
* checks and screenshots: the overview (`overview.png`), the categories tree with the regression
  category (`categories.png`), a failing test with its `diff` attachment opened (`failure-diff.png`),
  the history trend charts (`trend.png`), and the matrix page when the report links one (`matrix.png`);
* fails (exit 1) if any request went to a host other than the loopback server, or a check did
  not find what it looked for. A JSON summary is printed and written to `<shots>/summary.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from harness.reporting.browser import (
    TrapProxy,
    click_text,
    find_chromium,
    offline_browser,
    serve,
)


def wait_for(page: Any, expr: str, timeout: float = 20, what: str = "") -> Any:
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


def _failing_result(report: Path) -> dict | None:
    best = None
    for p in sorted((report / "data" / "test-results").glob("*.json")):
        tr = json.loads(p.read_text())
        if tr.get("status") in ("failed", "broken"):
            names = json.dumps(tr.get("steps", []))
            if '"diff"' in names:
                return tr
            best = best or tr
    return best


def _history_points(report: Path) -> int:
    """How many runs the charts' status-dynamics (trend) widget holds (history + this one)."""
    try:
        charts = json.loads((report / "widgets" / "charts.json").read_text())
    except (OSError, ValueError):
        return 0
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
    summary: dict[str, Any] = {"report": str(report), "screenshots": {}, "checks": {}, "outside_requests": []}
    server, port = serve(report)
    origin = f"http://127.0.0.1:{port}"
    trap = TrapProxy()
    t0 = time.monotonic()
    try:
        with offline_browser(chromium, origin, trap) as (page, guard):
            _visit(page, origin, report, shots, summary, expect_regressions)
            time.sleep(0.5)
            summary["requests"] = len(guard.requests)
            summary["outside_requests"] = sorted(set(guard.refused))
    finally:
        server.shutdown()
        trap.close()
    summary["proxy_trap_hits"] = trap.hits
    summary["seconds"] = round(time.monotonic() - t0, 1)
    (shots / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def _visit(page: Any, origin: str, report: Path, shots: Path, summary: dict, expect_regressions: int | None) -> None:
    loaded = "document.querySelector('#app') && document.querySelector('#app').innerText.trim().length > 50"

    # 1. overview
    page.goto(f"{origin}/index.html")
    wait_for(page, loaded, what="the report app to render")
    time.sleep(1.0)
    text = text_of(page)
    summary["checks"]["overview"] = {
        "has_title": "kimi-conformance" in text,
        "mentions_failed": "failed" in text.lower() or "Failed" in text,
    }
    summary["screenshots"]["overview"] = str(shot(page, shots / "overview.png"))

    # 2. categories (regressions)
    page.goto(f"{origin}/index.html#/categories")
    wait_for(
        page,
        "document.body.innerText.includes('Regressions') || document.body.innerText.includes('Product errors')"
        " || document.body.innerText.includes('Known divergences')",
        what="the categories tab",
    )
    time.sleep(0.5)
    text = text_of(page)
    summary["checks"]["categories"] = {"regressions_category": "Regressions (passed in the previous run" in text}
    if expect_regressions is not None and expect_regressions > 0:
        click_text(page, "Regressions (passed in the previous run, fail now)")
        time.sleep(0.5)
    summary["screenshots"]["categories"] = str(shot(page, shots / "categories.png"))

    # 3. a failing test with its diff attachment (Attachments tab -> "diff")
    failing = _failing_result(report)
    if failing is not None:
        page.goto(f"{origin}/index.html#/{failing['id']}")
        wait_for(page, f"document.body.innerText.includes({json.dumps(failing['name'])})", what="the failing test page")
        time.sleep(0.5)
        click_text(page, "Attachments")
        time.sleep(0.5)
        opened = click_text(page, "diff")
        got = False
        if opened:
            try:  # this line is only in the diff attachment, not in the error message
                got = wait_for(
                    page,
                    "document.body.innerText.includes('Whole request, unified diff')",
                    timeout=8,
                    what="the diff attachment content",
                )
            except AssertionError:
                got = False
            page.evaluate("""(() => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                let n; while ((n = w.nextNode())) { if (n.nodeValue.includes('What the rule compares')) {
                n.parentElement.scrollIntoView({block: 'start'}); window.scrollBy(0, -120); return true; } }
                return false; })()""")
            time.sleep(0.3)
        summary["checks"]["failure"] = {"test": failing["name"], "diff_clicked": opened, "diff_visible": bool(got)}
        summary["screenshots"]["failure-diff"] = str(shot(page, shots / "failure-diff.png"))
    else:
        summary["checks"]["failure"] = {"test": None}

    # 4. history trend
    page.goto(f"{origin}/index.html#/charts")
    wait_for(page, "document.querySelectorAll('svg').length > 2", what="the charts")
    try:  # the charts render after their data loads: slow on a busy machine
        wait_for(
            page,
            "/Status dynamics|trend/i.test(document.body ? document.body.innerText : '')",
            timeout=20,
            what="the trend chart's title",
        )
    except AssertionError:
        pass  # reported below as a failed check, with the screenshot
    text = text_of(page)
    summary["checks"]["trend"] = {
        "trend_title": "Status dynamics" in text or "trend" in text.lower(),
        "history_points": _history_points(report),
        "svg_charts": page.evaluate("document.querySelectorAll('svg path').length"),
    }
    summary["screenshots"]["trend"] = str(shot(page, shots / "trend.png", full=True))

    # 5. the matrix page, if linked
    if (report / "matrix.html").is_file():
        page.goto(f"{origin}/matrix.html")
        wait_for(page, "document.body && document.body.innerText.length > 10", what="the matrix page")
        summary["checks"]["matrix"] = {"linked_from_index": "matrix.html" in (report / "index.html").read_text()}
        summary["screenshots"]["matrix"] = str(shot(page, shots / "matrix.png", full=True))


def problems(summary: dict, expect_regressions: int | None = None) -> list[str]:
    out = []
    if summary["outside_requests"]:
        out.append(f"requests to outside hosts: {summary['outside_requests']}")
    if summary["proxy_trap_hits"]:
        out.append(f"Chromium tried to reach outside hosts: {summary['proxy_trap_hits']}")
    c = summary["checks"]
    if not c.get("overview", {}).get("has_title"):
        out.append("overview did not render the report title")
    if expect_regressions:
        if not c.get("categories", {}).get("regressions_category"):
            out.append("no Regressions category in the categories tab")
        if not c.get("failure", {}).get("diff_visible"):
            out.append("the failing test's diff attachment did not show")
    if not c.get("trend", {}).get("trend_title"):
        out.append("no trend chart on the charts page")
    return out


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
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        print("Playwright for Python is not installed: pip install 'kimi-conformance[report]'", file=sys.stderr)
        return 2
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("chromium not found (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    summary = run(args.report, args.shots, chromium, args.expect_regressions)
    print(json.dumps(summary, indent=1))
    bad = problems(summary, args.expect_regressions)
    for p in bad:
        print(f"[screenshot] FAIL: {p}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
