"""Kimi Coding's Anthropic Messages surface: for every catalog model reached through it (catalog
`api: anthropic-messages`), the request goes to https://api.kimi.com/coding/v1/messages with the key in
`x-api-key` (a placeholder, never a Bearer key), `anthropic-version` and a User-Agent; the body is an
Anthropic Messages request (schema) with the system prompt lifted out, every tool_result paired with
the tool_use before it, max_tokens present, no forced tool choice or temperature under thinking; and it
agrees with the reference (harness/reference/anthropic_messages.py) on the fields the surface governs.
CONTRACT.md section 1. Checks: harness/contract/anthropic_checks.py (Violations of rule `anthropic`).
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.contract import anthropic_checks
from harness.contract.case import context
from harness.targets.base import ALL_FEATURES

API = "anthropic-messages"  # the plugin gives this module the catalog models of this surface
# A case on this surface uses the catalog's own provider: a custom provider id would be an
# OpenAI-compatible one (CONTRACT §2), and compat flags are chat-completions flags.
FEATURES = ALL_FEATURES - {"custom_provider", "compat"}


@pytest.mark.rule(anthropic_checks.RULE)
@given(data=st.data())
def test_anthropic_messages(conformance, target, model, data):
    from harness.generation.strategies import cases

    caps = target.capabilities
    spellings = tuple(sorted(k for k, v in conformance.catalog.accepted_refs().items() if v == model and k != model))
    case = data.draw(
        cases(model, caps.features & FEATURES, spellings=spellings, request_defaults=caps.request_defaults),
        label="case",
    )
    out = conformance.call(target, case)
    violations = anthropic_checks.check_all(case, context(case, conformance.catalog), out)
    violations += anthropic_checks.agreement(out, conformance.reference.transform(case))
    if violations:
        problem = "\n".join(str(v) for v in violations)
        conformance.expect_divergence(
            target,
            anthropic_checks.RULE,
            case,
            f"{problem}\n\ncase: {json.dumps(case, ensure_ascii=False)}\n"
            f"outbound body: {json.dumps(out['body'], ensure_ascii=False)}",
        )
