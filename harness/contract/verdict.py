"""A verdict is data: what a rule found wrong with one outbound request.

A property returns `Violation`s (never raises text); agreement with the reference returns the
differing JSON pointers as `Violation`s with check id `<rule>.agreement`. Everything downstream —
known divergences, the report, the summary, shrinking per cause — reads these fields and never
parses `message`, which is for people only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

_ABSENT = "<absent>"


def pointer(*parts: Any) -> str:
    """A JSON pointer (RFC 6901) from path parts: pointer("body", "messages", 2) -> /body/messages/2."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Violation:
    """One way one outbound request breaks one rule.

    rule:     the registry id (`T4`, `routing`, ...)
    check:    a stable id of the property that failed (`T4.required-under-thinking`)
    path:     a JSON pointer into the outbound request (`/body/tool_choice`), "" for the whole
    expected: what the contract wants there (JSON), or None when "anything but actual"
    actual:   what went out (JSON); "<absent>" when the field is missing
    message:  one line for people; never matched by code
    """

    rule: str
    check: str
    path: str
    expected: Any = None
    actual: Any = None
    message: str = ""

    @property
    def cause(self) -> tuple[str, str]:
        """What groups failures that share a bug: (rule, check)."""
        return (self.rule, self.check)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"[{self.check}] {self.path or '/'}: {self.message}"


@dataclass
class Verdict:
    """Every violation one case produced under one rule (empty: the target conforms)."""

    rule: str
    violations: list[Violation] = field(default_factory=list)
    reference: dict[str, Any] | None = None  # the reference's request, when it was computed
    diff: str | None = None  # a readable diff reference -> target, for people

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def checks(self) -> list[str]:
        return sorted({v.check for v in self.violations})

    def text(self) -> str:
        """The failure as people read it (terminal, attachments): one line per violation."""
        lines = [str(v) for v in self.violations]
        if self.diff:
            lines += ["", self.diff]
        return "\n".join(lines)


__all__ = ["Verdict", "Violation", "pointer", "_ABSENT"]
