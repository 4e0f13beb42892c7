"""The exit-code table (docs/reference/exit-codes.md) walked: every row has a run that ends with its
code, every such run is a row of the table, and every `kimi-conformance` subcommand has its own runs —
a bad input (2) and a normal end (0, or 130 for what only stops when interrupted)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.cli.main import build_parser, main
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]
TABLE = REPO / "docs" / "reference" / "exit-codes.md"
KC, PYTEST, RECORD = "kimi-conformance …", "pytest suites …", "python -m harness.cassettes.record"
CASE = {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}
T4 = ["suites/test_t4_tool_choice.py", "-q", "-p", "no:cacheprovider", "--kimi-model", "moonshot/kimi-k2.6"]


def documented() -> set[tuple[str, int]]:
    """(command, code) of every row of the table; a row without a command is the one above's."""
    rows, command = set(), None
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith("| command "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        command = cells[0].strip("`") or command
        rows |= {(command, int(code)) for code in re.findall(r"\d+", cells[1])}
    return rows


# ------------------------------------------------------------------------------- the runs
@dataclass(frozen=True)
class Run:
    command: str  # the table's command column
    sub: str  # the kimi-conformance subcommand ("" for the command itself)
    code: int
    name: str
    run: Callable[[Path, pytest.MonkeyPatch], int] | None  # None: another test file holds the run (`elsewhere`)
    elsewhere: str = ""  # that test: file::function, which asserts the code

    @property
    def spawns(self) -> bool:
        """Runs in a process of its own (the integration tier): pytest and the recorder, and the one
        kimi-conformance run that needs a real process to interrupt. tests/spawn_guard.py checks it."""
        return self.command != KC or self.name == "transform-interrupted"


RUNS: list[Run] = []


def runs(command: str, sub: str, code: int, name: str = ""):
    def register(fn):
        RUNS.append(Run(command, sub, code, name or f"{sub}-{code}", fn))
        return fn

    return register


def cli(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as e:  # argparse: --help, --version, a bad option
        return int(e.code or 0)


def case_file(tmp: Path, case=CASE) -> str:
    path = tmp / "case.json"
    path.write_text(json.dumps(case))
    return str(path)


def results_dir(tmp: Path) -> str:
    d = tmp / "results"
    d.mkdir()
    record = {
        "nodeid": "suites/test_t3_thinking_keep.py::test[reference-moonshot/kimi-k2.6]",
        "target": "reference",
        "rule": "T3",
        "model": "moonshot/kimi-k2.6",
        "area": "transformations",
        "outcome": "passed",
        "reason": "",
        "divergences": [],
        "provenance": None,
    }
    doc = {"harness": "0.1.0", "catalog": "x", "targets": {"reference": {}}, "target": "reference"}
    (d / "results-reference.json").write_text(json.dumps({**doc, "results": [record]}))
    return str(d)


def rejects_everything(case):
    from harness.errors import CaseError

    raise CaseError("this gateway takes no cases")


def holds(case):
    """A target that says it has the case, then takes its time: the run is surely under way."""
    Path(os.environ["KIMI_TEST_HOLD"]).touch()
    time.sleep(60)
    raise AssertionError("never interrupted")


def _serve_until_ctrl_c(tmp, mp):
    import socketserver

    def ctrl_c(self, *args, **kwargs):
        raise KeyboardInterrupt

    (tmp / "index.html").write_text("<!doctype html><title>report</title>")
    mp.setattr(socketserver.BaseServer, "serve_forever", ctrl_c)
    return cli("report", "serve", str(tmp))


# kimi-conformance itself
runs(KC, "", 0, "version")(lambda tmp, mp: cli("--version"))
runs(KC, "", 0, "help")(lambda tmp, mp: cli("--help"))
runs(KC, "", 2, "no-command")(lambda tmp, mp: cli())
runs(KC, "catalog", 0)(lambda tmp, mp: cli("catalog"))
runs(KC, "report", 0, "report-serve-stopped")(_serve_until_ctrl_c)
runs(KC, "report", 2, "report-serve-no-report")(lambda tmp, mp: cli("report", "serve", str(tmp)))
runs(KC, "catalog", 2, "catalog-missing-file")(lambda tmp, mp: cli("catalog", "--catalog", str(tmp / "no.json")))
runs(KC, "resolve", 0)(lambda tmp, mp: cli("resolve", "kimi/kimi-code"))
runs(KC, "resolve", 1, "resolve-unknown-ref")(lambda tmp, mp: cli("resolve", "nope/nope"))
runs(KC, "resolve", 2, "resolve-missing-catalog")(
    lambda tmp, mp: cli("resolve", "kimi/kimi-code", "--catalog", str(tmp / "no.json"))
)
runs(KC, "transform", 0)(lambda tmp, mp: cli("transform", case_file(tmp)))
runs(KC, "transform", 1, "transform-rejected-by-the-target")(
    lambda tmp, mp: cli("transform", case_file(tmp), "--target", f"python:{__name__}:rejects_everything")
)
runs(KC, "transform", 2, "transform-case-without-request")(
    lambda tmp, mp: cli("transform", case_file(tmp, {"model": "moonshot/kimi-k2.6"}))
)
runs(KC, "validate-captures", 0)(lambda tmp, mp: cli("validate-captures"))


@runs(KC, "validate-captures", 1, "validate-captures-a-bad-capture")
def _(tmp, mp):
    (tmp / "cut.sse").write_text('data: {"id":"x","choices":[]}\n\ndata: {"id":"x","cho')
    return cli("validate-captures", str(tmp / "cut.sse"))


runs(KC, "validate-captures", 2, "validate-captures-missing-path")(
    lambda tmp, mp: cli("validate-captures", str(tmp / "nothing-here"))
)
runs(KC, "emulator", 2, "emulator-bad-fault-plan")(lambda tmp, mp: cli("emulator", "serve", "--faults", "teapot:0.1"))
runs(KC, "matrix", 0)(lambda tmp, mp: cli("matrix", results_dir(tmp)))
runs(KC, "matrix", 2, "matrix-no-results")(lambda tmp, mp: cli("matrix", str(tmp / "none")))


def coverage_dir(tmp: Path) -> str:
    """A results directory with one coverage file (T6 on one case: forms missing, so gaps)."""
    from harness.catalog import builtin
    from harness.engine.conformance import Conformance
    from harness.targets.reference import ReferenceTarget

    engine = Conformance(builtin())
    engine.check(
        "T6",
        ReferenceTarget(builtin()),
        {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}},
    )
    engine.coverage.write(tmp / "coverage", builtin())
    return str(tmp / "coverage")


runs(KC, "coverage", 0)(lambda tmp, mp: cli("coverage", coverage_dir(tmp)))
runs(KC, "coverage", 1, "coverage-gaps")(lambda tmp, mp: cli("coverage", coverage_dir(tmp), "--fail-on-gaps"))
runs(KC, "coverage", 2, "coverage-no-files")(lambda tmp, mp: cli("coverage", str(tmp / "none")))


def two_parts(tmp: Path) -> list[str]:
    """Two results directories of one run's parts (the same file in each: one test, merged once)."""
    first = Path(results_dir(tmp))
    second = tmp / "part-2"
    shutil.copytree(first, second)
    return [str(first), str(second)]


runs(KC, "merge", 0)(lambda tmp, mp: cli("merge", *two_parts(tmp), "--out", str(tmp / "m")))
runs(KC, "merge", 2, "merge-no-results")(lambda tmp, mp: cli("merge", str(tmp / "none"), "--out", str(tmp / "m")))
runs(KC, "compare", 0)(lambda tmp, mp: cli("compare", results_dir(tmp), str(tmp / "results")))
runs(KC, "compare", 2, "compare-no-results")(lambda tmp, mp: cli("compare", str(tmp / "a"), str(tmp / "b")))
runs(KC, "rules", 0)(lambda tmp, mp: cli("rules"))
runs(KC, "rules", 2, "rules-bad-option")(lambda tmp, mp: cli("rules", "--markdown"))
runs(KC, "divergence", 0, "divergence-add-nothing-diverges")(
    lambda tmp, mp: cli("divergence", "add", "--target", "reference", "--from", case_file(tmp))
)


@runs(KC, "divergence", 2, "divergence-add-from-a-bad-file")
def _(tmp, mp):
    (tmp / "failure.json").write_text("{not json")
    return cli("divergence", "add", "--target", "reference", "--from", str(tmp / "failure.json"))


def _no_keys(mp: pytest.MonkeyPatch) -> None:
    for name in ("KIMI_API_KEY", "MOONSHOT_API_KEY", "KIMICODE_API_KEY"):
        mp.delenv(name, raising=False)


@runs(KC, "smoke", 0)
def _(tmp, mp):
    _no_keys(mp)
    return cli("smoke", "--model", "moonshot/kimi-k2.6")


@runs(KC, "smoke", 1, "smoke-wrong-answer")
def _(tmp, mp):
    from harness.cli import smoke

    _no_keys(mp)
    mp.setattr(smoke, "SMOKE_PROMPT", "Reply exactly: SOMETHING_ELSE")
    return cli("smoke", "--model", "moonshot/kimi-k2.6")


runs(KC, "smoke", 2, "smoke-missing-catalog")(lambda tmp, mp: cli("smoke", "--catalog", str(tmp / "no.json")))


@runs(KC, "websearch", 0)
def _(tmp, mp):
    _no_keys(mp)
    return cli("websearch", "kimi news")


runs(KC, "websearch", 2, "websearch-model-without-web-search")(
    lambda tmp, mp: cli("websearch", "q", "--model", "kimi/kimi-for-coding")
)
runs(KC, "check", 0)(lambda tmp, mp: cli("check", case_file(tmp), "--target", "reference"))


@runs(KC, "check", 1, "check-a-violation")
def _(tmp, mp):
    tools = [{"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}]
    case = {**CASE, "thinking": "high", "request": {**CASE["request"], "tools": tools, "tool_choice": "required"}}
    return cli("check", case_file(tmp, case), "--target", "python:tests.mutants:t4_required_kept")


runs(KC, "check", 2, "check-unknown-rule")(
    lambda tmp, mp: cli("check", case_file(tmp), "--target", "reference", "--rule", "T99")
)


@runs(KC, "check", 4, "check-a-harness-bug")
def _(tmp, mp):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    mp.setattr("harness.rules.judge.judge", broken)
    return cli("check", case_file(tmp), "--target", "reference")


runs(KC, "init", 0)(lambda tmp, mp: cli("init", "--dir", str(tmp), "--target", "reference", "--name", "my-gw"))
runs(KC, "init", 2, "init-bad-name")(lambda tmp, mp: cli("init", "--dir", str(tmp), "--name", "my gateway!"))
runs(KC, "contract", 0)(lambda tmp, mp: cli("contract", "T4"))
runs(KC, "contract", 2, "contract-unknown-rule")(lambda tmp, mp: cli("contract", "T99"))


@runs(KC, "transform", 130, "transform-interrupted")
def _(tmp, mp):
    held = tmp / "held"
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli.main",
            "transform",
            case_file(tmp),
            "--target",
            f"python:{__name__}:holds",
        ],
        cwd=REPO,
        env={**os.environ, "KIMI_TEST_HOLD": str(held)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not held.exists():
            assert p.poll() is None and time.monotonic() < deadline, p.communicate()
            time.sleep(0.02)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert err.strip().splitlines()[-1] == "kimi-conformance transform: interrupted", err
    return p.returncode


# pytest with the plugin
def pytest_run(*args: str, env: dict[str, str] | None = None) -> int:
    r = run_child(
        [sys.executable, "-m", "pytest", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    return r.returncode


def plugin_module(tmp: Path, name: str, source: str) -> dict[str, str]:
    """A pytest plugin written for one run (`-p name`): the environment that imports it."""
    (tmp / f"{name}.py").write_text(source)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp), str(REPO)]), "CI": "true"}


runs(PYTEST, "", 0, "pytest-passed")(lambda tmp, mp: pytest_run(*T4))
runs(PYTEST, "", 1, "pytest-failed")(
    lambda tmp, mp: pytest_run(*T4, "--kimi-target", "python:tests.mutants:t4_required_kept")
)
runs(PYTEST, "", 2, "pytest-interrupted")(
    lambda tmp, mp: pytest_run(
        *T4,
        "-p",
        "interrupts",
        env=plugin_module(
            tmp,
            "interrupts",
            "import os, signal\n\ndef pytest_runtest_call(item):\n    os.kill(os.getpid(), signal.SIGINT)\n",
        ),
    )
)
runs(PYTEST, "", 3, "pytest-internal-error")(
    lambda tmp, mp: pytest_run(
        *T4,
        "-p",
        "breaks",
        env=plugin_module(
            tmp, "breaks", "def pytest_collection_modifyitems(items):\n    raise RuntimeError('a bug')\n"
        ),
    )
)
runs(PYTEST, "", 4, "pytest-usage-error")(lambda tmp, mp: pytest_run(*T4, "--kimi-catalog", str(tmp / "no.json")))
runs(PYTEST, "", 5, "pytest-no-tests-selected")(lambda tmp, mp: pytest_run(*T4, "-k", "no_such_test"))


# drift (issue #26): against an in-process emulator; tests/cli/test_drift.py holds the full runs
DRIFT = "kimi-conformance drift …"


def drift_run(tmp: Path, *more: str, **emulator) -> int:
    from harness.emulator import Emulator

    with Emulator(**emulator) as emu:
        return cli("drift", "--upstream", emu.base_url, "--out", str(tmp / "drift"), *more)


@runs(KC, "drift", 1, "drift-drifted")
def _(tmp, mp):
    from harness.emulator import rules as emu_rules

    mp.setitem(emu_rules.BODY_CHECKS, "top_p_fixed", lambda *a: None)  # the upstream stopped enforcing a rule
    return drift_run(tmp)


@runs(DRIFT, "drift", 3, "drift-undecidable")
def _(tmp, mp):
    from harness.emulator import faults

    return drift_run(tmp, "--max-retries", "0", faults=faults.parse("503:1.0"))


runs(KC, "drift", 0, "drift-same")(lambda tmp, mp: drift_run(tmp))
runs(KC, "drift", 2, "drift-no-upstream")(lambda tmp, mp: cli("drift"))


# bug-report (issue #23 item 5): the real targets' runs are tests/reporting/test_bug_report.py's; here the
# reference stands in for a real target (its own entries, no reproduction), so the run needs no library
@runs(KC, "bug-report", 0)
def _(tmp, mp):
    from harness.reporting import bug_report

    mp.setattr(bug_report, "real_targets", lambda: ["reference"])
    return cli("bug-report", "--target", "reference", "--divergence", "k26-fixed-n", "--out", str(tmp))


runs(KC, "bug-report", 2, "bug-report-unknown-divergence")(
    lambda tmp, mp: cli("bug-report", "--target", "litellm", "--divergence", "no-such-entry")
)


# the recorder
def record(*args: str, env: dict[str, str] | None = None) -> int:
    r = subprocess.run(
        [sys.executable, "-m", "harness.cassettes.record", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return r.returncode


ONE = ["--kimi-model", "moonshot/kimi-k2.6", "-k", "plain"]
runs(RECORD, "", 0, "record-all-recorded")(lambda tmp, mp: record("--cassette-dir", str(tmp / "c"), *ONE))
runs(RECORD, "", 1, "record-a-test-failed")(
    lambda tmp, mp: record(
        "--cassette-dir",
        str(tmp / "c"),
        *ONE,
        "-p",
        "fails",
        env=plugin_module(tmp, "fails", "def pytest_runtest_call(item):\n    raise AssertionError('failed')\n"),
    )
)
runs(RECORD, "", 2, "record-bad-arguments")(lambda tmp, mp: record("--cassette-dir"))
INTERRUPT = "tests/cassettes/test_record.py::test_interrupt_reaches_the_child_and_the_account_is_honest"
RUNS += [
    Run(RECORD, "", 130, "record-SIGINT", None, INTERRUPT),
    Run(RECORD, "", 143, "record-SIGTERM", None, INTERRUPT),
]


# ------------------------------------------------------------------------------- the walk
def test_every_row_of_the_table_has_a_run():
    assert documented() - {(r.command, r.code) for r in RUNS} == set()


def test_every_run_is_a_row_of_the_table():
    assert {(r.command, r.code) for r in RUNS} - documented() == set()
    assert {KC, PYTEST, RECORD} <= {command for command, _ in documented()}  # the table is read


def test_every_subcommand_has_its_runs():
    """Each subcommand ends 2 on a bad input, and has a normal end: 0 (130 for `emulator serve`,
    which ends 0 when stopped, as it is meant to be)."""
    (subparsers,) = [a for a in build_parser()._actions if a.dest == "command"]
    subcommands = set(subparsers.choices)
    kc = [r for r in RUNS if r.command == KC]
    assert {r.sub for r in kc if r.code == 2} >= subcommands
    assert {r.sub for r in kc if r.code in (0, 130)} | {"emulator"} >= subcommands


def test_runs_named_elsewhere_exist():
    for r in RUNS:
        if r.run is None:
            file, _, function = r.elsewhere.partition("::")
            text = (REPO / file).read_text()
            assert f"def {function}(" in text and "128 + sig" in text, r.elsewhere


@pytest.mark.parametrize(
    "run",
    [pytest.param(r, marks=[pytest.mark.integration] if r.spawns else []) for r in RUNS if r.run is not None],
    ids=lambda r: f"{r.code}-{r.name}",
)
def test_the_run_ends_with_its_code(run, tmp_path, monkeypatch, capsys):
    assert run.run is not None
    code = run.run(tmp_path, monkeypatch)
    captured = capsys.readouterr()
    assert code == run.code, (captured.out + captured.err)[-2000:]
    if run.command == KC and run.code == 2:  # one line on stderr naming it
        assert len(captured.err.strip().splitlines()) == 1, captured.err
