"""`kimi-conformance` — the command line. Each subcommand imports only what it needs."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence


def _price(cost: dict) -> str:
    unit = {"usd_per_mtok": "$/MTok", "usd_per_ktok": "$/KTok"}[cost["unit"]]
    parts = [cost["input"], cost["output"], cost.get("cacheRead", 0)]
    text = " / ".join(f"{p:g}" for p in parts) + f" {unit}"
    if cost.get("placeholder"):
        text += " (placeholder)"
    elif cost.get("example"):
        text += " (example)"
    return text


def cmd_catalog(args) -> int:
    from harness.cli_online import load_catalog

    cat = load_catalog(args.catalog)
    models = cat.models(include_retired=not args.skip_retired)
    if args.json:
        print(json.dumps([{"ref": m.ref, "name": m.name, "status": m.status, "thinking": m.thinking_mode,
                           "input": m.input, "contextWindow": m.data["contextWindow"],
                           "maxTokens": m.data["maxTokens"], "cost": m.cost} for m in models], indent=2))
        return 0
    rows = [("ref", "name", "thinking", "input", "context", "max out", "input / output / cache read", "status")]
    for m in models:
        rows.append((m.ref, m.name, m.thinking_mode, ",".join(m.input), f"{m.data['contextWindow']:,}",
                     f"{m.data['maxTokens']:,}", _price(m.cost), m.status))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    aliases = cat.accepted_refs()
    extra = sorted(k for k, v in aliases.items() if k != v)
    print(f"\n{len(models)} models, catalog {cat.version} ({cat.origin}); {len(extra)} more accepted refs "
          f"(aliases, legacy refs, provider prefixes): kimi-conformance resolve REF")
    return 0


def cmd_resolve(args) -> int:
    from harness.cli_online import load_catalog
    from harness.errors import CatalogError

    cat = load_catalog(args.catalog)
    status = 0
    for ref in args.refs:
        try:
            m = cat.resolve(ref)
            print(f"{ref} -> {m.ref}  ({m.provider.base_url}, api model id {m.id})")
        except CatalogError as e:
            print(f"error: {e}", file=sys.stderr)
            status = 1
    return status


def cmd_transform(args) -> int:
    from harness.errors import HarnessError
    from harness.targets import create

    raw = sys.stdin.read() if args.case == "-" else open(args.case, encoding="utf-8").read()
    target = create(args.target, timeout=args.timeout)
    try:
        cases = [json.loads(line) for line in raw.splitlines() if line.strip()] if args.lines else [json.loads(raw)]
        for case in cases:
            print(json.dumps(target.transform(case), indent=None if args.lines else 2, ensure_ascii=False))
    except (HarnessError, json.JSONDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        target.close()
    return 0


def cmd_validate_captures(args) -> int:
    from harness.cli_wire import validate_captures_main

    return validate_captures_main(args.rest)


def cmd_emulator(args) -> int:
    from harness.emulator.server import serve_forever

    serve_forever(args.port, seed=args.seed, rpm=args.rpm)
    return 0


def cmd_matrix(args) -> int:
    from harness.reporting.matrix import main as matrix_main

    return matrix_main(args.inputs or ["reports/results"], markdown=args.markdown)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kimi-conformance", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("catalog", help="list the model catalog as a table")
    p.add_argument("--catalog", "--config", dest="catalog", metavar="PATH",
                   help="a user catalog or OpenClaw / nix-openclaw config (JSON or JSON5) merged over the built-in one")
    p.add_argument("--skip-retired", action="store_true", help="leave out models the catalog marks retired")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_catalog)

    p = sub.add_parser("resolve", help="resolve model refs (aliases, legacy refs) to canonical refs")
    p.add_argument("refs", nargs="+", metavar="REF", help="model refs in any spelling: alias, legacy ref, provider prefix")
    p.add_argument("--catalog", "--config", dest="catalog", metavar="PATH",
                   help="a user catalog or OpenClaw / nix-openclaw config (JSON or JSON5) merged over the built-in one")
    p.set_defaults(func=cmd_resolve)

    p = sub.add_parser("transform", help="run one case (JSON file, or - for stdin) through a target")
    p.add_argument("case", help="the case: a JSON file (docs: README, the case / target protocol), or - for stdin")
    p.add_argument("--target", default="reference",
                   help="the target: reference (default), python:MODULE:CALLABLE, command:CMD, openclaw, pi-ai, "
                        "litellm, http:URL (as pytest --target)")
    p.add_argument("--lines", action="store_true", help="input holds one case per line; one request per line out")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="per-case timeout for process targets (default 30)")
    p.set_defaults(func=cmd_transform)

    p = sub.add_parser("validate-captures", add_help=False,
                       help="schema-check captures or cassettes (default: the real captures shipped with the "
                            "package); `validate-captures --help` for its options")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="PATH and options of validate-captures")
    p.set_defaults(func=cmd_validate_captures)

    p = sub.add_parser("emulator", help="the Moonshot emulator: `emulator serve --port N`")
    esub = p.add_subparsers(dest="action", required=True)
    s = esub.add_parser("serve", help="serve a Moonshot-compatible API on 127.0.0.1",
                        description="Serve the emulated Moonshot API (/v1) and Kimi Coding API (/coding/v1) on "
                                    "127.0.0.1 until Ctrl-C; prints both base URLs. Requests need "
                                    "`Authorization: Bearer sk-...` (any sk- key): without one the answer is the "
                                    "API's 401 invalid_authentication_error.")
    s.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: a free one, printed)")
    s.add_argument("--seed", type=int, default=0, help="seed of ids and generated text: same seed, same bytes")
    s.add_argument("--rpm", type=int, default=None, metavar="N",
                   help="answer 429 rate_limit_reached_error past N requests per minute (default: no limit)")
    s.set_defaults(func=cmd_emulator)

    p = sub.add_parser("matrix", help="conformance matrix (target x rule x model) from --results-dir files")
    p.add_argument("inputs", nargs="*", metavar="RESULTS_DIR_OR_FILES",
                   help="results directories or files (default reports/results)")
    p.add_argument("--markdown", metavar="PATH", help="also write the Markdown report here (e.g. reports/matrix.md)")
    p.set_defaults(func=cmd_matrix)

    # a light module: the work it does is imported when the command runs
    from harness.reporting.summary import add_compare_command

    add_compare_command(sub)
    from harness.rules._cli import add_rules_command

    add_rules_command(sub)

    from harness.cli_online import add_parsers

    add_parsers(sub)  # websearch, smoke
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from harness.errors import HarnessError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HarnessError as e:  # bad input (a catalog, a ref, a missing key): one line, never a traceback
        print(f"kimi-conformance {args.command}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
