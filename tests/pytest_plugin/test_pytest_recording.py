"""The plugin coexists with pytest-recording (used by pydantic-ai and many other projects).

Both plugins register cassette options; pytest aborts on a duplicate option name, so ours carry the
`--kimi-` prefix. These tests run pytest in a subprocess with pytest-recording installed (the `test`
extra) and its plugin auto-loaded, as in a user's project.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip(
    "pytest_recording",
    reason="pytest-recording not installed: pip install -e '.[test]'",
)
# pytest-recording's own options (pytest_recording/plugin.py): none of ours may reuse them.
THEIRS = ("--record-mode", "--block-network", "--allowed-hosts", "--disable-recording")


def run(*args: str) -> subprocess.CompletedProcess:
    return run_child(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.integration
def test_both_plugins_load_and_no_option_name_is_shared():
    r = run("--help")
    assert r.returncode == 0, r.stderr[-2000:]
    ours = r.stdout.split("kimi-conformance: Moonshot / Kimi provider conformance", 1)[1]
    ours = ours.split("\n\n", 1)[0]
    for name in THEIRS:
        assert f"  {name}" in r.stdout, f"pytest-recording's {name} missing: is its plugin loaded?"
        assert f"  {name}" not in ours, f"our option group reuses pytest-recording's {name}"
    assert "--kimi-record-mode" in ours and "--kimi-block-network" in ours


@pytest.mark.integration
def test_wire_suites_replay_with_pytest_recording_present():
    # the user's --block-network (pytest-recording's) must not break our cassette replay either
    models = ("--kimi-model", "moonshot/kimi-k2.6", "--kimi-model", "kimi/kimi-for-coding")
    r = run("suites/wire", "-q", "--block-network", *models)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-2000:]
    assert r.returncode == 0 and " passed" in last and "failed" not in last and "error" not in last, (
        r.stdout[-3000:] + r.stderr[-2000:]
    )
