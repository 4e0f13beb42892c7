"""T9 usage and cost: usage from every stream shape, cached tokens never billed twice, catalog-priced cost. Contract: docs/contract.md#t9."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t9_usage = conformance_test("T9", doc=__doc__)
