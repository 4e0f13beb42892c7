"""T2 binary thinking: binary thinking from /think and configured params.thinking (objects, booleans, words). Contract: docs/contract.md#t2."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t2_binary_thinking = conformance_test("T2", doc=__doc__)
