"""Build the HTML conformance report offline with Allure 3 — the one entry point of `tox -e report`.

    python -m harness.reporting.build [--results reports/allure-results] [--out reports/allure-report]
                                      [--history reports/history.jsonl] [--results-dir reports/results]
                                      [--matrix reports/matrix.md] [--summary reports/summary.md]
                                      [--multi-file] [--browser-check reports/screenshots] [--fail-on-failures]

Steps:

1. install Allure 3 (npm package `allure`, pinned in harness/reporting/allure3/package.json and its
   lock file) into ``<cache>/allure3/allure-<version>/`` with the system Node (>= 20) and npm —
   idempotent (a stamp holds the package.json + lock hash) and atomic; ``<cache>`` is
   ``$KIMI_CONFORMANCE_CACHE`` or ``~/.cache/kimi-conformance`` (as for Node targets);
2. scrub every file of the results directory with `harness.reporting.redact.scrub` and refuse to
   go on if an API key survived;
3. tell which run this is (harness.reporting.run_identity): the run id, target names and records
   the plugin wrote into the Allure results (`kimi-conformance/run.json`); `--results-dir` is
   taken for this run only when it holds the same run, else one line names both runs;
4. mark regressions from the history file (`harness.reporting.history`): passed in the previous
   run, failed now -> label `regression=true`, matched by the "Regressions" category. History is
   keyed by run id: a rebuild of the same run replaces its line, and the previous run is the
   newest *different* run of the same target names, so building twice shows the same regressions;
5. generate with the Awesome plugin — by default in its single-file mode: one `index.html` that
   opens from disk (`--multi-file`: data files beside it, served by `kimi-conformance report
   serve`) — history kept in ``--history`` (outside allure-results, so it survives
   `--clean-alluredir`), categories from `harness.reporting.categories`, under a Node preload
   (allure3/offline-guard.cjs) that refuses and records any connection, DNS lookup or fetch to a
   non-loopback host;
6. strip Allure's analytics (the Awesome template always emits a Google Tag Manager script);
   write the conformance matrix (every target of ``--results-dir``, this run's from this run) to
   ``--matrix`` and matrix.html; write the summary (harness.reporting.summary) of this run to
   ``--summary`` and summary.html — always, so no earlier run's summary stays beside this report —
   both linked from the report's overview, and append it to ``$GITHUB_STEP_SUMMARY``;
7. check the output: no HTML/CSS/JS reference that would make a browser fetch from an outside
   host (script/link/img/iframe sources, CSS url()/@import, fetch()/importScripts of http(s) URLs,
   known analytics / font / CDN hosts), in the app embedded in a single-file report too. Any hit
   fails the build;
8. with `--browser-check DIR`, open the built report in headless Chromium as a user would
   (harness.reporting.screenshot): screenshots, and proof that the report's pages reach no
   outside host.

Exit status: 2 when the report could not be built (or would not be offline-clean, or a key
survived scrubbing); else, with `--fail-on-failures`, 1 when a test failed or broke (after the
report and the summary are written, so a CI job publishes them and still goes red); else 3 when
the browser check found a problem (the report is written all the same); else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.reporting import categories, run_identity, runs
from harness.reporting import summary as run_summary
from harness.reporting.allure3_install import (  # noqa: F401  (is_installed, node_binary: used by tests)
    ALLURE3_SRC,
    BuildError,
    _say,
    cli_path,
    install,
    is_installed,
    node_binary,
)
from harness.reporting.history import mark_regressions, previous_run, tag_new_lines, without_run
from harness.reporting.matrix_page import add_matrix, add_page
from harness.reporting.offline import offline_problems, scrub_results, strip_analytics

HERE = Path(__file__).resolve().parent
GUARD = ALLURE3_SRC / "offline-guard.cjs"
HISTORY_LIMIT = 30


def allure_config(out: Path, history: Path, name: str, single_file: bool) -> dict:
    return {
        "name": name,
        "output": str(out),
        "historyPath": str(history),
        "historyLimit": HISTORY_LIMIT,
        "appendHistory": True,
        "categories": {"rules": categories.allure3()},
        "plugins": {
            "awesome": {
                "options": {
                    "reportName": name,
                    "singleFile": single_file,
                    "reportLanguage": "en",
                    "theme": "light",
                    "groupBy": ["epic", "feature", "story"],
                }
            },
        },
    }


# ----------------------------------------------------------------------------------- offline


def generate(
    results: Path,
    out: Path,
    history: Path,
    *,
    name: str = "kimi-conformance",
    single_file: bool = True,
    matrix: Path | None = None,
    results_dir: Path | None = None,
    allure_dir: Path | None = None,
    summary_md: Path | None = None,
) -> dict:
    t0 = time.monotonic()
    if not results.is_dir() or not any(results.glob("*-result.json")):
        stale = f"; {out} is of an earlier run" if (out / "index.html").is_file() else ""
        raise BuildError(f"no Allure results in {results} (run pytest with --alluredir {results}){stale}")
    allure_dir = allure_dir or install()
    changed = scrub_results(results)
    run = run_identity.identify(results, results_dir)
    if run.note:
        _say(f"note: {run.note}")
    run_id, targets = run.run_id, run.targets
    previous = previous_run(history, run_id, targets)
    regressions = mark_regressions(results, history, run_id, targets)
    for r in regressions:
        _say(f"regression: {r['name']} ({r['status']})")
    out.parent.mkdir(parents=True, exist_ok=True)
    history.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        shutil.rmtree(out)
    work = Path(tempfile.mkdtemp(prefix="kimi-allure-"))
    try:
        run_history = work / "history.jsonl"  # without this run's old line; replaces `history` on success
        known = without_run(history, run_id, run_history)
        config = work / "allurerc.json"
        config.write_text(json.dumps(allure_config(out.resolve(), run_history, name, single_file), indent=1))
        _allure_generate(allure_dir, results, out, config, work)
        tag_new_lines(run_history, known, run.snapshot())
        shutil.copyfile(run_history, history.with_name(history.name + ".tmp"))
        os.replace(history.with_name(history.name + ".tmp"), history)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stripped = strip_analytics(out)
    md = _matrix(run, results_dir, matrix, out)
    has_matrix = add_matrix(out, md)
    from harness.reporting.coverage_page import add_coverage

    add_coverage(out, results_dir)  # coverage.html from the run's coverage-<target>.json, linked
    summary_md = summary_md or history.with_name("summary.md")
    if run.current is not None:
        before = previous.get("kimi") if previous else None
        s = run_summary.compare(runs.ResultsSet.from_snapshot(before) if before else None, run.current)
        text = run_summary.write(s, summary_md)
        run_summary.append_step_summary(s)
    else:  # never leave an earlier run's summary beside this run's report
        text = run_summary.write_unavailable(summary_md, run_id, targets, run.note)
    # the overview's corner says each target's pass rate at a glance; the page says the rest
    rates = run_summary.pass_rates(run.current) if run.current is not None else {}
    label = " · ".join(["Summary", *(f"{t} {run_summary.rate_text(*r, short=True)}" for t, r in rates.items())])
    add_page(out, text, "summary", label, right_px=175, files=summary_md.parent / run_summary.CASES_DIR)
    problems, notes = offline_problems(out)
    if problems:
        raise BuildError("the report would fetch from outside hosts:\n" + "\n".join(problems[:50]))
    (out / "regressions.json").write_text(json.dumps(regressions, indent=1), encoding="utf-8")
    summary = {
        "out": str(out),
        "index": str(out / "index.html"),
        "single_file": single_file,
        "regressions": regressions,
        "run_id": run_id,
        "targets": targets,
        "suite_exitstatus": run.exitstatus,
        "summary": str(summary_md),
        "scrubbed_files": changed,
        "analytics_removed": stripped,
        "matrix": has_matrix,
        "inert_urls_in_attachments": len(notes),
        "seconds": round(time.monotonic() - t0, 1),
    }
    opens = "opens from disk" if single_file else "serve it: kimi-conformance report serve " + str(out)
    _say(
        f"report: {out / 'index.html'} ({opens}; run {run_id}, {len(regressions)} regression(s), "
        f"matrix: {'yes' if has_matrix else 'no'}, summary: {summary_md}, {summary['seconds']}s)"
    )
    return summary


def _allure_generate(allure_dir: Path, results: Path, out: Path, config: Path, work: Path) -> None:
    """`allure generate` under the offline guard (a Node preload refusing outside connections)."""
    guard_log = work / "offline-guard.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(KIMI_OFFLINE_GUARD_LOG=str(guard_log), NO_COLOR="1", FORCE_COLOR="0", CI=env.get("CI", ""))
    env.pop("NODE_OPTIONS", None)
    cmd = [
        node_binary(),
        "--require",
        str(GUARD),
        str(cli_path(allure_dir)),
        "generate",
        str(results.resolve()),
        "--config",
        str(config),
        "--output",
        str(out.resolve()),
    ]
    _say("$ " + " ".join(cmd))
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    if proc.stdout.strip():
        print(proc.stdout.rstrip())
    if proc.returncode != 0 or not (out / "index.html").is_file():
        raise BuildError(f"allure generate failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    blocked = guard_log.read_text().splitlines() if guard_log.is_file() else []
    if blocked:
        raise BuildError("report generation tried to reach outside hosts:\n" + "\n".join(blocked))


def _matrix(run: run_identity.Run, results_dir: Path | None, path: Path | None, out: Path) -> str | None:
    """The matrix of every target in the results directory, this run's targets from this run;
    written to `path` (fresh on every build) and printed; returned as the report's page, whose FAIL
    cells link to their tests in the report. None when there are no results."""
    from harness.reporting import matrix as conformance_matrix
    from harness.util.scrub import scrub_text

    inputs = run_identity.matrix_inputs(run, results_dir)
    try:
        m = conformance_matrix.from_data(inputs)
    except ValueError as e:
        _say(f"matrix left out: {e}")
        return None
    if not m.cells:
        _say("matrix left out: no conformance results for this run or in " + str(results_dir))
        return None
    print(scrub_text(m.render_terminal()))
    ids = ids_in_report(out)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        index = Path(os.path.relpath(out.resolve() / "index.html", path.parent.resolve())).as_posix()
        path.write_text(scrub_text(m.render_markdown(link=lambda n: _link(ids, n, index))), encoding="utf-8")
    return scrub_text(m.render_markdown(link=lambda n: _link(ids, n, "index.html")))


def ids_in_report(out: Path) -> dict[tuple[str, str], str]:
    """(Allure fullName, name) -> the test's id in the built report (its page: index.html#/<id>)."""
    from harness.reporting.report_files import results_of

    return {(str(tr.get("fullName")), str(tr.get("name"))): str(tr["id"]) for tr in results_of(out) if tr.get("id")}


