"""T3 thinking.keep: forwarded only for moonshot/kimi-k2.6 and only with thinking enabled, normalized to 'all'; stripped everywhere else. CONTRACT.md T3."""

from harness.suite import conformance_test

test_t3_thinking_keep = conformance_test("T3", doc=__doc__)
