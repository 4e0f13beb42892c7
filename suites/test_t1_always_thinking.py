"""T1 Always-thinking models (K2.7 Code; K3): thinking, reasoning_effort and the pinned sampling overrides are dropped, stop/seed/logprobs/max_tokens stay, tool_choice other than auto/none becomes auto; on every other model the sampling overrides are kept. CONTRACT.md T1."""

from harness.suite import conformance_test

test_t1_always_thinking = conformance_test("T1", doc=__doc__)
