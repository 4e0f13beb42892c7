"""T8 streaming usage: stream_options.include_usage on native Moonshot endpoints, matched by endpoint. Contract: docs/contract.md#t8."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t8_stream_usage = conformance_test("T8", doc=__doc__)
