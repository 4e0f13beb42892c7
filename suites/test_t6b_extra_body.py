"""T6b extra body: a configured extra_body cannot smuggle a rule violation out. Contract: docs/contract.md#t6b."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t6b_extra_body = conformance_test("T6b", doc=__doc__)
