"""T6 Tool-call id sanitization.

[doc] Moonshot Kimi's native ids look like `functions.<name>:<index>`. On the openai-completions
transport the first occurrence of each native id is kept, later duplicates are rewritten to
deterministic OpenAI-style `call_*` ids, and the matching tool results are remapped, so the
replay is unique without removing Kimi's first native id. [wire] Duplicates are rejected
upstream ("tool call id ... is duplicated").

[oc] OpenClaw's exact rule (Moonshot policy = strict + openai duplicate style): occurrences are
counted per raw id across the transcript; the first occurrence of a native id (or of a valid
`call_[A-Za-z0-9_-]+` id) is kept; any other first occurrence is reduced to [A-Za-z0-9] (at most
40 chars; a collision gets an 8-hex sha256 suffix); a later occurrence becomes `call_` + the
first 24 hex of sha256("<id>:<occurrence>:<attempt>"). Tool results follow their call FIFO per
raw id. Policy `strict` (a custom provider with `sanitizeToolCallIds: true`): the same
reduction, native ids still kept on first occurrence, duplicates numbered (`getweather02`).
Policy `unique` (D1: a custom provider id on a native Moonshot endpoint without
`sanitizeToolCallIds`): every first occurrence kept as it is, later ones -> `call_<24 hex>`.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict, deque
from typing import Any

RULE = "T6"
NATIVE = re.compile(r"^functions\.[^\s:]+:\d+$")
OPENAI = re.compile(r"^call_[A-Za-z0-9_-]+$")
MAX_LEN = 40


def is_native(tool_call_id: str) -> bool:
    return bool(NATIVE.match(tool_call_id))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def strict(tool_call_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", tool_call_id)[:MAX_LEN] or "toolcall"


class _Renamer:
    def __init__(self, policy: str):
        self.policy = policy
        self.seen: dict[str, int] = defaultdict(int)
        self.used: set[str] = set()
        self.pending: dict[str, deque[str]] = defaultdict(deque)
        self.last: dict[str, str] = {}

    def _first(self, raw: str) -> str:
        if self.policy == "unique":
            return raw if raw not in self.used else self._later(raw, 1)
        if (is_native(raw) or (self.policy == "moonshot" and OPENAI.match(raw))) and raw not in self.used:
            return raw
        new = strict(raw)
        if new in self.used:
            new = new[: MAX_LEN - 8] + _sha(raw)[:8]
        return new

    def _later(self, raw: str, occurrence: int) -> str:
        for attempt in range(1000):
            if self.policy in ("moonshot", "unique"):
                new = "call_" + _sha(f"{raw}:{occurrence}:{attempt}")[:24]
            else:
                suffix = str(occurrence) + ("" if attempt == 0 else f"x{attempt}")
                new = strict(raw)[: MAX_LEN - len(suffix)] + suffix
            if new not in self.used:
                return new
        raise AssertionError("unreachable: 1000 sha256 collisions")

    def call(self, raw: str) -> str:
        self.seen[raw] += 1
        occurrence = self.seen[raw]
        new = self._first(raw) if occurrence == 1 else self._later(raw, occurrence)
        if new in self.used:  # a reduced first occurrence that still collides
            new = self._later(raw, occurrence + 1)
        self.used.add(new)
        self.pending[raw].append(new)
        self.last[raw] = new
        return new

    def result(self, raw: str) -> str:
        if self.pending[raw]:
            return self.pending[raw].popleft()
        # An orphan result (no call waiting): map it like its last call, else like a first one.
        return self.last.get(raw) or (raw if is_native(raw) else strict(raw))


def apply(case: dict[str, Any], ctx, body: dict[str, Any]) -> None:
    if ctx.tool_call_ids == "none":
        return
    renamer = _Renamer(ctx.tool_call_ids)
    for message in body.get("messages") or []:
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or []:
                call["id"] = renamer.call(call["id"])
        elif message.get("role") == "tool":
            message["tool_call_id"] = renamer.result(message["tool_call_id"])
