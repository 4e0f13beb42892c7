"""`command:CMD` — any executable speaking the target protocol in JSON lines.

Protocol (version 2, docs/reference/target-protocol.md): one request per line on stdin,
`{"protocol": 2, "id": N, "op": "transform", "case": CASE}`; one answer per line on stdout echoing
the id, `{"id": N, "ok": true, "result": OUTBOUND}` or `{"id": N, "ok": false, "error": {"type":
"case_error" | "unsupported" | "crash", "message": ...}}`. A line without the awaited id is a
protocol error (harness.targets.process). The process is kept running for the whole session;
each case has a timeout (`--kimi-target-timeout`).
"""

from __future__ import annotations

import shlex
from typing import Any

from harness.errors import TargetError
from harness.targets.base import TRANSFORM_ONLY, Capabilities, Target, check_outbound
from harness.targets.process import JsonLinesProcess
from harness.util.scrub import remember, scrub_text, secrets_in_command


def split_command(command: str) -> list[str]:
    """The argv of a `command:` spec; an unterminated quote is the spec's fault, said in one line."""
    try:
        return shlex.split(command)
    except ValueError as e:
        raise TargetError(
            f"{scrub_text(f'command:{command}')}: the command line does not split as a shell would ({e})"
        ) from None


class CommandTarget(Target):
    capabilities = Capabilities(rules=TRANSFORM_ONLY, why_not={"T9": "a transform-only target reports no usage"})

    def __init__(self, command: str, timeout: float = 30.0):
        # A secret its argv holds by position (--token v) is redacted wherever it shows up later
        # (the process echoing it to stderr), not only in the spec.
        remember(secrets_in_command(command))
        self.name = scrub_text(f"command:{command}")  # its errors name it: a key in argv stays out
        argv = split_command(command)
        if not argv:
            raise TargetError("command target wants a command line, got nothing")
        self._process = JsonLinesProcess(argv, name=self.name, timeout=timeout)

    def start(self) -> None:
        """Start the process now (otherwise the first case does): a missing executable is then
        one error for the session, before any test runs."""
        with self._process._lock:
            if self._process._proc is None:
                self._process._start()

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        return check_outbound(self._process.call("transform", "a case", case=case), self.name)

    def close(self) -> None:
        self._process.close()
