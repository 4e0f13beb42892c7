"""T6b Extra body: a configured extra_body is merged into the body and T1-T5 still hold on what goes out on the wire. CONTRACT.md T6b."""

from harness.suite import conformance_test

test_t6b_extra_body = conformance_test("T6b", doc=__doc__)
