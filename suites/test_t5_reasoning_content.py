"""T5 reasoning_content in history: with thinking enabled every assistant tool-call message carries reasoning_content; given reasoning is never changed; nothing is added with thinking off. CONTRACT.md T5."""

from harness.suite import conformance_test

test_t5_reasoning_content = conformance_test("T5", doc=__doc__)
