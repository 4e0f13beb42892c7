"""The two tiers of the harness's own tests, kept honest: a test that starts a process (a pytest
session through tests/child.py, a CLI, a build, a browser, a Node worker, a recorder) or runs a
whole pytest session in-process (the `pytester` fixture) costs seconds and belongs to the
`integration` tier (tox -e integration); the offline tier (`-m "not integration"`, tox -e py) must
stay pure Python to stay under 30 s on 2 cores.

tests/conftest.py installs `note` on subprocess.Popen and tests/child.py calls it for each warm
pytest child (a reused zygote starts no Popen); a test not marked `integration` that started one
fails in its teardown, naming the first command, so a new spawning test cannot slip into the fast tier.
`KIMI_SPAWN_GUARD_RAISE=1 pytest -m "not integration"` lists such tests fast: the spawn raises.
A test that asks for `pytester` (directly or through another fixture) and is not marked fails at
its setup (`session_complaint`), before the session runs: its fixture says what it costs.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

MARK = "integration"
EXEMPT_MARKS = (MARK, "fidelity")  # fidelity tests run on their own (tests/conftest.py)
# milliseconds, not a session: reading the checkout's VCS is no integration, nor Python's own
# platform.processor() / architecture() (`uname -p`, `file -b`), which SDKs call once per process for
# their user-agent headers; pytest-benchmark, when installed, asks git, hg and `file` at start-up
CHEAP = {"git", "hg", "uname", "file"}
# fixtures that run whole pytest sessions in-process: collection, plugins, hypothesis, seconds each
SESSION_FIXTURES = ("pytester", "testdir")
RAISE_ENV = "KIMI_SPAWN_GUARD_RAISE"  # set: an unmarked test's first Popen raises instead of running
_marked = [False]  # whether the running test carries one of EXEMPT_MARKS
_current: list[str | None] = [None]  # the running test's node id (None between tests)
_spawned: dict[str, str] = {}  # node id -> the first command it started
_popen_init = subprocess.Popen.__init__


def note(args: Any) -> None:
    """Record that the running test (if any) starts `args`."""
    nodeid = _current[0]
    words = [args] if isinstance(args, (str, bytes)) else list(args)
    if os.path.basename(str(words[0])) in CHEAP and len(words) > 1:
        return
    if nodeid is not None and nodeid not in _spawned:
        _spawned[nodeid] = " ".join(str(w) for w in words)[:120]
        if os.environ.get(RAISE_ENV) and not _marked[0]:  # list the spawning tests in seconds
            raise RuntimeError(complaint(nodeid, _spawned[nodeid]))


def _init(self: subprocess.Popen, args: Any, *rest: Any, **kwargs: Any) -> None:
    note(args)
    _popen_init(self, args, *rest, **kwargs)


def install() -> None:
    subprocess.Popen.__init__ = _init  # type: ignore[method-assign]


def start(nodeid: str, marked: bool) -> None:
    _current[0], _marked[0] = nodeid, marked


def stop(nodeid: str) -> str | None:
    """End the test; the first command it started, if any."""
    _current[0] = None
    return _spawned.pop(nodeid, None)


def complaint(nodeid: str, command: str) -> str:
    return (
        f"{nodeid} starts a process ({command}) but is not marked {MARK}: add pytest.mark.{MARK} "
        "(or a module `pytestmark`) so it runs in tox -e integration, not the offline tier"
    )


def session_complaint(nodeid: str, fixturenames: Any, marked: bool) -> str | None:
    """The one line refusing an unmarked test that runs whole pytest sessions, or None."""
    used = [f for f in SESSION_FIXTURES if f in fixturenames]
    if marked or not used:
        return None
    return (
        f"{nodeid} runs whole pytest sessions (fixture {used[0]}) but is not marked {MARK}: add "
        f"pytest.mark.{MARK} (or a module `pytestmark`) so it runs in tox -e integration, not the offline tier"
    )
