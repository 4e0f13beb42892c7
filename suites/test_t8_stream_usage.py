"""T8 Streaming usage: a streamed request to a native Moonshot endpoint carries stream_options.include_usage=true, whatever the provider id; elsewhere stream_options pass through. CONTRACT.md T8."""

from harness.suite import conformance_test

test_t8_stream_usage = conformance_test("T8", doc=__doc__)
