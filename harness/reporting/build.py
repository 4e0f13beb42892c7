"""Build the HTML conformance report offline with Allure 3 — the one entry point of `tox -e report`.

    python -m harness.reporting.build [--results reports/allure-results] [--out reports/allure-report]
                                      [--history reports/history.jsonl] [--matrix reports/matrix.md]

Steps:

1. install Allure 3 (npm package `allure`, pinned in harness/reporting/allure3/package.json and its
   lock file) into ``<cache>/allure3/allure-<version>/`` with the system Node (>= 20) and npm —
   idempotent (a stamp holds the package.json + lock hash) and atomic; ``<cache>`` is
   ``$KIMI_CONFORMANCE_CACHE`` or ``~/.cache/kimi-conformance`` (as for Node targets);
2. scrub every file of the results directory with `harness.reporting.redact.scrub` and refuse to
   go on if an API key survived;
3. mark regressions from the history file (`harness.reporting.history`): passed in the previous
   run, failed now -> label `regression=true`, matched by the "Regressions" category. History is
   keyed by run (the run id of the `--kimi-results-dir` set, harness.reporting.runs): a rebuild of the
   same run replaces its line, and the previous run is the newest *different* run of the same
   target names, so building twice shows the same regressions;
4. generate with the Awesome plugin, history kept in ``--history`` (outside allure-results, so
   it survives `--clean-alluredir`), categories from `harness.reporting.categories`, under a Node
   preload (allure3/offline-guard.cjs) that refuses and records any connection, DNS lookup or
   fetch to a non-loopback host;
5. strip Allure's analytics (the Awesome template always emits a Google Tag Manager script),
   render the conformance matrix (Markdown from harness/reporting/matrix.py) to matrix.html and
   link it from the report; write the summary (harness.reporting.summary: regressions with their
   cause and minimal case, new / fixed divergences, n/a changes, target versions) to ``--summary``
   and into the report, linked from its overview, and append it to ``$GITHUB_STEP_SUMMARY``;
6. check the output: no HTML/CSS/JS reference that would make a browser fetch from an outside
   host (script/link/img/iframe sources, CSS url()/@import, fetch()/importScripts of http(s) URLs,
   known analytics / font / CDN hosts). Any hit fails the build.

Exit status: 2 when the report could not be built (or would not be offline-clean, or a key
survived scrubbing); else, with `--fail-on-failures`, 1 when a test failed or broke (after the
report is written, so a CI job publishes it and still goes red); else 0.
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

from harness.reporting import categories, runs
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
from harness.reporting.history import allure_run, mark_regressions, previous_run, tag_new_lines, without_run
from harness.reporting.matrix_page import add_matrix, add_page, matrix_markdown
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
    single_file: bool = False,
    matrix: Path | None = None,
    results_dir: Path | None = None,
    allure_dir: Path | None = None,
    summary_md: Path | None = None,
) -> dict:
    t0 = time.monotonic()
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise BuildError(f"no Allure results in {results} (run pytest with --alluredir {results})")
    allure_dir = allure_dir or install()
    changed = scrub_results(results)
    current = runs.load_optional(results_dir)
    run_id, targets = (current.run_id, current.targets) if current else allure_run(results)
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
        tag_new_lines(
            run_history,
            known,
            current.snapshot() if current else {"runId": run_id, "targets": {t: {} for t in targets}},
        )
        shutil.copyfile(run_history, history.with_name(history.name + ".tmp"))
        os.replace(history.with_name(history.name + ".tmp"), history)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stripped = strip_analytics(out)
    md = matrix_markdown(matrix, [d for d in (results_dir,) if d]) if matrix else None
    has_matrix = add_matrix(out, md)
    if current is not None:
        before = previous.get("kimi") if previous else None
        s = run_summary.compare(runs.ResultsSet.from_snapshot(before) if before else None, current)
        summary_md = summary_md or history.with_name("summary.md")
        add_page(
            out,
            run_summary.write(s, summary_md),
            "summary",
            "Summary",
            right_px=175,
            files=summary_md.parent / run_summary.CASES_DIR,
        )
        run_summary.append_step_summary(s)
    problems, notes = offline_problems(out)
    if problems:
        raise BuildError("the report would fetch from outside hosts:\n" + "\n".join(problems[:50]))
    (out / "regressions.json").write_text(json.dumps(regressions, indent=1), encoding="utf-8")
    summary = {
        "out": str(out),
        "index": str(out / "index.html"),
        "regressions": regressions,
        "run_id": run_id,
        "summary": str(summary_md) if current is not None else None,
        "scrubbed_files": changed,
        "analytics_removed": stripped,
        "matrix": has_matrix,
        "inert_urls_in_attachments": len(notes),
        "seconds": round(time.monotonic() - t0, 1),
    }
    _say(
        f"report: {out / 'index.html'} ({len(regressions)} regression(s), matrix: {'yes' if has_matrix else 'no'}, "
        f"analytics tags removed: {stripped}, {summary['seconds']}s)"
    )
    return summary


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
        help="conformance matrix Markdown to include (default reports/matrix.md, skipped when absent)",
    )
    ap.add_argument(
        "--results-dir",
        type=Path,
        default=Path("reports/results"),
        help="per-test conformance results (pytest --kimi-results-dir), for the matrix hook",
    )
    ap.add_argument(
        "--summary",
        type=Path,
        default=Path("reports/summary.md"),
        help="where the run summary goes (Markdown; default reports/summary.md)",
    )
    ap.add_argument("--name", default="kimi-conformance", help="report title")
    ap.add_argument("--single-file", action="store_true", help="one self-contained index.html (opens from file://)")
    ap.add_argument(
        "--fail-on-failures",
        action="store_true",
        help="after building, exit 1 when a test failed or broke (the report is published first)",
    )
    ap.add_argument("--install-only", action="store_true", help="install the pinned Allure 3 into the cache and exit")
    ap.add_argument("--force-install", action="store_true", help="reinstall Allure 3 even when up to date")
    args = ap.parse_args(argv)
    try:
        if args.install_only or args.force_install:
            d = install(force=args.force_install)
            print(d)
            if args.install_only:
                return 0
        generate(
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
    if args.fail_on_failures:
        bad = failing_tests(args.results)
        if bad:
            _say(f"{len(bad)} test(s) failed or broke; the report is built, ending non-zero:")
            for name in bad[:20]:
                print(f"  {name}")
            return 1
    return 0


def failing_tests(results: Path) -> list[str]:
    from harness.reporting.history import FAILING, latest_results

    return sorted(
        f"{r.get('status')}: {r.get('fullName')} {r.get('name')}"
        for _, r in latest_results(results).values()
        if r.get("status") in FAILING
    )


if __name__ == "__main__":
    sys.exit(main())
