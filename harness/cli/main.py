"""`kimi-conformance` — the command line. Each subcommand imports only what it needs.

Exit codes (docs/reference/exit-codes.md): 0 success; 1 the check failed (a case rejected, a ref
unresolved, a capture invalid, a rule broken); 2 bad input (a file missing or malformed, a bad
option: one line on stderr naming it); 4 internal error (a harness bug); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from harness.cli.inputs import UsageProblem, add_catalog_option, malformed, one_line, read_cases

EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 4, 130
__all__ = ["EXIT_FAILED", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_USAGE", "UsageProblem", "build_parser", "main"]


def version() -> str:
    from harness import __version__

    return f"kimi-conformance {__version__}"


class Parser(argparse.ArgumentParser):
    """argparse with the command's conventions: `--help` and `--version` on every (sub)command, and a
    bad option or argument is one line on stderr naming it, exit 2 (not argparse's usage block)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.add_help:
            self.add_argument("--version", action="version", version=version(), help="print the version and exit")

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def cmd_resolve(args) -> int:
    from harness.cli.endpoints import load_catalog
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
    from harness.targets import NotExpressible, create

    cases = read_cases(args.case, args.lines)
    where = "<stdin>" if args.case == "-" else args.case
    for n, case in enumerate(cases, 1):
        problem = malformed(case)
        if problem:
            at = f"line {n}: " if args.lines else ""
            raise UsageProblem(f"{where}: {at}{problem}")
    target = create(args.target, timeout=args.timeout)
    try:
        for n, case in enumerate(cases, 1):
            try:
                out = target.transform(case)
            except NotExpressible as e:  # bad input for this target, as `check` says it: one line, exit 2
                at = f"line {n}: " if args.lines else ""
                print(
                    f"kimi-conformance transform: {where}: {at}{target.name} cannot express this case: {one_line(e)}",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            print(json.dumps(out, indent=None if args.lines else 2, ensure_ascii=False))
    except HarnessError as e:
        print(f"kimi-conformance transform: {where}: {one_line(e)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        target.close()
    return 0


def cmd_validate_captures(args) -> int:
    from harness.cli.wire import validate_captures

    return validate_captures(args)


def cmd_emulator(args) -> int:
    from harness.emulator.serve import ServeOptionError, serve_from_args

    try:
        serve_from_args(args)
    except ServeOptionError as e:
        raise UsageProblem(str(e)) from None
    return 0


def cmd_matrix(args) -> int:
    from harness.reporting.matrix import main as matrix_main
    from harness.reporting.merge import load_matrix

    # several results directories (a run's shards) are merged as one run would have written them
    return matrix_main(args.inputs or ["reports/results"], markdown=args.markdown, loader=load_matrix)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="kimi-conformance",
        description=__doc__,
        epilog="`kimi-conformance COMMAND --help` for a command's options",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("catalog", help="list the model catalog as a table")
    add_catalog_option(p)
    p.add_argument("--skip-retired", action="store_true", help="leave out models the catalog marks retired")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--drift",
        action="store_true",
        help="per model id, which installed integration (OpenClaw, pi-ai, LiteLLM, pydantic-ai, Vercel AI SDK) knows it and whether "
        "the catalog does; exit 1 when one knows a current model the catalog lacks and the allow-list does not name",
    )
    p.add_argument(
        "--allow-list",
        metavar="FILE",
        default=None,
        help="with --drift: deliberate omissions, each with its reason (default harness/catalog/drift-allow.yaml)",
    )
    p.add_argument(
        "--from",
        dest="drift_from",
        action="append",
        metavar="NAME=PATH",
        help="with --drift: read integration NAME (openclaw, pi-ai, litellm, pydantic-ai, vercel-ai) from PATH instead of "
        "where it is installed (a package folder; LiteLLM's cost-map JSON file) (repeatable)",
    )
    from harness.cli.catalog import cmd_catalog

    p.set_defaults(func=cmd_catalog)

    p = sub.add_parser("resolve", help="resolve model refs (aliases, legacy refs) to canonical refs")
    p.add_argument(
        "refs", nargs="+", metavar="REF", help="model refs in any spelling: alias, legacy ref, provider prefix"
    )
    add_catalog_option(p)
    p.set_defaults(func=cmd_resolve)

    p = sub.add_parser("transform", help="run one case (JSON file, or - for stdin) through a target")
    p.add_argument("case", help="the case: a JSON file (docs/reference/case-format.md), or - for stdin")
    p.add_argument(
        "--target",
        default="reference",
        help="the target: reference (default), python:MODULE:CALLABLE, command:CMD, openclaw, pi-ai, "
        "litellm, pydantic-ai, vercel-ai, http:URL (as pytest --kimi-target)",
    )
    p.add_argument("--lines", action="store_true", help="input holds one case per line; one request per line out")
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="per-case timeout for process targets (default 30)",
    )
    p.set_defaults(func=cmd_transform)

    p = sub.add_parser(
        "validate-captures",
        help="schema-check captures or cassettes (default: the real captures shipped with the package)",
        description="Validate captured Moonshot request/response/stream/error bodies, or cassettes, against the "
        "wire schemas. Exit 0 all passed, 1 some failed, 2 the path is missing or nothing was validated.",
    )
    from harness.cli.wire import add_arguments as add_validate_arguments

    add_validate_arguments(p)
    p.set_defaults(func=cmd_validate_captures)

    p = sub.add_parser("emulator", help="the Moonshot emulator: `emulator serve --port N`")
    esub = p.add_subparsers(dest="action", required=True)
    s = esub.add_parser(
        "serve",
        help="serve a Moonshot-compatible API on 127.0.0.1",
        description="Serve the emulated Moonshot API (/v1) and Kimi Coding API (/coding/v1) on "
        "127.0.0.1 until Ctrl-C; prints both base URLs. Requests need "
        "`Authorization: Bearer sk-...` (any sk- key): without one the answer is the "
        "API's 401 invalid_authentication_error.",
    )
    from harness.emulator.serve import add_serve_arguments

    add_serve_arguments(s)
    s.set_defaults(func=cmd_emulator)

    p = sub.add_parser("matrix", help="conformance matrix (target x rule x model) from --kimi-results-dir files")
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="RESULTS_DIR_OR_FILES",
        help="results directories or files (default reports/results)",
    )
    p.add_argument("--markdown", metavar="PATH", help="also write the Markdown report here (e.g. reports/matrix.md)")
    p.set_defaults(func=cmd_matrix)

    # a light module: the work it does is imported when the command runs
    from harness.reporting.summary import add_compare_command

    add_compare_command(sub)
    from harness.reporting.serve import add_report_command

    add_report_command(sub)  # kimi-conformance report serve [DIR] [--port N]
    from harness.cli.rules import add_rules_command

    add_rules_command(sub)

    from harness.cli.online import add_parsers

    add_parsers(sub)  # websearch, smoke
    from harness.cli.divergence import add_command

    add_command(sub)
    from harness.cli.check import add_check_command
    from harness.cli.contract import add_contract_command
    from harness.cli.init import add_parser as add_init_command

    add_check_command(sub)
    add_contract_command(sub)
    from harness.cli.coverage import add_coverage_command

    add_coverage_command(sub)  # kimi-conformance coverage [RESULTS]
    from harness.cli.merge import add_merge_command

    add_merge_command(sub)  # kimi-conformance merge RESULTS_DIR... --out DIR (shards of one run)
    add_init_command(sub)
    from harness.cli.drift import add_drift_command

    add_drift_command(sub)  # kimi-conformance drift --live | --upstream URL
    from harness.cli.bug_report import add_command as add_bug_report_command

    add_bug_report_command(sub)  # kimi-conformance bug-report --target T --divergence ID | --all
    return parser


class _Scrubbed:
    """A text stream whose every write is scrubbed (harness/util/scrub.py): the one place a command's
    output passes, so no command can print a key it met (a target's request headers in `transform`,
    a spec in an error) — whatever it forgot to scrub itself."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from harness.util.scrub import scrub_text

        return self._stream.write(scrub_text(text) if isinstance(text, str) else text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, buffer, encoding, ...
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Scrubbed(out), _Scrubbed(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: Sequence[str] | None) -> int:
    from harness.errors import HarnessError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageProblem, HarnessError) as e:  # bad input (a file, a catalog, a ref, a key): one line, no traceback
        print(f"kimi-conformance {args.command}: {one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"kimi-conformance {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `... | head`: the reader left; nothing more to say (Python's own convention: 1)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as e:  # a harness bug: the traceback to report, then one line saying so
        import traceback

        traceback.print_exc()
        print(
            f"kimi-conformance {args.command}: internal error, a harness bug (please report it with the traceback "
            f"above): {type(e).__name__}: {one_line(e)}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
