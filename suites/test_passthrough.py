"""passthrough pass-through: fields no rule touches pass through; message content byte for byte. Contract: docs/contract.md#pass-through."""

from harness.suite import conformance_test

test_passthrough = conformance_test("passthrough", doc=__doc__)
