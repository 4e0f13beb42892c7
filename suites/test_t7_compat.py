"""T7 compat flags: compat flags: maxTokensField, developer role, reasoning_effort (D3), store. Contract: docs/contract.md#t7."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t7_compat = conformance_test("T7", doc=__doc__)
