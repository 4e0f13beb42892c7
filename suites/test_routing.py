"""Routing: every ref the catalog resolves (aliases, legacy refs, both regions, custom providers) goes to its endpoint with its canonical model id, and no key leaves in a header. CONTRACT.md section 1."""

from harness.suite import conformance_test

test_routing = conformance_test("routing", doc=__doc__)
