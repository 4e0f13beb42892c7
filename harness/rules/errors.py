"""Bad cases: a malformed case is rejected as a case error, never crashes a target or goes out."""

from harness.rules._rule import Rule

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
