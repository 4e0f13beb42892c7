"""`python -m pytest ARGS` in a child process, for the harness's own tests, without paying Python's
start-up each time.

About fifty tests run pytest in a child (a usage error, a live run against the emulator, a
mutant...). A cold child spends most of its second starting Python and importing pytest,
Hypothesis, vcrpy, httpx, jsonschema and the installed pytest plugins. Here a warm process per
calling process (a "zygote", tests/zygote_main.py: single-threaded, those imports done, nothing of
the harness imported) forks one child per run; the child takes its cwd, environment and sys.path
as `python -m pytest` would and runs pytest.main, so the harness (and anything it reads from the
environment at import) is imported fresh in every child. What a forked child cannot take from its
environment (a hash seed other than 0) runs cold, and KIMI_TEST_COLD_CHILDREN=1 runs every child
cold.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests import spawn_guard

ROOT = Path(__file__).resolve().parents[1]
_MAIN = (Path(__file__).with_name("zygote_main.py")).read_text()
_idle: list[subprocess.Popen] = []
_buffers: dict[int, bytearray] = {}  # zygote pid -> what it wrote that is not read yet
_lock = threading.Lock()


def run_pytest(
    *args: str, cwd: str | Path = ROOT, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """What subprocess.run([python, -m, pytest, *args], capture_output=True, text=True) returns."""
    env = dict(os.environ if env is None else env)
    if os.environ.get("KIMI_TEST_COLD_CHILDREN") or env.get("PYTHONHASHSEED", "0") != "0":
        return subprocess.run(
            [sys.executable, "-m", "pytest", *args],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    spawn_guard.note(["pytest", *args])  # a warm child is forked by a zygote: no Popen to see
    zygote = _take()
    try:
        with tempfile.TemporaryDirectory(prefix="kimi-child-") as tmp:
            out, err = Path(tmp, "out"), Path(tmp, "err")
            request = {"args": list(args), "cwd": str(cwd), "env": env, "out": str(out), "err": str(err)}
            assert zygote.stdin is not None
            zygote.stdin.write(json.dumps(request) + "\n")
            zygote.stdin.flush()
            pid = _answer(zygote, 30)["pid"]
            try:
                code = _answer(zygote, timeout)["code"]
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                _answer(zygote, 30)
                raise subprocess.TimeoutExpired(["pytest", *args], timeout) from None
            result = subprocess.CompletedProcess(
                ["pytest", *args], code, out.read_text(errors="replace"), err.read_text(errors="replace")
            )
    except BaseException:  # a zygote in an unknown state is not reused: reaped, its buffer dropped
        zygote.kill()
        zygote.wait()
        _buffers.pop(zygote.pid, None)
        raise
    with _lock:
        _idle.append(zygote)
    return result


def _answer(zygote: subprocess.Popen, timeout: float) -> dict:
    """The zygote's next line (read from the raw pipe: a buffered reader would hide a second line
    from select)."""
    assert zygote.stdout is not None
    fd, buffered = zygote.stdout.fileno(), _buffers.setdefault(zygote.pid, bytearray())
    deadline = time.monotonic() + timeout
    while b"\n" not in buffered:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise subprocess.TimeoutExpired("zygote", timeout)
        chunk = os.read(fd, 65536)
        if not chunk:
            raise RuntimeError(f"the warm pytest process ended (exit {zygote.wait()})")
        buffered += chunk
    line, _, rest = bytes(buffered).partition(b"\n")
    buffered[:] = rest
    return json.loads(line)


def _take() -> subprocess.Popen:
    with _lock:
        while _idle:
            zygote = _idle.pop()
            if zygote.poll() is None:
                return zygote
    # one per concurrent caller: a caller's run never waits for another's
    return subprocess.Popen(
        [sys.executable, "-c", _MAIN],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1, cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip


@atexit.register
def _close() -> None:
    with _lock:
        for zygote in _idle:
            zygote.kill()
            zygote.wait()
        _idle.clear()


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run, with `python -m pytest …` (output captured as text) run warm."""
    pytest_cmd = list(cmd[:3]) == [sys.executable, "-m", "pytest"]
    plain = set(kwargs) <= {"cwd", "env", "timeout", "capture_output", "text", "check"}
    if pytest_cmd and plain and kwargs.get("capture_output") and kwargs.get("text"):
        result = run_pytest(*cmd[3:], cwd=kwargs.get("cwd") or os.getcwd(), env=kwargs.get("env"),
                            timeout=kwargs.get("timeout") or 3600)  # fmt: skip
        if kwargs.get("check") and result.returncode:
            raise subprocess.CalledProcessError(result.returncode, cmd, result.stdout, result.stderr)
        return result
    return subprocess.run(cmd, **kwargs)
