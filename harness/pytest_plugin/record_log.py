"""pytest plugin the recorder loads into its child (`-p harness.pytest_plugin.record_log`).

Appends one JSON line per event to the file named by $KIMI_RECORD_LOG, flushed at once, so the
recorder knows which cassettes a run meant to write and how each test ended even when the run
is interrupted:  {"plan": nodeid, "cassette": path}  then  {"done": nodeid, "outcome": ..., "why": ...}
"""

from __future__ import annotations

import json
import os
from typing import TextIO

import pytest

ENV = "KIMI_RECORD_LOG"
_LOG = pytest.StashKey[TextIO]()


def _write(config: pytest.Config, entry: dict) -> None:
    f = config.stash.get(_LOG, None)
    if f is None:
        path = os.environ.get(ENV)
        if not path:
            return
        f = config.stash[_LOG] = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    f.write(json.dumps(entry) + "\n")
    f.flush()


def pytest_collection_finish(session: pytest.Session) -> None:
    from harness.pytest_plugin.wire import wire_settings_for
    from harness.scenarios import definitions as scenarios

    settings = None
    for item in session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        # `scenario` (Chat Completions), `anthropic_scenario` (Messages): one cassette per model x scenario
        sid = next((v for k, v in params.items() if k.endswith("scenario")), None)
        if not isinstance(sid, str) or not isinstance(params.get("model"), str):
            continue  # not a wire cassette test (or an empty parametrization: no model selected)
        settings = settings or wire_settings_for(session.config)
        model = settings.catalog.resolve(params["model"])
        path = scenarios.cassette_path(settings.cassette_dir, model.ref, sid)
        _write(session.config, {"plan": item.nodeid, "cassette": str(path)})


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _CONFIG.get("config")  # a report does not carry its config
    if config is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        why = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            why = str(report.longrepr[2])
        elif report.failed:
            why = (report.longreprtext or "").strip().splitlines()[-1:][0] if report.longreprtext else ""
        _write(config, {"done": report.nodeid, "outcome": report.outcome, "why": why[:300]})


_CONFIG: dict = {}


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG["config"] = config


def pytest_unconfigure(config: pytest.Config) -> None:
    f = config.stash.get(_LOG, None)
    if f is not None:
        f.close()
    _CONFIG.clear()