def allure_names(nodeid: str) -> tuple[str, str]:
    """A pytest node id as allure-pytest names it: ("suites.test_t4#test_t4", "test_t4[impl-m]")."""
    path, *rest = nodeid.split("::")
    name = rest[-1] if rest else ""
    module = path.removesuffix(".py").replace("/", ".")
    return ".".join([module, *rest[:-1]]) + "#" + name.split("[", 1)[0], name


def _link(ids: dict[tuple[str, str], str], nodeid: str, index: str) -> str | None:
    found = ids.get(allure_names(nodeid))
    return f"{index}#/{found}" if found else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.reporting.build", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--results", type=Path, default=Path("reports/allure-results"), help="allure-results dir (pytest --alluredir)"
    )
    ap.add_argument("--out", type=Path, default=Path("reports/allure-report"), help="report output dir")
    ap.add_argument(
        "--history",
        type=Path,
        default=Path("reports/history.jsonl"),
        help="Allure 3 history file, kept across runs (default reports/history.jsonl)",
    )
    ap.add_argument(
        "--matrix",
        type=Path,
        default=Path("reports/matrix.md"),
        help="where the conformance matrix goes (Markdown, written fresh from --results-dir and this run; "
        "default reports/matrix.md)",
    )
    ap.add_argument(
        "--results-dir",
        type=Path,
        default=Path("reports/results"),
        help="per-test conformance results of every target run so far (pytest --kimi-results-dir): the matrix",
    )
    ap.add_argument(
        "--summary",
        type=Path,
        default=Path("reports/summary.md"),
        help="where the run summary goes (Markdown; default reports/summary.md)",
    )
    ap.add_argument("--name", default="kimi-conformance", help="report title")
    form = ap.add_mutually_exclusive_group()
    form.add_argument(
        "--single-file",
        dest="single_file",
        action="store_true",
        default=True,
        help="one self-contained index.html that opens from disk (file://); the default",
    )
    form.add_argument(
        "--multi-file",
        dest="single_file",
        action="store_false",
        help="index.html with data files beside it: open it through `kimi-conformance report serve DIR`",
    )
    ap.add_argument(
        "--browser-check",
        type=Path,
        metavar="SHOTS_DIR",
        help="after building, open the report in headless Chromium (harness.reporting.screenshot): "
        "screenshots into SHOTS_DIR; skipped, with a line, without Playwright or Chromium",
    )
    ap.add_argument(
        "--fail-on-failures",
        action="store_true",
        help="after building, exit 1 when a test failed or broke (the report is published first)",
    )
    ap.add_argument(
        "--clear-results",
        action="store_true",
        help="first remove the --results directory (tox -e report, before the suites run: a suite run that "
        "never starts leaves no earlier run's results to build from)",
    )
    ap.add_argument("--install-only", action="store_true", help="install the pinned Allure 3 into the cache and exit")
    ap.add_argument("--force-install", action="store_true", help="reinstall Allure 3 even when up to date")
    args = ap.parse_args(argv)
    if args.clear_results:
        shutil.rmtree(args.results, ignore_errors=True)
    try:
        if args.install_only or args.force_install:
            d = install(force=args.force_install)
            print(d)
            if args.install_only:
                return 0
        built = generate(
            args.results,
            args.out,
            args.history,
            name=args.name,
            single_file=args.single_file,
            matrix=args.matrix,
            results_dir=args.results_dir,
            summary_md=args.summary,
        )
    except (BuildError, subprocess.CalledProcessError) as e:
        print(f"[report] error: {e}", file=sys.stderr)
        return 2
    status = 0
    if args.fail_on_failures:
        bad = failing_tests(args.results)
        if bad:
            _say(f"{len(bad)} test(s) failed or broke; the report is built, ending non-zero:")
            for name in bad[:20]:
                print(f"  {name}")
            status = 1
        elif built["suite_exitstatus"] not in (None, 0, 1):  # interrupted, internal or usage error
            _say(f"the suite run did not complete (pytest exit status {built['suite_exitstatus']}); ending non-zero")
            status = 1
    if args.browser_check is not None:
        checked = browser_check(Path(built["out"]), args.browser_check)
        status = status or checked
    return status


def browser_check(report: Path, shots: Path) -> int:
    """The browser check of a report just built: 0 passed or skipped, 3 it found a problem. It
    runs after the report and the summary are written, and never touches them."""
    from harness.reporting import screenshot

    try:
        summary, bad = screenshot.check(report, shots)
    except Exception as e:  # a broken browser is the check's problem, never the report's
        _say(f"browser check: could not run ({type(e).__name__}: {e})")
        return 3
    if summary is None:
        _say(f"browser check skipped: {bad[0]}")
        return 0
    for w in screenshot.warnings(summary):
        _say(f"browser check note: {w}")
    for p in bad:
        _say(f"browser check FAILED: {p}")
    opened = summary.get("opened")
    _say(f"browser check ({opened}): {'FAILED' if bad else 'passed'}; screenshots in {shots}")
    return 3 if bad else 0


def failing_tests(results: Path) -> list[str]:
    from harness.reporting.history import FAILING, latest_results

    return sorted(
        f"{r.get('status')}: {r.get('fullName')} {r.get('name')}"
        for _, r in latest_results(results).values()
        if r.get("status") in FAILING
    )


if __name__ == "__main__":
    sys.exit(main())
