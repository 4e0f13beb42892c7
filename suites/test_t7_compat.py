"""T7 Compat flags: maxTokensField, supportsDeveloperRole, supportsReasoningEffort and supportsStore shape the body; Moonshot defaults: max_tokens, no developer role, no store, no reasoning_effort. CONTRACT.md T7."""

from harness.suite import conformance_test

test_t7_compat = conformance_test("T7", doc=__doc__)
