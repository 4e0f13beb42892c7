"""Gaps of the contract (docs/contract.md#gaps): the reference's own request for each entry of
`harness/divergences/reference.yaml` (observer "upstream") is rejected by the emulated Moonshot API
by the emulator rule the entry names (check `upstream.<rule id>`), with the recorded error.
When the emulator stops rejecting one, the gap is closed (or the emulator changed): update the file."""

from __future__ import annotations

import pytest

from harness.divergences.model import Divergences
from harness.emulator.rules import BODY_CHECKS, body_rules, check_body, lookup_model
from harness.reference import transform

GAPS = [d for d in Divergences.for_target("reference") if d.observer == "upstream"]


def test_reference_gaps_are_listed():
    assert GAPS, "harness/divergences/reference.yaml lists no upstream gaps"


@pytest.mark.parametrize("gap", GAPS, ids=[d.id for d in GAPS])
def test_upstream_rejects_the_reference_request(gap):
    body = transform(gap.case)["body"]
    model, err = lookup_model(body["model"])
    assert err is None and model is not None, f"the emulator does not know {body['model']!r}"
    rejected = check_body(model, body)
    assert rejected is not None, f"{gap.id}: the emulator now accepts the reference's request {body}"
    status, payload = rejected
    rule_id = next(r for r in body_rules() if BODY_CHECKS[r](model, body, {}, {}))
    assert f"upstream.{rule_id.replace('_', '-')}" in gap.checks, f"{gap.id}: rejected by emulator rule {rule_id}"
    assert status == 400 and payload["error"]["type"] == "invalid_request_error"
    assert payload["error"]["message"] in gap.data["upstream"]


def test_k3_on_a_custom_provider_is_no_gap_of_the_reference():
    """Section 6 lists K3 on a custom provider id as OpenClaw's problem; the reference resolves
    K3 by model id, drops the pinned sampling and is accepted."""
    case = {
        "model": "moonshot/kimi-k3",
        "thinking": "high",
        "provider": {"id": "my-kimi", "baseUrl": "https://api.moonshot.ai/v1", "api": "openai-completions"},
        "request": {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.3, "stream": True},
    }
    body = transform(case)["body"]
    model, _ = lookup_model(body["model"])
    assert check_body(model, body) is None, body


@pytest.mark.parametrize("gap", GAPS, ids=[d.id for d in GAPS])
def test_the_reference_sends_what_the_gap_pins(gap):
    """Each gap pins what the reference sends where the upstream refuses it (`sends`)."""
    from harness.divergences.model import _MISSING, at_pointer, pin_accepts

    out = transform(gap.case)
    assert gap.sends, f"{gap.id}: no `sends` pins"
    for ptr, pin in gap.sends.items():
        sent = at_pointer(out, ptr)
        assert pin_accepts(pin, sent), f"{gap.id}: {ptr} pinned {pin}, the reference sends {sent!r}"
        assert sent is not _MISSING
