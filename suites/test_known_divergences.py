"""Known divergences stay true: every entry of the target's divergence files (the shipped ones of
its kind, and your own: --kimi-divergences) is replayed on its target. It must still diverge
(cover a violation of its own minimal case), and every violation of that case must be covered by
exactly one entry — no gaps, no overlaps."""

from harness.pytest_plugin.standard_tests import known_divergence_test

test_known_divergence = known_divergence_test()
