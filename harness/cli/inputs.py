"""What the subcommands share about their input: `UsageProblem` (bad input: one line on stderr, exit 2),
reading case files, and telling a malformed case from one a target rejects."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from harness.errors import HarnessError


class UsageProblem(HarnessError):
    """Bad input: printed as one line (`kimi-conformance COMMAND: ...`), exit code 2."""


CATALOG_HELP = "a user catalog or OpenClaw / nix-openclaw config (JSON or JSON5) merged over the built-in one"


def add_catalog_option(p, help: str = CATALOG_HELP) -> None:
    """`--catalog PATH` (alias `--config`): the same option on every subcommand that reads a catalog."""
    p.add_argument("--catalog", "--config", dest="catalog", metavar="PATH", help=help)


def one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or e.__class__.__name__


def read_cases(name: str, lines: bool) -> list[Any]:
    """The case(s) of a file (or - for stdin); a missing or malformed file is a UsageProblem."""
    where = "<stdin>" if name == "-" else name
    try:
        raw = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageProblem(f"{where}: no such case file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageProblem(f"{where}: cannot read the case file ({e.__class__.__name__}: {e})") from None
    texts = [(i, t) for i, t in enumerate(raw.splitlines(), 1) if t.strip()] if lines else [(None, raw)]
    if not texts or not any(t.strip() for _, t in texts):
        raise UsageProblem(f"{where}: empty, no case in it")
    cases = []
    for line, text in texts:
        at = f"line {line}: " if line is not None else ""
        try:
            cases.append(json.loads(text))
        except json.JSONDecodeError as e:
            raise UsageProblem(f"{where}: {at}not valid JSON ({e})") from None
    return cases


def malformed(case: Any, catalog=None) -> str | None:
    """Why the contract calls `case` malformed (its schema, a model ref that does not resolve), or
    None. A malformed case is bad input (exit 2); a target that rejects a well-formed one fails (1)."""
    from harness.contract.case import context
    from harness.errors import CaseError

    try:
        context(case, catalog)
    except CaseError as e:
        return one_line(e)
    return None
