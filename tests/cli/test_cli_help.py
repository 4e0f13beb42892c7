"""Every option and argument of every `kimi-conformance` subcommand says what it is for, and the
recorder's --help is its own (not pytest's)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from harness.cli.main import build_parser


def _parsers(parser: argparse.ArgumentParser, path=("kimi-conformance",)):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_every_cli_option_has_a_help_line():
    missing = [
        f"{' '.join(path)} {a.option_strings or a.dest}"
        for path, p in _parsers(build_parser())
        for a in p._actions
        if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) and not (a.help or "").strip()
    ]
    assert missing == []
    commands = {" ".join(path) for path, _ in _parsers(build_parser())}
    assert {
        "kimi-conformance catalog",
        "kimi-conformance emulator serve",
        "kimi-conformance transform",
    } <= commands


def test_record_help_is_the_recorders_own():
    r = subprocess.run(
        [sys.executable, "-m", "harness.cassettes.record", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0 and "--live" in r.stdout and "--cassette-dir" in r.stdout
    assert "pytest" in r.stdout and "--co, --collect-only" not in r.stdout  # pytest's own help is not printed
