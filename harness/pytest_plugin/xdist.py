"""pytest-xdist (`-n N`): each worker runs its share of the tests with its own targets; what the
session writes once (results files, the end-of-run summary, Allure's environment) is written by the
controller alone, from what every worker sends it when it goes down.

A worker sends its results records, its targets' versions and its broken targets as one JSON text
in `workeroutput` (execnet carries plain data only). Nothing here imports xdist: the controller's
hooks are registered only when xdist's scheduler is active.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest

KEY = "kimi_conformance"


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_controller(config: pytest.Config) -> bool:
    # as xdist decides to start its scheduler (at our tryfirst configure it is not registered yet)
    dist = getattr(config.option, "dist", "no")
    return dist != "no" and not config.getoption("collectonly") and not is_worker(config)


def configure(config: pytest.Config) -> None:
    if is_controller(config):
        from harness.pytest_plugin.state import FROM_WORKERS

        seen: dict[str, dict[str, Any]] = {"versions": {}, "broken": {}}
        config.stash[FROM_WORKERS] = seen
        config.pluginmanager.register(_Controller(config), "kimi-conformance-xdist")


def session_finish(config: pytest.Config, catalog) -> None:
    """The results files, once per session: a worker hands its part to the controller instead."""
    from harness.pytest_plugin.state import RESULTS
    from harness.pytest_plugin.targets import broken_targets, target_versions

    writer = config.stash.get(RESULTS, None)
    if is_worker(config):
        records = writer.records if writer is not None else {}
        send(config, records, target_versions(config), broken_targets(config))
        from harness.pytest_plugin import coverage

        coverage.send(config)  # the contract coverage counts: merged by the controller, written once
    elif writer is not None and (writer.directory or any(r.rule for r in writer.records.values())):
        from harness import __version__

        writer.write({"harness": __version__, "catalog": catalog(config).version, "targets": target_versions(config)})


def send(config: pytest.Config, records: dict[str, Any], versions: dict, broken: dict[str, str]) -> None:
    """On a worker, at the end of its session: hand its part of the session to the controller."""
    payload = {"records": {k: asdict(r) for k, r in records.items()}, "versions": versions, "broken": broken}
    config.workeroutput[KEY] = json.dumps(payload)  # type: ignore[attr-defined]


class _Controller:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(optionalhook=True)  # xdist's hook (registered only under xdist anyway)
    def pytest_testnodedown(self, node, error) -> None:
        from harness.pytest_plugin import coverage
        from harness.pytest_plugin.state import FROM_WORKERS, RESULTS
        from harness.reporting.results import Record

        coverage.receive(self.config, node)  # the worker's contract coverage counts (even if it sent nothing else)
        text = getattr(node, "workeroutput", {}).get(KEY)
        if not text:  # a worker that crashed sends nothing: its tests are already reported as errors
            return
        payload = json.loads(text)
        writer = self.config.stash.get(RESULTS, None)
        if writer is not None:
            writer.records.update({k: Record(**v) for k, v in payload["records"].items()})
        got = self.config.stash[FROM_WORKERS]
        for name, versions in payload["versions"].items():
            # a target broken on one worker and fine on another keeps its versions
            if "error" not in versions or name not in got["versions"]:
                got["versions"][name] = versions
        got["broken"].update(payload["broken"])
