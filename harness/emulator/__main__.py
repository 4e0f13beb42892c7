"""python -m harness.emulator [--port N] [--seed S] [--rpm R] [--faults SPEC|FILE] [--rules FILE]
[--require-agent-user-agent]: print the base URLs, serve until SIGINT/SIGTERM (the same as
`kimi-conformance emulator serve`, whose options harness/emulator/serve.py declares for both)."""

import argparse
import sys

from .serve import ServeOptionError, add_serve_arguments, serve_from_args


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.emulator", description=__doc__)
    add_serve_arguments(ap)
    args = ap.parse_args()
    try:
        serve_from_args(args)
    except ServeOptionError as e:
        print(f"python -m harness.emulator: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
