"""`kimi-conformance init`: the starting point in your own repository.

Writes a test module (a `ConformanceSuite` subclass naming your target, the API surfaces it
speaks and your divergence file), an empty divergence file, and a GitHub Actions workflow
(`github-workflow.yml` beside this module; `--ci none`: none) that runs the suite on every pull
request with its summary on the job's page, and each night the deep search over targets x seeds x
shards, merged into one matrix, summary and report. It never overwrites a file: one that exists is
left as it is, and said so.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

APIS = ("openai-completions", "anthropic-messages")

TEST_MODULE = '''"""Conformance of {name} to the Moonshot / Kimi provider contract (kimi-conformance).

Run: pytest {test_path}
A failure prints its verdict and a `Reproduce: kimi-conformance check ...` line; a divergence you
accept goes into {divergences} (kimi-conformance divergence add --to {divergences}).
"""

from kimi_conformance import ConformanceSuite


class Test{class_name}(ConformanceSuite):
    target = {target!r}  # any --kimi-target spec: command:..., http:URL, python:MODULE:CALLABLE
    name = {name!r}  # how reports and your divergence file name it
    apis = {apis!r}  # the surfaces it speaks; tests of the others are not applicable
    divergences = {divergences_rel!r}  # your known divergences, relative to this file
'''

DIVERGENCES = """# Known divergences of {name}: where it knowingly differs from the contract.
# Format: `kimi-conformance contract` and docs/reference/divergence-format.md of kimi-conformance.
# Each entry is replayed by test_known_divergence: one that no longer diverges fails as stale.
target: {name}
entries: []
"""

# the workflow: a file of its own (docs/guides/ci.md shows it), its @TOKENS@ filled in by `workflow`
WORKFLOW_FILE = Path(__file__).with_name("github-workflow.yml")


def workflow(test_path: str, target_spec: str, divergences: str) -> str:
    """The GitHub Actions workflow for this repository: the per-PR job, the nightly deep search over
    targets x seeds x shards and the job that merges them into the matrix, summary and report."""
    text = WORKFLOW_FILE.read_text(encoding="utf-8")
    quoted = json.dumps(target_spec)[1:-1]  # inside a YAML double-quoted string: JSON's escapes are YAML's
    for token, value in (("@TEST_PATH@", test_path), ("@TARGET_SPEC@", quoted), ("@DIVERGENCES@", divergences)):
        text = text.replace(token, value)
    return text


def _class_name(name: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(w[:1].upper() + w[1:] for w in words if w) or "Gateway"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "init",
        help="write a starter test module, an empty divergence file and a CI workflow into your repository",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--target", default="command:./your-gateway --jsonl", help="your target's spec (a --kimi-target value)"
    )
    p.add_argument("--name", default="my-gateway", help="your target's name in reports and your divergence file")
    p.add_argument(
        "--api",
        action="append",
        choices=APIS,
        default=None,
        help="an API surface it speaks (repeatable; default: openai-completions)",
    )
    p.add_argument("--dir", type=Path, default=Path("."), help="your repository's root (default: here)")
    p.add_argument("--tests", default="tests", help="the folder of your tests, relative to --dir (default: tests)")
    p.add_argument(
        "--ci",
        choices=("github", "none"),
        default="github",
        help="the CI workflow to write: github (default; .github/workflows/kimi-conformance.yml: every pull "
        "request, and a nightly deep search over targets x seeds x shards merged into one report) or none",
    )
    p.set_defaults(func=cmd_init)


def files(args) -> dict[Path, str]:
    """What init writes, path -> text (nothing written yet)."""
    name = args.name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ValueError(f"--name {name!r}: letters, digits, '.', '_' and '-' only (it is a target name)")
    root, tests = args.dir, Path(args.tests)
    test_path = tests / "test_kimi_conformance.py"
    divergences = tests / "kimi-divergences.yaml"
    from harness.targets import split_alias
    from harness.util.scrub import spec_name

    spec = split_alias(args.target)[1]
    if spec_name(spec) != spec:  # the files init writes are committed: a key in them is a leaked key
        raise ValueError(
            f"--target {args.target.replace(spec, spec_name(spec))!r} holds a key, which init would write into {test_path.as_posix()} "
            "(and the workflow) for you to commit: give the spec without it (a target answers with a placeholder "
            "key; command: targets run with keys removed from their environment)"
        )
    planned = {
        root / test_path: TEST_MODULE.format(
            name=name,
            class_name=_class_name(name),
            target=args.target,
            apis=list(args.api or ["openai-completions"]),
            test_path=test_path.as_posix(),
            divergences=divergences.as_posix(),
            divergences_rel=divergences.name,
        ),
        root / divergences: DIVERGENCES.format(name=name),
    }
    if getattr(args, "ci", "github") == "github":
        planned[root / ".github" / "workflows" / "kimi-conformance.yml"] = workflow(
            test_path.as_posix(), f"{name}={args.target}", divergences.as_posix()
        )
    return planned


def cmd_init(args) -> int:
    try:
        planned = files(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not args.dir.is_dir():
        print(f"error: --dir {args.dir}: no such folder", file=sys.stderr)
        return 2
    for path, text in planned.items():
        if path.exists():
            print(f"kept     {path} (it exists; init never overwrites a file)")
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as e:
            print(f"error: {path}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"wrote    {path}")
    test = next(iter(planned))
    print(f"next: set `target` in {test}, then run: pytest {test}")
    return 0
