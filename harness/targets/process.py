"""A long-running child process spoken to in JSON lines, with a per-message timeout.

Shared by the `command:` target and the Node worker targets. The child is started once and
kept for the session (a process per case is what made the proof of concept slow); a timeout or
a crash restarts it for the next case. Provider keys are removed from the child's environment:
a target turns cases into requests and never needs one.

The target protocol (version `PROTOCOL`, docs/reference/target-protocol.md): every line sent
is `{"protocol", "id", "op", ...}`, every answer echoes the id: `{"id", "ok": true, "result"}` or
`{"id", "ok": false, "error": {"type", "message"}}`. Answers are paired with requests by id, never
taken as "the next line": a line that is not the awaited answer (a banner, a late or repeated
answer) is a protocol error that names both and restarts the process, so nothing stale is judged.

A process that dies is reported with its own exit code (waited for, never `None` for a process that
did exit) and the stderr of that process only: each start gets its own stderr buffer, so a message
never repeats what an earlier, restarted process wrote. stderr is scrubbed (harness.util.scrub)
before it is shown.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import queue
import re
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import (
    CaseError,
    TargetError,
    TargetExited,
    TargetProtocolError,
    TargetTimeout,
    TargetUnavailable,
)
from harness.targets.base import NotExpressible
from harness.util.scrub import contains_secret, scrub_text

PROTOCOL = 2
NOT_JSON = object()  # what _read gives for a line that does not parse
# Dropped by name (MOONSHOT_KEY, GITHUB_TOKEN, ...) and by value: anything shaped like a key.
SECRET_ENV = re.compile(r"(API_?KEY|_KEY$|^KEY$|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)


def scrubbed_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not SECRET_ENV.search(k) and not contains_secret(v)}
    env.update(extra or {})
    return env


def _clip(line: str, n: int = 300) -> str:
    line = scrub_text(line.rstrip("\n"))
    return repr(line if len(line) <= n else line[:n] + "...")


class JsonLinesProcess:
    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str,
        timeout: float = 30.0,
        cwd: str | Path | None = None,
        env: dict[str, str] | None = None,
        startup_line: bool = False,
        startup_timeout: float = 120.0,
    ):
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
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)  # the current process's
        self._stderr_reader: threading.Thread | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)  # never reused: a late answer from a killed process cannot match

    # -- lifecycle -----------------------------------------------------------------------
    def _start(self) -> None:
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
                cwd=self.cwd,
                env=self.env,
            )
        except OSError as e:
            raise TargetUnavailable(f"{self.name}: cannot start {self.argv[0]!r}: {e}") from None
        self._lines = queue.Queue()
        # A fresh buffer per process: an earlier process's stderr is never shown as this one's.
        self._stderr = collections.deque(maxlen=40)
        proc = self._proc
        threading.Thread(target=self._pump, args=(proc.stdout, self._lines), daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._drain, args=(proc.stderr, self._stderr), daemon=True)
        self._stderr_reader.start()
        if self.startup_line:
            line, self.hello = self._read(self.startup_timeout, "start-up")
            if self.hello is NOT_JSON:
                self._restart()
                raise TargetProtocolError(f"{self.name}: its start-up line is not JSON: {_clip(line)}")

    @staticmethod
    def _pump(stream, lines: queue.Queue) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)  # EOF

    @staticmethod
    def _drain(stream, lines: collections.deque[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
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

    def _exited(self) -> str:
        """The dead process's own exit code (waited for) and its whole stderr tail; forget it."""
        proc, self._proc = self._proc, None
        code: int | None = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5)  # stdout closed: it is exiting; poll() may not know yet
            except subprocess.TimeoutExpired:  # closed its stdout but lives on: end it
                proc.kill()
                proc.wait()
                code = None
        if self._stderr_reader is not None:
            self._stderr_reader.join(timeout=2)  # what it wrote last is often why it died
        if code is None:
            return "code unknown: it closed its output but did not exit, killed"
        return f"killed by signal {-code}" if code < 0 else f"code {code}"

    # -- messages ------------------------------------------------------------------------
    def stderr_tail(self, n: int = 10) -> str:
        """The last lines the current (or last) process wrote to stderr, scrubbed."""
        return scrub_text("\n".join(list(self._stderr)[-n:]))

    def _read(self, timeout: float, what: str) -> tuple[str, Any]:
        """The next line, raw and parsed."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._restart()
            raise TargetTimeout(f"{self.name}: no answer to {what} within {timeout:g}s (restarted)") from None
        if line is None:
            status = self._exited()
            tail = self.stderr_tail()
            raise TargetExited(
                f"{self.name}: the process exited ({status}) during {what}" + (f"\n{tail}" if tail else "")
            )
        try:
            return line, json.loads(line)
        except json.JSONDecodeError:
            return line, NOT_JSON

    def request(self, message: Any, what: str = "a case") -> tuple[str, Any]:
        """Send one line, return the next answer line (raw, parsed); no pairing (see `call`)."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            proc = self._proc
            assert proc is not None and proc.stdin is not None  # _start either set it (stdin=PIPE) or raised
            try:
                proc.stdin.write(json.dumps(message) + "\n")
                proc.stdin.flush()
            except (BrokenPipeError, OSError):
                status = self._exited()
                tail = self.stderr_tail()
                raise TargetExited(
                    f"{self.name}: the process closed its input ({status})" + (f"\n{tail}" if tail else "")
                ) from None
            return self._read(self.timeout, what)

    def call(self, op: str, what: str = "a case", **fields: Any) -> Any:
        """One request of the target protocol: its result, or the error it answered, typed."""
        msg_id = next(self._ids)
        line, answer = self.request({"protocol": PROTOCOL, "id": msg_id, "op": op, **fields}, what)
        if not isinstance(answer, dict) or answer.get("id") != msg_id or not isinstance(answer.get("ok"), bool):
            self._restart()
            raise TargetProtocolError(
                f"{self.name}: protocol error: sent {what} with id {msg_id} (op {op!r}), the answer line was "
                f"{_clip(line)}{' (not JSON)' if answer is NOT_JSON else ''}; expected "
                f'{{"id": {msg_id}, "ok": ...}} (target protocol {PROTOCOL}; process restarted)'
            )
        if answer["ok"]:
            return answer.get("result")
        raw_error = answer.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {"message": raw_error}
        kind, message = error.get("type"), str(error.get("message", "no message"))
        if kind == "unsupported":
            raise NotExpressible(f"{self.name}: {message}")
        if kind == "case_error":
            raise CaseError(f"{self.name}: {message}")
        tail = self.stderr_tail(5)
        raise TargetError(f"{self.name}: {kind or 'error'}: {message}" + (f"\n{tail}" if tail else ""))
