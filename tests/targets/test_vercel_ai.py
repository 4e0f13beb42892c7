"""The `vercel-ai` target: what it refuses, and that generation leaves out what it cannot express.

The worker drives the real @ai-sdk/moonshotai (tox -e vercel-ai installs it); the generation tests need
no install. The fidelity test is tests/targets/test_vercel_ai_fidelity.py.
"""

from __future__ import annotations

import random

import pytest

from harness.errors import CaseError
from harness.generation.features import PAYLOAD_FIELDS, case_features
from harness.generation.strategies import case, case_bytes
from harness.targets import NotExpressible
from harness.targets.node import install as node_install
from harness.targets.vercel_ai import CAPABILITIES

K26 = "moonshot/kimi-k2.6"
HI = [{"role": "user", "content": "hi"}]
_NOT_INSTALLED = None if node_install.is_installed("vercel-ai") else "vercel-ai is not installed (tox -e vercel-ai)"


def _drawn(features, n=300):
    rng = random.Random(7)
    return [case(K26, features, None, frozenset(), (), {}, rng.randbytes(case_bytes(features))) for _ in range(n)]


def test_generation_leaves_out_payload_fields_without_the_feature():
    assert "payload_fields" not in CAPABILITIES.features
    without = _drawn(CAPABILITIES.features)
    assert not [c for c in without if set(PAYLOAD_FIELDS) & set(c["request"])]
    # ... and draws them for a target that has it, from the same bytes
    with_hook = _drawn(CAPABILITIES.features | {"payload_fields"})
    assert any(set(PAYLOAD_FIELDS) & set(c["request"]) for c in with_hook)
    assert "payload_fields" in case_features({"model": K26, "request": {"messages": HI, "n": 2}})


@pytest.fixture(scope="module")
def target():
    if _NOT_INSTALLED:
        pytest.skip(_NOT_INSTALLED)
    from harness.targets.vercel_ai import VercelAITarget

    t = VercelAITarget(timeout=60.0)
    yield t
    t.close()


@pytest.mark.parametrize(
    "c",
    [
        {"model": K26, "request": {"messages": HI, "n": 2}},  # no setting, no extra-body hook
        {"model": "kimi/kimi-for-coding", "request": {"messages": HI}},  # no Kimi Coding provider
        {"model": "Kimi K2.6", "request": {"messages": HI}},  # no alias table
        {"model": K26, "params": {"temperature": 0.2}, "request": {"messages": HI}},  # no configured params
        {"model": K26, "request": {"messages": [{"role": "developer", "content": "d"}, *HI]}},
        {"model": K26, "request": {"messages": HI, "stream": True, "stream_options": {"include_usage": False}}},
        {"model": K26, "request": {"messages": HI, "reasoning_effort": "medium"}},  # the option takes low/high/max
        # an http image would be downloaded by the SDK: only data: URLs
        {
            "model": K26,
            "request": {
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}
                ]
            },
        },
    ],
    ids=["n", "kimi-ref", "alias", "params", "developer", "stream-options", "effort-medium", "http-image"],
)
@pytest.mark.integration
def test_what_the_sdk_cannot_express_is_not_expressible(target, c):
    with pytest.raises(NotExpressible):
        target.transform(c)


@pytest.mark.integration
def test_a_malformed_case_is_a_case_error(target):
    # the SDK's own refusal (generateText's prompt validation), not the worker's: it names the SDK's error
    with pytest.raises(CaseError, match="the Vercel AI SDK rejected the case: AI_Invalid"):
        target.transform({"model": K26, "request": {"messages": "hi"}})
    with pytest.raises(CaseError, match="AI_InvalidMessageRoleError: Invalid message role: 'robot'"):
        target.transform({"model": K26, "request": {"messages": [{"role": "robot", "content": "x"}]}})
    with pytest.raises(CaseError, match="AI_InvalidPromptError: .*must not be empty"):
        target.transform({"model": K26, "request": {"messages": []}})


@pytest.mark.integration
def test_a_malformed_case_reaches_the_sdk_as_written(target):
    """What the SDK lets through goes out (errors.accepted, listed in vercel-ai.yaml): no worker check stops it."""
    out = target.transform({"model": "moonshot/kimi-k9", "request": {"messages": HI}})
    assert out["body"]["model"] == "kimi-k9"
    tool = target.transform({"model": K26, "request": {"messages": [*HI, {"role": "tool", "content": "x"}]}})
    assert tool["body"]["messages"][-1] == {"role": "tool", "content": "x"}


@pytest.mark.integration
def test_a_well_formed_case_is_not_flagged_and_no_model_is_not_expressible(target):
    """Only a malformed case turns the SDK's refusal into a case error (the driver's `__malformed`
    flag, harness.targets.malformed): a well-formed one goes out as before."""
    good = {"model": K26, "request": {"messages": HI}}
    assert "__malformed" not in good and target.transform(good)["body"]["messages"] == HI
    with pytest.raises(NotExpressible, match="no model"):  # the provider is called with a model id
        target.transform({"request": {"messages": HI}})


@pytest.mark.integration
def test_a_driver_that_sends_anyway_fails_the_errors_rule(target):
    """The broken variant, as data: swallowing the SDK's rejection and sending is errors.accepted."""
    from harness.rules import errors

    bad = next(b for b in errors.bad_cases() if b["id"] == "unknown-role")
    assert errors.violations(bad["case"], target.transform, (NotExpressible,)) == []

    from tests.mutants import sending_anyway

    found = errors.violations(bad["case"], sending_anyway(target.transform), (NotExpressible,))
    assert [(v.check, v.path) for v in found] == [("errors.accepted", "/body/messages")]


@pytest.mark.integration
def test_streamed_and_not_streamed_bodies(target):
    streamed = target.transform({"model": K26, "request": {"messages": HI, "stream": True}})["body"]
    plain = target.transform({"model": K26, "request": {"messages": HI}})["body"]
    assert streamed["stream"] is True and streamed["stream_options"] == {"include_usage": True}
    assert "stream" not in plain and "stream_options" not in plain
    assert target.versions()["@ai-sdk/moonshotai"] == target.version
