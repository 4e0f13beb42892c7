"""`kimi-conformance emulator serve` and `python -m harness.emulator`: the emulator on 127.0.0.1
with the real clock, until a signal. Both entry points take the options declared here, once."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from . import rules
from .server import Emulator


class ServeOptionError(ValueError):
    """A --faults or --rules value that cannot be read; the message names the option."""


def add_serve_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: a free one, printed)")
    ap.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of ids and generated text (same seed, same bytes) and of which requests get faults",
    )
    ap.add_argument(
        "--rpm",
        type=int,
        default=None,
        metavar="N",
        help="answer 429 rate_limit_reached_error past N requests per minute (default: no limit)",
    )
    ap.add_argument(
        "--faults",
        metavar="SPEC|FILE",
        default=None,
        help='fault plan, e.g. "429:0.2,503:0.05,stall:0.01,truncate:0.02", or a file holding one '
        "(deterministic with --seed)",
    )
    ap.add_argument(
        "--rules",
        metavar="FILE",
        default=None,
        help="serve the rules of FILE instead of harness/emulator/rules.json (e.g. an altered copy, to see "
        "`kimi-conformance drift --upstream` call that rule drifted)",
    )
    ap.add_argument(
        "--require-agent-user-agent",
        action="store_true",
        help="Anthropic surface: 403 unless User-Agent is claude-code/... (an unconfirmed field report, "
        "off by default)",
    )


def serve_from_args(args: argparse.Namespace) -> None:
    """Serve with the options of `add_serve_arguments`; a bad --faults / --rules is a ServeOptionError."""
    from . import faults

    try:
        plan = faults.load(args.faults, seed=args.seed)
    except faults.FaultSpecError as e:
        raise ServeOptionError(f"--faults: {e}") from None
    if args.rules is not None:
        try:
            rules.use_rules(args.rules)
        except rules.RulesFileError as e:
            raise ServeOptionError(f"--rules {e}") from None
    serve_forever(
        args.port, seed=args.seed, rpm=args.rpm, faults=plan, require_agent_user_agent=args.require_agent_user_agent
    )


def serve_forever(port: int = 0, *, seed: int = 0, rpm: int | None = None, **kwargs) -> None:
    """Serve on 127.0.0.1 with the real clock until SIGINT/SIGTERM; prints the Moonshot base URL
    first (the Kimi Coding one, its sibling .../coding/v1, on the second line)."""
    emu = Emulator(seed=seed, rpm=rpm, clock=time.time, **kwargs)
    if emu.faults:
        print(f"faults: {emu.faults.describe()} (seed {emu.faults.seed})", file=sys.stderr, flush=True)
    if rules.rules_source() != rules.RULES_FILE:  # `emulator serve --rules FILE`
        print(f"rules: {rules.rules_source()}", file=sys.stderr, flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(emu.start(port), flush=True)
    print(emu.coding_base_url, flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        emu.stop()
