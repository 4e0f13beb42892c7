"""T6 Tool-call ids: after sanitization all ids are unique, the first occurrence of a native functions.<name>:<n> id is unchanged, each tool result still points at its own call, duplicates become deterministic call_* ids (strict policy: [A-Za-z0-9]{1,40}); ids agree with the reference modulo a consistent renaming. CONTRACT.md T6."""

from harness.suite import conformance_test

test_t6_tool_call_ids = conformance_test("T6", doc=__doc__)
