"""python -m harness.emulator --port N [--seed S] [--rpm R]: print the base URL, serve until SIGINT/SIGTERM."""
import argparse

from .server import serve_forever


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m harness.emulator", description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="0 = any free port")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rpm", type=int, default=None, help="requests per minute per key (default unlimited)")
    args = ap.parse_args()
    serve_forever(args.port, seed=args.seed, rpm=args.rpm)


if __name__ == "__main__":
    main()
