"""(Re)record the wire cassettes: `python -m harness.cassettes.record [--live] [pytest args]`.

Starts the emulator on a free loopback port and runs the wire suites in a child pytest with
`--kimi-record-mode=rewrite --kimi-upstream <emulator>/v1 --kimi-upstream-coding <emulator>/coding/v1` (the
cassettes then say `provenance: emulator`); `--live` records from the real APIs instead (needs
the API keys; the cassettes say `live`). Other arguments go to pytest (e.g. `--kimi-model REF`, `-k plain`).

Then it says, per cassette, what happened: written (its content changed), unchanged (recorded
again, identical: the file is not touched), or not written (the test failed, skipped or never
ran). SIGINT / SIGTERM are passed on to the child; an interrupted run exits 130 / 143 and still
reports. Exit codes: 0 all recorded; 1 a test failed; 2 bad arguments; 128+N killed by signal N.

The child's account goes through a log in the temp folder, `kimi-record-<recorder pid>-*.jsonl`,
removed at the end. A recorder killed outright (SIGKILL) cannot remove it: the next run removes
every such log whose recorder is gone (never the log of a recording still running).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.util.proc import process_alive

REPO = Path(__file__).resolve().parents[2]
LOG_PREFIX = "kimi-record-"
# kimi-record-<pid>-<random>.jsonl; before the pid was part of the name: kimi-record-<random>.jsonl
_LOG_NAME = re.compile(rf"{LOG_PREFIX}(?:(?P<pid>\d+)-)?[^-]+\.jsonl")
LEGACY_LOG_AGE = 24 * 3600.0  # an unnamed (older) log untouched this long is no running recorder's


def clean_stale_logs(folder: str | Path | None = None) -> list[Path]:
    """Remove the recording logs (`kimi-record-*.jsonl`) in the temp folder whose recorder is gone:
    its pid (in the name) runs no process, or, for a log named before pids were, it has not been
    touched for a day. A concurrent recorder's log stays. Returns the removed paths."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{LOG_PREFIX}*.jsonl"):
        m = _LOG_NAME.fullmatch(path.name)
        if m is None or not path.is_file():
            continue
        try:
            stale = (
                not process_alive(int(m["pid"])) if m["pid"] else time.time() - path.stat().st_mtime > LEGACY_LOG_AGE
            )
            if stale:
                path.unlink()
                removed.append(path)
        except OSError:  # gone meanwhile, or another user's
            continue
    return removed


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    ap = argparse.ArgumentParser(
        prog="python -m harness.cassettes.record",
        allow_abbrev=False,
        description="Re-record the wire cassettes from the emulator (default) or the real APIs (--live).",
        epilog="Any other argument is passed to pytest, e.g. --kimi-model moonshot/kimi-k2.6 or -k plain. "
        "Exit codes: 0 all recorded; 1 a test failed; 2 bad arguments; 130/143 interrupted. "
        "The cassettes of real provenance (cassettes/real/) are built from the shipped captures "
        "instead: python -m harness.cassettes.real",
    )
    ap.add_argument("--live", action="store_true", help="record from the real APIs (MOONSHOT_API_KEY, KIMI_API_KEY)")
    ap.add_argument(
        "--cassette-dir",
        type=Path,
        default=REPO / "cassettes",
        metavar="DIR",
        help="where cassettes are written (default: the repository's cassettes/)",
    )
    return ap.parse_known_args(argv)


