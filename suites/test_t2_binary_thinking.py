"""T2 Binary thinking: /think off -> disabled, any other level -> enabled, a configured params.thinking (object, boolean or word) wins, and with neither the request's own thinking is left. CONTRACT.md T2."""

from harness.suite import conformance_test

test_t2_binary_thinking = conformance_test("T2", doc=__doc__)
