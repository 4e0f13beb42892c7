"""passthrough pass-through: fields no rule touches pass through; message content byte for byte. Contract: docs/contract.md#pass-through."""

from harness.pytest_plugin.standard_tests import conformance_test

test_passthrough = conformance_test("passthrough", doc=__doc__)
