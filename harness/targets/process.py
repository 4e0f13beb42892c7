"""A long-running child process spoken to in JSON lines, with a per-message timeout.

Shared by the `command:` target and the Node worker targets. The child is started once and
kept for the session (a process per case is what made the proof of concept slow); a timeout or
a crash restarts it for the next case. Provider keys are removed from the child's environment:
a target turns cases into requests and never needs one.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import re
import subprocess
import threading
from pathlib import Path
from typing import Any, Sequence

from harness.errors import TargetError

SECRET_ENV = re.compile(r"(API_KEY|TOKEN|SECRET)", re.I)


def scrubbed_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not SECRET_ENV.search(k)}
    env.update(extra or {})
    return env


class JsonLinesProcess:
    def __init__(self, argv: Sequence[str], *, name: str, timeout: float = 30.0,
                 cwd: str | Path | None = None, env: dict[str, str] | None = None,
                 startup_line: bool = False, startup_timeout: float = 120.0):
        self.argv = list(argv)
        self.name = name
        self.timeout = timeout
        self.cwd = cwd
        self.env = env if env is not None else scrubbed_env()
        self.startup_line = startup_line
        self.startup_timeout = startup_timeout
        self.hello: dict[str, Any] | None = None
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------
    def _start(self) -> None:
        try:
            self._proc = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8", bufsize=1, cwd=self.cwd, env=self.env,
            )
        except OSError as e:
            raise TargetError(f"{self.name}: cannot start {self.argv[0]!r}: {e}") from None
        self._lines = queue.Queue()
        proc = self._proc
        threading.Thread(target=self._pump, args=(proc.stdout, self._lines), daemon=True).start()
        threading.Thread(target=self._drain, args=(proc.stderr,), daemon=True).start()
        if self.startup_line:
            self.hello = self._read(self.startup_timeout, "start-up")

    @staticmethod
    def _pump(stream, lines: queue.Queue) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)  # EOF

    def _drain(self, stream) -> None:
        for line in stream:
            self._stderr.append(line.rstrip("\n"))

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except Exception:
            proc.kill()
            proc.wait()

    def _restart(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()

    # -- messages ------------------------------------------------------------------------
    def stderr_tail(self, n: int = 10) -> str:
        return "\n".join(list(self._stderr)[-n:])

    def _read(self, timeout: float, what: str) -> Any:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._restart()
            raise TargetError(f"{self.name}: no answer to {what} within {timeout:g}s (restarted)") from None
        if line is None:
            code = self._proc.poll() if self._proc else None
            self._proc = None
            raise TargetError(f"{self.name}: the process exited (code {code}) during {what}\n{self.stderr_tail()}")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            self._restart()
            raise TargetError(f"{self.name}: answered a line that is not JSON: {line[:200]!r}") from None

    def request(self, message: Any, what: str = "a case") -> Any:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            try:
                self._proc.stdin.write(json.dumps(message) + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError):
                self._proc = None
                raise TargetError(f"{self.name}: the process closed its input\n{self.stderr_tail()}") from None
            return self._read(self.timeout, what)
