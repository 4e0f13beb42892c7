"""T10 Kimi web search: $web_search passes unchanged beside function tools, never pinned; the round trip echoes the assistant message and the arguments byte for byte; strict ids reduce $web_search:1 to websearch1. Contract: docs/contract.md#t10-web-search."""

from harness.pytest_plugin.standard_tests import conformance_test

test_t10_web_search = conformance_test("T10", doc=__doc__)
