"""T1 always-thinking models: K2.7 Code (and K3) drop thinking, reasoning_effort and the pinned sampling fields; keep stop/seed/logprobs/max_tokens; tool_choice -> auto. Contract: docs/contract.md#t1."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t1_always_thinking = conformance_test("T1", doc=__doc__)
