"""idempotence idempotence: the transformation is deterministic and idempotent. Contract: docs/contract.md#idempotence."""

from harness.pytest_plugin.standard_tests import conformance_test

test_idempotence = conformance_test("idempotence", doc=__doc__)
