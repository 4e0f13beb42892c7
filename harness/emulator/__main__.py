"""python -m harness.emulator --port N [--seed S] [--rpm R] [--faults SPEC|FILE]: print the base URL,
serve until SIGINT/SIGTERM (the same as `kimi-conformance emulator serve`)."""

import argparse
import sys

from . import faults
from .serve import serve_forever


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.emulator", description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="0 = any free port")
    ap.add_argument("--seed", type=int, default=0, help="varies ids/texts and which requests get faults")
    ap.add_argument("--rpm", type=int, default=None, help="requests per minute per key (default unlimited)")
    ap.add_argument(
        "--faults",
        metavar="SPEC|FILE",
        default=None,
        help='fault plan, e.g. "429:0.2,503:0.05,stall:0.01,truncate:0.02", or a file holding one',
    )
    args = ap.parse_args()
    try:
        plan = faults.load(args.faults, seed=args.seed)
    except faults.FaultSpecError as e:
        print(f"python -m harness.emulator: error: --faults: {e}", file=sys.stderr)
        return 2
    serve_forever(args.port, seed=args.seed, rpm=args.rpm, faults=plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
