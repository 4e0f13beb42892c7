"""Kimi Coding's Anthropic Messages surface: for every catalog model reached through it (catalog
`api: anthropic-messages`), the request goes to https://api.kimi.com/coding/v1/messages with the key in
`x-api-key` (a placeholder, never a Bearer key), `anthropic-version` and a User-Agent; the body is an
Anthropic Messages request (schema) with the system prompt lifted out, every tool_result paired with
the tool_use before it, max_tokens present, no forced tool choice or temperature under thinking; and it
agrees with the reference (harness/reference/anthropic_messages.py) on the fields the surface governs.
docs/contract.md#kimi-coding-anthropic. Rule `anthropic` (harness/rules/anthropic.py, checks in
harness/rules/anthropic_checks.py).
"""

from harness.pytest_plugin.standard_tests import conformance_test

API = "anthropic-messages"  # the plugin gives this module the catalog models of this surface

test_anthropic_messages = conformance_test("anthropic", doc=__doc__)
