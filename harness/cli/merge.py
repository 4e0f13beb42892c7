"""`kimi-conformance merge RESULTS_DIR... --out DIR`: the results of the parts of one run (the shards
of `--kimi-shard I/N` on several machines, several seeds) as one run's results directory.

Writes the merged results files and contract coverage into `--out` (harness.reporting.merge); with
`--allure DIR...` also the parts' Allure results into `--allure-out`, with a run file naming the
merged run, so `python -m harness.reporting.build --results ALLURE_OUT --results-dir OUT` builds
the report, matrix and summary of the whole run. A folder whose sub-folders hold results (a CI
job's downloaded artifacts) counts as its sub-folders. Exit 0 merged, 2 bad input (one line).
"""

from __future__ import annotations

from pathlib import Path

from harness.cli.inputs import UsageProblem


def cmd_merge(args) -> int:
    from harness.reporting.merge import merge_dirs

    out = Path(args.out).resolve()
    inputs = [Path(p) for p in args.inputs]
    if any(p.resolve() == out for p in inputs):
        raise UsageProblem(f"--out {args.out}: is also an input; merge into a new directory")
    try:
        done = merge_dirs(inputs, Path(args.out), [Path(p) for p in args.allure or []], args.allure_out)
    except (OSError, ValueError) as e:  # a coverage file's error is a ValueError too
        raise UsageProblem(str(e)) from None
    print(f"merged {len(inputs)} input(s): {done['tests']} tests, run {done['run_id']} -> {args.out}")
    return 0


def add_merge_command(sub) -> None:
    p = sub.add_parser(
        "merge",
        help="merge the results directories of a run's parts (--kimi-shard, seeds, CI jobs) into one",
        description=__doc__,
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="RESULTS_DIR",
        help="results directories or files of the parts (--kimi-results-dir of each shard)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="the merged results directory (e.g. reports/results)")
    p.add_argument(
        "--allure", nargs="+", metavar="DIR", help="the parts' Allure results (pytest --alluredir of each shard)"
    )
    p.add_argument(
        "--allure-out",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --allure: where the merged Allure results go (default: allure-results beside --out)",
    )
    p.set_defaults(func=cmd_merge)
