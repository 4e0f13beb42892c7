"""`command:CMD` — any executable speaking JSON lines.

Protocol: one case per line on stdin; one line per case on stdout, either the outbound request
(`{"method", "url", "headers", "body"}`) or `{"error": {"type": "case_error", "message": ...}}`
for a case it rejects as invalid (any other error type counts as a crash). The process is kept
running for the whole session; each case has a timeout (`--target-timeout`).
"""

from __future__ import annotations

import shlex
from typing import Any

from harness.errors import CaseError, TargetError
from harness.targets.base import TRANSFORM_ONLY, Capabilities, Target, check_outbound
from harness.targets.process import JsonLinesProcess


class CommandTarget(Target):
    capabilities = Capabilities(rules=TRANSFORM_ONLY, why_not={"T9": "a transform-only target reports no usage"})

    def __init__(self, command: str, timeout: float = 30.0):
        self.name = f"command:{command}"
        argv = shlex.split(command)
        if not argv:
            raise TargetError("command target wants a command line, got nothing")
        self._process = JsonLinesProcess(argv, name=self.name, timeout=timeout)

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        answer = self._process.request(case)
        if isinstance(answer, dict) and "error" in answer and "body" not in answer:
            error = answer["error"] if isinstance(answer["error"], dict) else {"message": str(answer["error"])}
            if error.get("type") == "case_error":
                raise CaseError(error.get("message", "rejected"))
            raise TargetError(f"{self.name}: {error.get('type', 'error')}: {error.get('message', '')}")
        return check_outbound(answer, self.name)

    def close(self) -> None:
        self._process.close()
