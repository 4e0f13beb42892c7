"""routing routing: every ref (aliases, legacy refs, both regions, custom providers) goes to its endpoint with its canonical model id; no key in headers. Contract: docs/contract.md#routing."""

from harness.pytest_plugin.standard_tests import conformance_test

test_routing = conformance_test("routing", doc=__doc__)
