"""pi-ai's kimi-coding models driven through its anthropic-messages transport (the real npm code).

Skips with the install hint when pi-ai is not installed (python -m harness.targets.node.install pi-ai)."""

import pytest

from harness.contract.case import context
from harness.reference import transform
from harness.rules import anthropic_agreement as agreeing
from harness.rules import anthropic_checks as checks
from harness.targets import NotExpressible, create
from harness.targets.node import install as node_install
from harness.targets.pi_ai import CAPABILITIES
from harness.wire import schemas


@pytest.fixture(scope="module")
def pi_ai():
    if not node_install.is_installed("pi-ai"):
        pytest.skip("pi-ai not installed, run: tox -e pi-ai (or python -m harness.targets.node.install pi-ai)")
    t = create("pi-ai")
    yield t
    t.close()


def case(model="kimi/kimi-for-coding", level=None, **request):
    c = {
        "model": model,
        "request": {
            "messages": [{"role": "system", "content": "be terse"}, {"role": "user", "content": "hi"}],
            "stream": True,
            **request,
        },
    }
    if level:
        c["thinking"] = level
    return c


@pytest.mark.integration
def test_kimi_for_coding_goes_out_as_an_anthropic_request(pi_ai):
    c = case(level="low", max_tokens=300)
    out = pi_ai.transform(c)
    assert out["url"] == "https://api.kimi.com/coding/v1/messages"
    assert out["headers"]["x-api-key"] == "<redacted>" and "authorization" not in out["headers"]
    assert out["headers"]["anthropic-version"] == "2023-06-01"
    assert out["headers"]["user-agent"] == "KimiCLI/1.5"  # pi-ai's own, where OpenClaw says claude-code/0.1.0
    schemas.validate("anthropic-request", out["body"])
    assert out["body"]["system"][0]["text"] == "be terse"
    assert out["body"]["thinking"] == {"type": "enabled", "budget_tokens": 2048, "display": "summarized"}
    assert out["body"]["max_tokens"] == 2348  # pi-ai adds the level's budget to the output budget, as the reference
    assert checks.check_all(c, context(c), out) == []
    assert agreeing.agreement(out, transform(c)) == []


@pytest.mark.integration
def test_what_pi_ai_sends_differently_is_caught(pi_ai):
    """Found on the real code path: without a level pi-ai turns thinking off where the reference
    leaves the server default, and replays Kimi's own ids outside Anthropic's id alphabet."""
    c = case()
    out = pi_ai.transform(c)
    assert out["body"]["thinking"] == {"type": "disabled"}
    assert [v.path for v in agreeing.agreement(out, transform(c))] == ["/body/thinking"]
    c = case(level="low")
    c["request"]["messages"] += [
        {
            "role": "assistant",
            "content": None,
            "reasoning_content": "look",
            "tool_calls": [
                {"id": "functions.read:0", "type": "function", "function": {"name": "read", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "functions.read:0", "content": "r"},
    ]
    out = pi_ai.transform(c)
    found = {v.check for v in checks.check_all(c, context(c), out) + agreeing.agreement(out, transform(c))}
    assert {"anthropic.schema", "anthropic.agreement"} <= found


@pytest.mark.parametrize("request_fields", [{"tool_choice": "auto"}, {"top_p": 0.5}, {"stream": False}])
@pytest.mark.integration
def test_what_the_transport_has_no_option_for_is_not_expressible(pi_ai, request_fields):
    with pytest.raises(NotExpressible):
        pi_ai.transform(case(**request_fields))


def test_other_kimi_refs_say_why_they_are_not_driven():
    reasons = CAPABILITIES.models_not_applicable
    assert "kimi/kimi-for-coding" not in reasons
    for ref in ("kimi/k3", "kimi/k3-256k", "kimi/kimi-for-coding-highspeed"):
        assert "lists only kimi-for-coding" in reasons[ref]
    assert "openai-completions" in reasons["kimi/kimi-k2p5"]
