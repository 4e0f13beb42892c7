"""The rules judge targets by the field facts of issue #27 (D3 amended): on a Moonshot host a
K2.x model never gets reasoning_effort — beside thinking it is a 400 ("cannot specify both",
HKUDS/nanobot#3939), "none" is a 400 too — and only K3 (thinking mode `effort`) takes it."""

from __future__ import annotations

import copy

import pytest

from harness.reference import transform
from harness.rules.judge import judge

USER = [{"role": "user", "content": "hi"}]
MOONSHOT = {"id": "moonshot", "baseUrl": "https://api.moonshot.ai/v1", "compat": {"supportsReasoningEffort": True}}
PROXY = {"id": "my-proxy", "baseUrl": "https://proxy.test/v1", "compat": {"supportsReasoningEffort": True}}


def case(model="moonshot/kimi-k2.6", level="high", provider=MOONSHOT, **request):
    return {"model": model, "thinking": level, "provider": provider, "request": {"messages": USER, **request}}


def checks(c, change) -> set[str]:
    out = copy.deepcopy(transform(c))
    change(out["body"])
    return {v.check for v in judge("T7", c, out, reference=transform).violations}


def test_the_reference_passes_its_own_rules():
    for c in (case(), case(level="off"), case(model="moonshot/kimi-k3"), case(provider=PROXY)):
        assert checks(c, lambda b: None) == set()


def test_both_on_a_moonshot_host_is_a_violation_with_a_stable_id():
    # what the reference sent before the amendment: thinking enabled and reasoning_effort "high"
    found = checks(case(), lambda b: b.update(reasoning_effort="high"))
    assert "T7.thinking-and-effort" in found


@pytest.mark.parametrize("level,effort", [("off", "none"), ("high", "high")])
def test_reasoning_effort_alone_on_a_k2_is_a_violation(level, effort):
    found = checks(case(level=level), lambda b: (b.pop("thinking", None), b.update(reasoning_effort=effort)))
    assert "T7.reasoning-effort-native" in found


def test_without_the_flag_the_old_check_names_it_and_both_still_does():
    c = case(provider={"id": "moonshot", "baseUrl": "https://api.moonshot.ai/v1"})
    found = checks(c, lambda b: b.update(reasoning_effort="high"))
    assert {"T7.reasoning-effort-unsupported", "T7.thinking-and-effort"} <= found


def test_off_the_moonshot_hosts_d3_still_maps_the_level():
    c = case(provider=PROXY)
    assert transform(c)["body"]["reasoning_effort"] == "high"
    assert "T7.reasoning-effort-level" in checks(c, lambda b: b.pop("reasoning_effort"))
    assert checks(c, lambda b: None) == set()


def test_k3_takes_reasoning_effort_on_a_moonshot_host():
    c = case(model="moonshot/kimi-k3")
    assert transform(c)["body"].get("reasoning_effort") == "high"
    assert checks(c, lambda b: None) == set()
