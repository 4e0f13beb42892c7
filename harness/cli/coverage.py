"""`kimi-conformance coverage [RESULTS]`: what a run exercised, per target, as a rule x check table.

Reads the `coverage-<target>.json` files a run wrote with `--kimi-results-dir` (harness.engine.
coverage): per check, how many cases exercised it (replayed seeds apart), how many violated it, the
case forms drawn and the forms never drawn; then the tests whose examples were mostly discarded
and the checks no broken implementation of tests/mutants.py trips (unproven). Colours only on a
terminal (and never with NO_COLOR). Exit 0; with `--fail-on-gaps`, 1 when the gate would fail.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from harness.cli.inputs import UsageProblem

COLOURS = {"green": "32", "yellow": "33", "red": "31", "n/a": "90", "diagnosis": "90"}


def _paint(text: str, status: str, colour: bool) -> str:
    return f"\033[{COLOURS[status]}m{text}\033[0m" if colour and status in COLOURS else text


def load(inputs: list[str]) -> dict[str, dict]:
    from harness.engine.coverage import CoverageFileError, files, merge, read

    paths = [Path(p) for p in inputs or ["reports/results"]]
    # a folder of downloaded parts (a CI merge job's artifacts): each sub-folder's files, added up
    paths = [q for p in paths for q in (_parts(p) if p.is_dir() and not any(p.glob("coverage-*.json")) else [p])]
    try:
        found = files(paths)
        if not found:
            where = ", ".join(str(p) for p in paths)
            raise UsageProblem(f"no coverage-*.json in {where}: run pytest with --kimi-results-dir {paths[0]} first")
        return merge(read(p) for p in found)
    except CoverageFileError as e:
        raise UsageProblem(str(e)) from None


def _parts(folder: Path) -> list[Path]:
    return sorted(d for d in folder.iterdir() if d.is_dir() and any(d.glob("coverage-*.json"))) or [folder]


def render(docs: dict[str, dict], colour: bool = False) -> tuple[str, int]:
    """The tables, and the number of gaps the gate would fail on."""
    from harness.engine.coverage import summarize

    out: list[str] = []
    gaps = 0
    for name, doc in sorted(docs.items()):
        s = summarize(doc)
        n = s.counts()
        out.append(
            f"{name}: {n['green']} green, {n['yellow']} yellow, {n['red']} red, {n['n/a']} n/a "
            f"({len(s.models)} model(s))"
        )
        header = ("rule", "check", "status", "exercised", "replayed", "violated", "forms missing")
        rows = [
            (
                r.rule,
                r.check or "(rule forms)",
                r.status,
                str(r.exercised),
                str(r.replayed),
                str(r.violated),
                "; ".join(r.forms_missing) or ("-" if r.status != "n/a" else r.note),
            )
            for r in s.rows
        ]
        widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
        out.append("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
        for row, r in zip(rows, s.rows):
            cells = [c.ljust(w) for c, w in zip(row, widths)]
            cells[2] = _paint(cells[2], r.status, colour)
            out.append("  ".join(cells).rstrip())
        for st in s.starved:
            out.append(
                _paint(
                    f"not exercised: {st.rule} on {st.model}: {st.discarded} of {st.attempts} examples discarded",
                    "red",
                    colour,
                )
            )
            for why, count in sorted(st.reasons.items(), key=lambda kv: -kv[1]):
                out.append(f"  {count}x {why}")
        unproven = sorted({r.check for r in s.rows if r.check and r.status not in ("n/a",) and not r.proven_by})
        if unproven:
            out.append(f"unproven (no broken implementation in tests/mutants.py trips it): {', '.join(unproven)}")
        problems = s.problems
        gaps += len(problems)
        for p in problems:
            out.append(_paint(f"gap: {p}", "red", colour))
        out.append("")
    return "\n".join(out).rstrip() + "\n", gaps


def as_json(docs: dict[str, dict]) -> str:
    from dataclasses import asdict

    from harness.engine.coverage import summarize

    data = {}
    for name, doc in sorted(docs.items()):
        s = summarize(doc)
        data[name] = {
            "rows": [asdict(r) for r in s.rows],
            "starved": [asdict(x) for x in s.starved],
            "gaps": s.problems,
            "models": s.models,
        }
    return json.dumps(data, indent=1)


def cmd_coverage(args) -> int:
    docs = load(args.inputs)
    if args.json:
        print(as_json(docs))
        from harness.engine.coverage import summarize

        gaps = sum(len(summarize(d).problems) for d in docs.values())
    else:
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        text, gaps = render(docs, colour)
        sys.stdout.write(text)
    return 1 if args.fail_on_gaps and gaps else 0


def add_coverage_command(sub) -> None:
    p = sub.add_parser(
        "coverage",
        help="contract coverage of a run: per rule and check, exercised / violated / case forms never drawn",
        description="Contract coverage from the coverage-<target>.json files of --kimi-results-dir: per rule "
        "and check how many cases exercised it and violated it, which declared case forms "
        "(harness/rules/forms.yaml) were never drawn, the tests whose examples were mostly discarded, and the "
        "checks no broken implementation trips (unproven). Green: every form drawn; yellow: exercised, some "
        "form never drawn; red: never exercised.",
    )
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="RESULTS",
        help="results directories or coverage files (default reports/results); a target's files are added up",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--fail-on-gaps", action="store_true", help="exit 1 when --kimi-min-coverage would fail the run")
    p.set_defaults(func=cmd_coverage)
