"""T6 tool-call id sanitization: tool-call ids unique, first native id kept, results follow their call, duplicates -> deterministic call_* (compared to the reference modulo renaming). Contract: docs/contract.md#t6."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t6_tool_call_ids = conformance_test("T6", doc=__doc__)
