"""T3 thinking.keep: thinking.keep only for moonshot/kimi-k2.6, only when enabled, normalized to "all". Contract: docs/contract.md#t3."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t3_thinking_keep = conformance_test("T3", doc=__doc__)
