"""Bad cases: a malformed case is rejected as a case error (or refused as not expressible), never
crashes a target or goes out.

This is about the *case* a caller hands over, not about upstream error answers: it applies to every
target that turns cases into requests. Each malformed case of harness/contract/bad_cases.json goes
through the target's transform; a case error or a refusal passes, an outbound request is an
`errors.accepted` violation at the place of the request the malformed input reached (the bad
case's `path`), a crash an `errors.crashed` one. Known divergences cover them like any other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from harness.contract.verdict import Violation
from harness.rules._rule import ABSENT, Rule

BAD_CASES = Path(__file__).resolve().parents[1] / "contract" / "bad_cases.json"


@cache
def _bad_cases() -> tuple[str, ...]:
    return tuple(json.dumps(b, sort_keys=True) for b in json.loads(BAD_CASES.read_text(encoding="utf-8"))["cases"])


def bad_cases() -> list[dict[str, Any]]:
    """The malformed cases every target must reject: {id, path, case} (fresh copies)."""
    return [json.loads(b) for b in _bad_cases()]


def is_bad_case(case: Any) -> bool:
    """Whether `case` is one of the malformed cases of bad_cases.json."""
    return any(b["case"] == case for b in bad_cases())


def where(case: Any) -> str:
    """The JSON pointer of the outbound request a malformed case's fault reaches ("" when the case
    is not one of bad_cases.json: the whole request)."""
    return next((b.get("path", "") for b in bad_cases() if b["case"] == case), "")


def accepted(case: Any, out: Any) -> Violation:
    """The target turned a malformed case into a request: what it would send, where the fault went."""
    body = out.get("body") if isinstance(out, dict) else out
    path = where(case)
    actual: Any = body
    for part in path.split("/")[2:]:  # "/body/x/0" -> the value the fault reached, if it is there
        if isinstance(actual, dict):
            actual = actual.get(part, ABSENT)
        elif isinstance(actual, list) and part.isdigit() and int(part) < len(actual):
            actual = actual[int(part)]
        else:
            actual = ABSENT
    return Violation(
        "errors", "errors.accepted", path, "a case error", actual, "accepted a malformed case and would send it"
    )


def crashed(error: BaseException) -> Violation:
    return Violation("errors", "errors.crashed", "", "a case error", type(error).__name__, f"crashed instead: {error}")


def violations(
    case: Any, transform: Callable[[Any], dict[str, Any]], refusals: tuple[type[BaseException], ...] = ()
) -> list[Violation]:
    """The `errors` verdict of one malformed case: [] when the target rejects it (a CaseError, or
    one of `refusals`: NotExpressible, which this layer cannot import), else what went wrong."""
    from harness.errors import CaseError, TargetError

    try:
        out = transform(json.loads(json.dumps(case)))
    except CaseError as e:
        if not str(e).strip():  # a rejection must say what is wrong
            return [crashed(e)]
        return []
    except refusals:
        return []
    except TargetError as e:
        return [crashed(e)]
    return [accepted(case, out)]


RULE = Rule(
    id="errors",
    title="bad cases",
    section="errors",
    order=110,
    kind="errors",
    summary="malformed cases are rejected as case errors (harness/contract/bad_cases.json)",
    test_name="test_errors",
    sources=("harness",),
)
