"""errors bad cases: malformed cases are rejected as case errors (harness/contract/bad_cases.json). Contract: docs/contract.md#errors."""

from harness.pytest_plugin.standard_tests import conformance_test

test_errors = conformance_test("errors", doc=__doc__)
