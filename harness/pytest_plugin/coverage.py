"""Contract coverage at the end of a session: the engine's counts (harness.engine.coverage), merged
from xdist workers, written once as `<results-dir>/coverage-<target>.json`, said in one line per
target, and held by `--kimi-min-coverage` (the run fails, each gap on its own line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

COVERAGE: pytest.StashKey[Any] = pytest.StashKey()  # harness.engine.coverage.ContractCoverage of the session
GAPS: pytest.StashKey[list[str]] = pytest.StashKey()  # the gate's lines, said in the terminal summary
WORKER_KEY = "kimi_conformance_coverage"
PREFIX = "kimi-conformance coverage"


def adopt(config: pytest.Config, engine) -> None:
    """The session's engine counts into the session's one ContractCoverage."""
    engine.coverage = config.stash.setdefault(COVERAGE, engine.coverage)


def send(config: pytest.Config) -> None:
    """On an xdist worker: its counts, for the controller to merge."""
    counts = config.stash.get(COVERAGE, None)
    if counts is not None and counts.targets:
        config.workeroutput[WORKER_KEY] = json.dumps(counts.state())  # type: ignore[attr-defined]


def receive(config: pytest.Config, node) -> None:
    """On the controller: a worker's counts, added to the session's."""
    text = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if not text:
        return
    from harness.engine.coverage import ContractCoverage

    counts = config.stash.setdefault(COVERAGE, ContractCoverage())
    counts.add_state(json.loads(text))


def session_finish(session: pytest.Session, catalog) -> None:
    """Controller (or a run without xdist): write the files once, then hold the gate."""
    config = session.config
    counts = config.stash.get(COVERAGE, None)
    if counts is None or not counts.targets:
        return
    from harness.engine.coverage import summarize

    docs = counts.to_json(catalog(config))
    directory = config.getoption("results_dir", None)
    if directory:
        counts.write(Path(directory), catalog(config))
    lines: list[str] = []
    gaps: list[str] = []
    for name, doc in sorted(docs.items()):
        summary = summarize(doc)
        n = summary.counts()
        lines.append(
            f"{PREFIX}: {name}: {n['green']} green, {n['yellow']} yellow, {n['red']} red, {n['n/a']} n/a"
            + (f" ({len(summary.starved)} test(s) mostly discarded)" if summary.starved else "")
        )
        gaps += [f"{PREFIX}: {name}: {p}" for p in summary.problems]
    if config.getoption("min_coverage", False) and gaps:
        lines += gaps
        lines.append(f"{PREFIX}: --kimi-min-coverage: {len(gaps)} gap(s): the run fails")
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    config.stash[GAPS] = lines


def terminal_lines(config: pytest.Config) -> list[str]:
    return config.stash.get(GAPS, [])
