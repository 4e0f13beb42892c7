"""`kimi-conformance validate-captures [PATH]`: schema-check recorded Moonshot traffic
(default: the real captures shipped with the package)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of validate-captures: on the `kimi-conformance` subcommand and `python -m harness.cli.wire`.
    Nothing is imported here: the command line is parsed before anything heavy loads."""
    parser.add_argument(
        "path",
        nargs="?",
        default=None,
        help="capture file or directory, searched recursively (default: the real captures "
        "shipped with kimi-conformance, harness/cassettes/real_captures)",
    )
    parser.add_argument(
        "--all-errors", action="store_true", help="list every error of a failing file, not only the first"
    )


def validate_captures_main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """0 all validated files passed, 1 some failed, 2 path missing or nothing validated."""
    parser = argparse.ArgumentParser(
        prog="kimi-conformance validate-captures",
        description="Validate captured Moonshot request/response/stream/error bodies against the wire schemas.",
    )
    add_arguments(parser)
    return validate_captures(parser.parse_args(list(argv) if argv is not None else None), out)


def validate_captures(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from harness.cassettes.captures import SHIPPED, validate_path

    out = out or sys.stdout
    root = Path(args.path) if args.path is not None else SHIPPED
    if not root.exists():
        print(f"kimi-conformance validate-captures: no such file or directory: {root}", file=sys.stderr)
        return 2
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for res in validate_path(root):
        counts[res.status] += 1
        if res.status == "SKIP":
            print(f"SKIP  {res.file}  {res.reason}", file=out)
        elif res.status == "PASS":
            print(f"PASS  {res.file}  {res.kind}", file=out)
        else:
            first, rest = res.errors[0], res.errors[1:]
            more = f"  (+{len(rest)} more)" if rest and not args.all_errors else ""
            print(f"FAIL  {res.file}  {res.kind}  {first.path}: {first.message}{more}", file=out)
            if args.all_errors:
                for err in rest:
                    print(f"      {err.path}: {err.message}", file=out)
    print(
        f"validate-captures: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped",
        file=out,
    )
    if counts["PASS"] + counts["FAIL"] == 0:
        return 2
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    raise SystemExit(validate_captures_main())
