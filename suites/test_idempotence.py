"""Idempotence and determinism: the same case gives the same request twice, and transforming the outbound body again changes nothing."""

from harness.suite import conformance_test

test_idempotence = conformance_test("idempotence", doc=__doc__)
