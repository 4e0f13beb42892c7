"""Wire suites: the contract against the API, per catalog model and scenario.

Each test replays a cassette (default, network blocked) or talks to --kimi-upstream / the real API
(--kimi-live), and records with --kimi-record-mode. For every scenario the request the reference builds is
accepted (200) and, where a rule forbids the untransformed request, the raw one is rejected with
the documented error (scenarios.json). Every response is schema-checked, its usage priced at the
catalog rates (T9), streams checked for T8/T9 usage shapes.
"""

from decimal import Decimal

import pytest

from harness.scenarios import definitions as scenarios
from harness.scenarios.chat import run_scenario

pytestmark = pytest.mark.area("wire")


@pytest.mark.parametrize("scenario", scenarios.scenario_ids())
def test_wire(wire, model, scenario, record_property):
    # the `wire` fixture records wire.request / wire.response as they happen and wire.steps at
    # the end, pass or fail (failure attachments)
    with wire(model, scenario) as ws:
        result = run_scenario(ws, scenario)
    record_property("usage.cost_usd", str(result.cost))
    if result.gap:
        record_property("contract-gap", result.gap)


def test_cost_worked_example(catalog):
    """docs/contract.md#t9: K2.6, 600 uncached input, 100 output, 400 cache-read tokens -> 0.001034 USD."""
    from harness.scenarios.chat import check_cost
    from harness.wire.usage import parse_usage

    usage = parse_usage(
        {
            "object": "chat.completion",
            "choices": [],
            "usage": {
                "prompt_tokens": 1000,
                "completion_tokens": 100,
                "total_tokens": 1100,
                "cached_tokens": 400,
                "prompt_tokens_details": {"cached_tokens": 400},
            },
        }
    )
    assert check_cost(catalog.resolve("moonshot/kimi-k2.6"), usage) == Decimal("0.001034")


test_cost_worked_example = pytest.mark.area("wire")(pytest.mark.rule("T9")(test_cost_worked_example))
