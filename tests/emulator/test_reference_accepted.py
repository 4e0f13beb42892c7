"""The acceptance property: what the reference sends to a native Moonshot endpoint, the emulated
upstream accepts — unless a gap of the contract (`harness/divergences/reference.yaml`, observer
"upstream", check `upstream.<rule id>`) says the upstream rejects exactly that. Every body rule the
emulator enforces (rules.json, field facts included) is checked, not only the first that fires, so a
field fact the reference has not caught up with fails here with the rule's id and the case."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.divergences.model import Divergences
from harness.emulator.rules import BODY_CHECKS, body_rules, lookup_model
from harness.generation.strategies import cases
from harness.reference import transform
from tests.examples import scaled

GAPS = [d for d in Divergences.for_target("reference") if d.observer == "upstream"]
NATIVE_HOSTS = {"api.moonshot.ai", "api.moonshot.cn"}
MODELS = [
    "moonshot/kimi-k2.6",
    "moonshot/kimi-k2.5",
    "moonshot/kimi-k2.7-code",
    "moonshot/kimi-k2.7-code-highspeed",
    "moonshot/kimi-k3",
    "moonshot/kimi-k2-turbo",
]


def uncovered_rejections(case: dict) -> list[str]:
    """The emulator rules that reject the reference's request for `case` and no gap covers."""
    out = transform(case)
    if urlsplit(out["url"]).hostname not in NATIVE_HOSTS:
        return []
    body = out["body"]
    model, err = lookup_model(body["model"])
    assert err is None and model is not None, f"the emulator does not know {body['model']!r}"
    fired = [r for r in body_rules() if BODY_CHECKS[r](model, body, {}, {})]
    return [
        r for r in fired if not any(f"upstream.{r.replace('_', '-')}" in g.checks and g.applies(case) for g in GAPS)
    ]


@settings(max_examples=scaled(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_emulator_accepts_what_the_reference_sends(data):
    case = data.draw(cases(data.draw(st.sampled_from(MODELS))))
    assert not uncovered_rejections(case), (uncovered_rejections(case), case, transform(case)["body"])


# issue #27's example, pinned: K2.6 with a level on a provider that declares supportsReasoningEffort
K26_HIGH_WITH_EFFORT_FLAG = {
    "model": "moonshot/kimi-k2.6",
    "thinking": "high",
    "provider": {
        "id": "moonshot",
        "baseUrl": "https://api.moonshot.ai/v1",
        "api": "openai-completions",
        "compat": {"supportsReasoningEffort": True},
    },
    "request": {"messages": [{"role": "user", "content": "hi"}]},
}


@pytest.mark.parametrize("level", ["high", "low", "off"])
def test_k26_level_with_the_effort_flag_is_accepted(level):
    assert not uncovered_rejections({**K26_HIGH_WITH_EFFORT_FLAG, "thinking": level})
