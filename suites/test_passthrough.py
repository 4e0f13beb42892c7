"""Pass-through: fields no rule touches (stop, seed, tools, response_format, user, unknown keys, message contents) go out unchanged, and no rule invents fields."""

from harness.suite import conformance_test

test_passthrough = conformance_test("passthrough", doc=__doc__)
