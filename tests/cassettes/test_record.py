"""The recorder (`python -m harness.cassettes.record`): its own --help, signals passed on to its
pytest child, an honest account of what was and was not written, temp files cleaned and
git-ignored, file modes kept, and unchanged interactions leaving cassettes byte-identical."""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cassettes import files
from harness.cassettes.record import Outcome, summarize
from harness.util.fs import atomic_write

REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "cassettes"
RECORD = [sys.executable, "-m", "harness.cassettes.record"]


def record(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*RECORD, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)


def copy_model(tmp_path: Path, provider: str, model: str) -> Path:
    dst = tmp_path / "cassettes" / provider / model
    shutil.copytree(CASSETTES / provider / model, dst)
    return tmp_path / "cassettes"


@pytest.mark.integration
def test_help_is_the_recorders_own():
    r = record("--help", timeout=60)
    assert r.returncode == 0
    assert r.stdout.startswith("usage: python -m harness.cassettes.record")
    assert "--live" in r.stdout and "--cassette-dir" in r.stdout and "Exit codes" in r.stdout
    assert "--hypothesis" not in r.stdout and "pytest-" not in r.stdout  # not pytest's help


@pytest.mark.integration
def test_rerecording_unchanged_interactions_is_byte_identical_and_keeps_modes(tmp_path):
    root = copy_model(tmp_path, "moonshot", "kimi-k2.6")
    plain, stream = root / "moonshot/kimi-k2.6/plain.yaml", root / "moonshot/kimi-k2.6/stream-usage.yaml"
    # an older recording date: nothing but the date would change, so nothing is written
    text = plain.read_text()
    assert "recorded: '" in text
    plain.write_text(re.sub(r"recorded: '[^']*'", "recorded: '1999-01-01'", text, count=1))
    plain.chmod(0o644)
    stream.chmod(0o640)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stray = root / f"moonshot/kimi-k2.6/.plain.yaml.{dead.stdout.strip()}.k1x2.tmp"  # an earlier killed run's
    stray.write_text("half a cassette")
    legacy = root / "moonshot/kimi-k2.6/.stream-usage.yaml.k1x2.tmp"  # named before pids were, old
    legacy.write_text("half a cassette")
    os.utime(legacy, (time.time() - 7200, time.time() - 7200))
    busy = root / f"moonshot/kimi-k2.6/.plain.yaml.{os.getpid()}.z9y8.tmp"  # a concurrent writer's, alive
    busy.write_text("being written")
    before = {p: p.read_bytes() for p in root.rglob("*.yaml")}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    r = record("--cassette-dir", str(root), "--kimi-model", "moonshot/kimi-k2.6")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert {p: p.read_bytes() for p in root.rglob("*.yaml")} == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes  # not even rewritten
    n = len(before)
    assert f"0 cassette(s) written, {n} unchanged, 0 not written of {n} planned" in r.stdout
    assert "removed 2 temporary file(s)" in r.stdout and not stray.exists() and not legacy.exists()
    assert busy.read_text() == "being written"  # a live writer's file is never taken from under it
    assert stat.S_IMODE(plain.stat().st_mode) == 0o644 and stat.S_IMODE(stream.stat().st_mode) == 0o640


@pytest.mark.integration
def test_changed_cassette_is_written_with_its_mode_kept(tmp_path):
    root = copy_model(tmp_path, "moonshot", "kimi-k2.6")
    plain = root / "moonshot/kimi-k2.6/plain.yaml"
    plain.write_text(plain.read_text().replace("KIMI_WIRE_OK", "SOMETHING_ELSE"))
    plain.chmod(0o644)
    r = record("--cassette-dir", str(root), "--kimi-model", "moonshot/kimi-k2.6", "-k", "plain")
    assert r.returncode == 0, r.stdout[-3000:]
    assert "wrote        " in r.stdout and "plain.yaml" in r.stdout
    assert "1 cassette(s) written, 0 unchanged, 0 not written of 1 planned" in r.stdout
    assert "KIMI_WIRE_OK" in plain.read_text() and stat.S_IMODE(plain.stat().st_mode) == 0o644


