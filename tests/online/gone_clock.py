"""A pytest plugin for tests/online/test_upstream.py's child runs: at the end of the session it
writes, to the file $KIMI_GONE_CLOCK, the upstreams the run declared gone (and why) with the
monotonic time of each declaration, and the monotonic time the session ended."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest


@pytest.hookimpl(trylast=True)  # after the plugin's own reports: "the run ends" includes writing them
def pytest_sessionfinish(session: pytest.Session) -> None:
    from harness.pytest_plugin.state import WIRE

    health = getattr(session.config.stash.get(WIRE, None), "upstream_health", None)
    out = {
        "end": time.monotonic(),
        "gone": dict(health.gone) if health is not None else {},
        "gone_at": dict(health.gone_at) if health is not None else {},
    }
    Path(os.environ["KIMI_GONE_CLOCK"]).write_text(json.dumps(out), encoding="utf-8")
