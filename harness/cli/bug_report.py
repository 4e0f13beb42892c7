"""`kimi-conformance bug-report --target T (--divergence ID | --all) [--out DIR]`: a ready-to-file
issue body per known divergence of a real target, with a runnable reproduction beside it.

Writes `DIR/<target>/<id>.md` (the Markdown body, harness/reporting/bug_report.py) and
`DIR/<target>/<id>/repro.mjs` or `repro.py` (the reproduction the body shows and names), and prints
each body's path. The target must be installed: its driver runs each minimal case once (what the
library sends), and a Node reproduction runs from its install dir.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.inputs import UsageProblem

DEFAULT_OUT = "reports/bug-reports"


def add_command(sub) -> None:
    p = sub.add_parser(
        "bug-report",
        help="write a ready-to-file issue body (with a runnable reproduction) per known divergence of a real target",
        description="For a known divergence of a real target (OpenClaw, pi-ai, LiteLLM, pydantic-ai, ...): a "
        "Markdown issue body — title, library and version, the contract rule and its sources, the minimal case, "
        "what the library sends vs what the contract expects (a JSON diff), what the upstream answers — and a "
        "runnable reproduction in the library's own language that prints the request body the library sends "
        "(a loopback capture). Exit 0 written, 2 bad input (an unknown target or divergence, a target not installed).",
    )
    p.add_argument("--target", required=True, help="the real target: openclaw, pi-ai, litellm, pydantic-ai, ...")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--divergence", action="append", metavar="ID", help="the divergence id (repeatable)")
    which.add_argument("--all", action="store_true", help="every divergence listed for the target")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"where to write (default {DEFAULT_OUT})")
    p.set_defaults(func=cmd_bug_report)


def cmd_bug_report(args: argparse.Namespace) -> int:
    from harness.reporting.bug_report import build, entries, real_targets
    from harness.targets import create
    from harness.util.fs import atomic_write
    from harness.util.scrub import scrub_text, spec_name

    name = args.target.split(":", 1)[0]
    real = real_targets()
    if name not in real:
        raise UsageProblem(f"--target {spec_name(args.target)}: not a real target (one of {', '.join(real)})")
    listed = {d.id: d for d in entries(name)}
    wanted = list(listed) if args.all else args.divergence
    unknown = [i for i in wanted if i not in listed]
    if unknown:
        raise UsageProblem(
            f"--divergence {unknown[0]}: no such divergence of {name} (see harness/divergences/{name}.yaml)"
        )
    out = Path(args.out) / name
    target = create(args.target)
    try:
        for entry_id in wanted:
            repro_dir = (out / entry_id).resolve()
            report = build(target, listed[entry_id], repro_dir=str(repro_dir))
            if report.repro is not None:
                repro_dir.mkdir(parents=True, exist_ok=True)
                atomic_write(repro_dir / report.repro.filename, scrub_text(report.repro.source))
            atomic_write(out / f"{entry_id}.md", report.body)
            print(out / f"{entry_id}.md")
    finally:
        target.close()
    sys.stdout.flush()
    return 0
