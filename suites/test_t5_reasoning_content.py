"""T5 reasoning_content in history: assistant tool-call messages carry reasoning_content when thinking is on. Contract: docs/contract.md#t5."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t5_reasoning_content = conformance_test("T5", doc=__doc__)
