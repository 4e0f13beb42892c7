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
def test_what_the_sdk_cannot_express_is_not_expressible(target, c):
    with pytest.raises(NotExpressible):
        target.transform(c)


def test_a_malformed_case_is_a_case_error(target):
    with pytest.raises(CaseError):
        target.transform({"model": K26, "request": {"messages": "hi"}})


def test_streamed_and_not_streamed_bodies(target):
    streamed = target.transform({"model": K26, "request": {"messages": HI, "stream": True}})["body"]
    plain = target.transform({"model": K26, "request": {"messages": HI}})["body"]
    assert streamed["stream"] is True and streamed["stream_options"] == {"include_usage": True}
    assert "stream" not in plain and "stream_options" not in plain
    assert target.versions()["@ai-sdk/moonshotai"] == target.version