def snapshot(root: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.yaml")) if p.is_file()}


@dataclass
class Outcome:
    planned: dict[str, Path] = field(default_factory=dict)  # nodeid -> cassette
    done: dict[str, tuple[str, str]] = field(default_factory=dict)  # nodeid -> (outcome, why)

    @classmethod
    def read(cls, log: Path) -> Outcome:
        out = cls()
        for line in log.read_text(encoding="utf-8").splitlines() if log.is_file() else []:
            try:
                e = json.loads(line)
            except ValueError:
                continue  # a line cut by the interruption
            if "plan" in e:
                out.planned[e["plan"]] = Path(e["cassette"])
            elif "done" in e:
                out.done[e["done"]] = (e["outcome"], e.get("why", ""))
        return out


def summarize(outcome: Outcome, before: dict[Path, str], after: dict[Path, str], root: Path) -> list[str]:
    """One line per cassette that was not simply re-recorded unchanged, and a total."""

    def rel(p: Path) -> str:
        return str(p.relative_to(root.parent)) if root.parent in p.parents else str(p)

    lines, written, unchanged, missed = [], 0, 0, {"failed": 0, "skipped": 0, "not run": 0}
    for nodeid, path in outcome.planned.items():
        state, why = outcome.done.get(nodeid, ("not run", ""))
        changed = after.get(path) is not None and after.get(path) != before.get(path)
        if changed:
            written += 1
            lines.append(f"wrote        {rel(path)}")
        elif state == "passed":
            unchanged += 1
        else:
            missed[state] = missed.get(state, 0) + 1
            lines.append(f"not written  {rel(path)}  ({state}{': ' + why if why else ''})")
    strays = sorted(p for p in after if after[p] != before.get(p) and p not in outcome.planned.values())
    lines += [f"wrote        {rel(p)}  (not planned by this run)" for p in strays]
    not_written = sum(missed.values())
    detail = ", ".join(f"{n} {k}" for k, n in missed.items() if n)
    lines.append(
        f"{written + len(strays)} cassette(s) written, {unchanged} unchanged, {not_written} not written"
        + (f" ({detail})" if detail else "")
        + f" of {len(outcome.planned)} planned, in {root}"
    )
    return lines


GRACE = 30.0  # seconds the child gets to end after a passed-on signal, then SIGKILL


def _child_setup() -> None:
    """In the child, before exec: SIGINT/SIGTERM at their defaults (a recorder started in the
    background inherits SIGINT ignored, and would pass on a signal the child ignores); and on
    Linux, SIGTERM if the recorder dies without passing a signal on."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)
    if sys.platform == "linux":
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[int, int | None]:
    """Run pytest; pass SIGINT/SIGTERM on (a second one kills). (exit code, signal received)."""
    # own session: a terminal's Ctrl-C reaches the child once, through us, not twice
    child = subprocess.Popen(
        cmd, cwd=REPO, env=env, start_new_session=True, preexec_fn=_child_setup
    )  # the child runs no threads before exec
    received: list[int] = []

    def forward(signum, _frame):
        received.append(signum)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL if len(received) > 1 else signum)

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                code = child.wait(timeout=GRACE if received else None)
                break
            except subprocess.TimeoutExpired:  # a child that does not end when told to
                child.kill()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return code, (received[0] if received else None)


def main(argv: list[str] | None = None) -> int:
    from harness.cassettes.files import clean_temp_files

    args, rest = parse_args(list(sys.argv[1:] if argv is None else argv))
    root = args.cassette_dir.resolve()
    stale = clean_temp_files(root) if root.is_dir() else []
    if stale:
        print(f"removed {len(stale)} temporary file(s) an earlier interrupted run left in {root}", flush=True)
    before = snapshot(root) if root.is_dir() else {}
    emulator, extra = None, ["--kimi-live"] if args.live else []
    if not args.live:
        from harness.emulator import Emulator

        emulator = Emulator()
        base, coding = emulator.start(), emulator.coding_base_url
        assert base and coding
        extra = ["--kimi-upstream", base, "--kimi-upstream-coding", coding]
        print(f"emulator at {emulator.base_url} (Moonshot) and {emulator.coding_base_url} (Kimi Coding)", flush=True)
    with contextlib.suppress(OSError):
        old = clean_stale_logs()
        if old:
            print(f"removed {len(old)} recording log(s) a killed earlier run left in {old[0].parent}", flush=True)
    # the pid in the name tells the next run whether this log's recorder is still running
    fd, log_name = tempfile.mkstemp(prefix=f"{LOG_PREFIX}{os.getpid()}-", suffix=".jsonl")
    os.close(fd)
    log = Path(log_name)
    # the smoke suite records nothing: it is not part of a recording run
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(REPO / "suites" / "wire"),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--ignore={REPO / 'suites' / 'wire' / 'test_smoke.py'}",
        "-p",
        "harness.pytest_plugin.record_log",
        "--kimi-record-mode=rewrite",
        f"--kimi-cassette-dir={root}",
        *extra,
        *rest,
    ]
    print("running:", " ".join(cmd), flush=True)
    try:
        code, signum = run_child(cmd, {**os.environ, "KIMI_RECORD_LOG": str(log)})
        outcome = Outcome.read(log)
    finally:
        if emulator is not None:
            emulator.stop()
        log.unlink(missing_ok=True)
        clean_temp_files(root) if root.is_dir() else None
    for line in summarize(outcome, before, snapshot(root) if root.is_dir() else {}, root):
        print(line)
    if signum is not None:
        print(
            f"interrupted by {signal.Signals(signum).name}: the cassettes above marked 'not written' "
            "keep their previous content (or stay absent)",
            flush=True,
        )
        return 128 + signum
    return code


if __name__ == "__main__":
    sys.exit(main())
