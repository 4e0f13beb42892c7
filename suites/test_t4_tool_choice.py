"""T4 tool_choice under thinking: with thinking enabled only auto/none go out; required becomes auto; a pinned tool is kept and thinking disabled instead. CONTRACT.md T4."""

from harness.suite import conformance_test

test_t4_tool_choice = conformance_test("T4", doc=__doc__)
