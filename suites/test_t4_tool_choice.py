"""T4 tool_choice under thinking: under thinking only auto/none; required -> auto; a pinned tool disables thinking. Contract: docs/contract.md#t4."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t4_tool_choice = conformance_test("T4", doc=__doc__)
