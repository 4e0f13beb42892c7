"""idempotence idempotence: the transformation is deterministic and idempotent. Contract: docs/contract.md#idempotence."""

from harness.suite import conformance_test

test_idempotence = conformance_test("idempotence", doc=__doc__)
