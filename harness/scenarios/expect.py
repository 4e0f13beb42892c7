"""A wire scenario's verdict as data: each check that fails is a `Violation` (rule, check id, JSON
pointer into the exchange, expected, actual), as the rules' checks are, raised as a
`ScenarioFailure` that carries them. The pytest plugin puts them in the test's verdict; the
message is for people only.

Pointers start at `/request` (what was sent) or `/response` (status, headers, body, events or
chunks of a stream), e.g. `/response/chunks/3/choices/0/usage`.
"""

from __future__ import annotations

import re
from typing import Any

from harness.contract.verdict import Violation, pointer


class ScenarioFailure(AssertionError):
    """A wire exchange broke the contract. `violations` is the structured part."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__(
            "\n".join(
                f"[{v.check}] at {v.path}: expected {v.expected!r}, got {v.actual!r} - {v.message}" for v in violations
            )
        )


def violation(check: str, path: str, expected: Any, actual: Any, message: str) -> Violation:
    """A violation of `check` (`<rule>.<name>`: the rule is the part before the first dot)."""
    return Violation(check.split(".")[0], check, path, expected, actual, message)


def expect(ok: Any, check: str, path: str, expected: Any, actual: Any, message: str) -> None:
    """Raise a ScenarioFailure with one violation unless `ok`."""
    if not ok:
        raise ScenarioFailure([violation(check, path, expected, actual, message)])


def expect_none(violations: list[Violation]) -> None:
    """Raise a ScenarioFailure carrying `violations` when there are any."""
    if violations:
        raise ScenarioFailure(list(violations))


def as_pointer(json_path: str) -> str:
    """A wire schema error's place, `$.choices[0].usage`, as a JSON pointer: `/choices/0/usage`."""
    dotted = re.sub(r"\[(\d+)\]", r".\1", json_path.removeprefix("$"))
    return pointer(*[p for p in dotted.split(".") if p])


def expect_schema(kind: str, body: Any, at: str) -> None:
    """Hold `body` to the wire schema of `kind`: every error is a `wire.schema` violation at its place."""
    from harness.wire import schemas

    try:
        schemas.validate(kind, body)
    except schemas.WireSchemaError as e:
        raise ScenarioFailure(
            [violation("wire.schema", at + as_pointer(err.path), kind, None, err.message) for err in e.errors]
        ) from None
