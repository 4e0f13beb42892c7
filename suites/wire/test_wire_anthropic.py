"""Wire suite of Kimi Coding's Anthropic Messages surface (POST https://api.kimi.com/coding/v1/messages).

Per catalog model whose `api` is anthropic-messages and per scenario of
harness/scenarios/anthropic_scenarios.json: replayed from cassettes (default), or sent to
--kimi-upstream (the emulator's <root>/coding) / the real API (--kimi-live, KIMI_API_KEY) and recorded with
--record-mode. Requests are the reference's; responses are held to the Anthropic schemas.
"""

import pytest

from harness.scenarios import anthropic as anthropic_wire

API = "anthropic-messages"
pytestmark = [pytest.mark.area("wire"), pytest.mark.rule("anthropic")]


@pytest.mark.parametrize("anthropic_scenario", anthropic_wire.scenario_ids())
def test_wire_anthropic(wire, model, anthropic_scenario, record_property):
    with wire(model, anthropic_scenario) as ws:
        result = anthropic_wire.run(ws, anthropic_scenario)
    record_property("usage.cost_usd", str(result.cost))
