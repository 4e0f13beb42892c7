"""`kimi-conformance` (console script): the guard, then harness.cli.main."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from kimi_conformance import shadowing_problem

    problem = shadowing_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from harness.cli.main import main as harness_main

    return harness_main(argv)


if __name__ == "__main__":
    sys.exit(main())
