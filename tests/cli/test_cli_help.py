"""Every option and argument of every `kimi-conformance` subcommand says what it is for; every
(sub)command takes `--help` and `--version`, and a bad option is one line, exit 2; the recorder's
--help is its own (not pytest's)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

import harness
from harness.cli.main import build_parser, main

REPO = Path(__file__).resolve().parents[2]


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


@pytest.mark.integration
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


def _commands() -> list[tuple[str, ...]]:
    return [path[1:] for path, _ in _parsers(build_parser())]


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "kimi-conformance")
def test_every_command_takes_help_and_version(command, capsys):
    """`kimi-conformance validate-captures --help` used to fail ("unrecognized arguments: --help")."""
    for flag, says in (("--help", "usage: kimi-conformance"), ("--version", f"kimi-conformance {harness.__version__}")):
        with pytest.raises(SystemExit) as exit_:
            main([*command, flag])
        assert exit_.value.code == 0, (command, flag)
        assert says in capsys.readouterr().out, (command, flag)


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "kimi-conformance")
def test_a_bad_option_is_one_line_and_exit_2(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--no-such-option"])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kimi-conformance") and "--help" in lines[0], lines


@pytest.mark.integration
def test_the_version_is_the_distributions():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["version"] == harness.__version__
    r = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (r.returncode, r.stdout.strip()) == (0, f"kimi-conformance {harness.__version__}")