def test_atomic_write_keeps_mode_and_new_files_follow_the_umask(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("a: 1\n")
    for mode in (0o644, 0o640, 0o600):
        path.chmod(mode)
        atomic_write(path, f"a: {mode}\n")
        assert stat.S_IMODE(path.stat().st_mode) == mode
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.yaml", "b: 2\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o644
    assert not list(tmp_path.glob(files.TMP_GLOB))


@pytest.mark.integration
def test_temp_files_are_git_ignored():
    r = subprocess.run(
        ["git", "check-ignore", "-q", "cassettes/moonshot/kimi-k2.6/.plain.yaml.abc123.tmp"], cwd=REPO, check=False
    )
    assert r.returncode == 0


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.integration
def test_interrupt_reaches_the_child_and_the_account_is_honest(tmp_path, sig):
    root = tmp_path / "cassettes"  # empty: every cassette recorded is a new file
    held = tmp_path / "held"  # the child is held after its first test (tests/fixtures/hold_after_first.py)
    proc = subprocess.Popen(
        [*RECORD, "--cassette-dir", str(root), "-p", "tests.fixtures.hold_after_first"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "KIMI_TEST_HOLD": str(held)},
    )
    try:
        deadline = time.monotonic() + 120
        while not held.exists():  # the child has recorded, and has more to record
            assert proc.poll() is None and time.monotonic() < deadline, "recording never started"
            time.sleep(0.02)
        assert list(root.rglob("*.yaml")), "the first test recorded nothing"
        kids = children(proc.pid)
        assert kids, "no pytest child"
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, out[-3000:]
    assert not any(alive(k) for k in kids), "the pytest child outlived the recorder"
    written = sorted(root.rglob("*.yaml"))
    summary = [ln for ln in out.splitlines() if "cassette(s) written" in ln][-1]
    assert summary.startswith(f"{len(written)} cassette(s) written, 0 unchanged, ")
    assert "not run" in summary and f"interrupted by {sig.name}" in out
    assert sum(ln.startswith("not written") for ln in out.splitlines()) >= 1
    assert not list(root.rglob(files.TMP_GLOB))


def test_summary_counts_by_content_not_by_mtime(tmp_path):
    a, b, c, d = (tmp_path / f"{x}.yaml" for x in "abcd")
    outcome = Outcome(
        planned={"t::a": a, "t::b": b, "t::c": c, "t::d": d},
        done={"t::a": ("passed", ""), "t::b": ("passed", ""), "t::c": ("failed", "AssertionError: x")},
    )
    before = {a: "1", b: "2", c: "3"}
    after = {a: "1", b: "2b", c: "3", d: "4"}  # d: new file although its test never reported
    lines = summarize(outcome, before, after, tmp_path)
    assert lines[-1].startswith("2 cassette(s) written, 1 unchanged, 1 not written (1 failed) of 4 planned")
    assert any(ln.startswith("not written") and "c.yaml" in ln and "AssertionError: x" in ln for ln in lines)


# ------------------------------------------------------------------------------- the recorder's own temp files
def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.integration
def test_stale_recording_logs_are_cleaned_and_a_running_recorders_log_kept(tmp_path):
    from harness.cassettes.record import LEGACY_LOG_AGE, clean_stale_logs

    dead = tmp_path / f"kimi-record-{dead_pid()}-k1x2ab_9.jsonl"  # its recorder was SIGKILLed
    running = tmp_path / f"kimi-record-{os.getpid()}-q8w7e6r5.jsonl"  # a concurrent recorder's
    old_legacy = tmp_path / "kimi-record-a1b2c3d4.jsonl"  # named before pids were, a day old
    new_legacy = tmp_path / "kimi-record-z9y8x7w6.jsonl"
    other = tmp_path / "kimi-record-notes.txt"
    for p in (dead, running, old_legacy, new_legacy, other):
        p.write_text('{"plan": "x"}\n')
    past = time.time() - LEGACY_LOG_AGE - 60
    os.utime(old_legacy, (past, past))
    assert sorted(clean_stale_logs(tmp_path)) == sorted([dead, old_legacy])
    assert running.exists() and new_legacy.exists() and other.exists()
    assert clean_stale_logs(tmp_path) == []


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
@pytest.mark.integration
def test_a_sigkilled_recorders_log_is_removed_by_the_next_run(tmp_path):
    """SIGKILL leaves the recorder no chance to remove its log; the next recording removes it."""
    root, tmp, held = tmp_path / "cassettes", tmp_path / "tmp", tmp_path / "held"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "KIMI_TEST_HOLD": str(held)}
    args = ["--cassette-dir", str(root), "--kimi-model", "moonshot/kimi-k2.6", "-k", "plain or stream"]
    proc = subprocess.Popen(
        [*RECORD, *args, "-p", "tests.fixtures.hold_after_first"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while not held.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "recording never started"
            time.sleep(0.02)
        kids = children(proc.pid)
        proc.kill()
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(alive(k) for k in kids):  # the child ends too (it is told to when its recorder dies)
            assert time.monotonic() < deadline, "the pytest child outlived the recorder"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = list(tmp.glob("kimi-record-*.jsonl"))
    assert len(left) == 1  # SIGKILL: the recorder could not remove its log
    concurrent = tmp / f"kimi-record-{os.getpid()}-concurr1.jsonl"  # a recorder still running: kept
    concurrent.write_text("")
    r = subprocess.run([*RECORD, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert not left[0].exists() and concurrent.exists()
    assert sorted(tmp.glob("kimi-record-*.jsonl")) == [concurrent]  # and its own is gone as well
    assert f"removed 1 recording log(s) a killed earlier run left in {tmp}" in r.stdout
