"""harness.online.drift without a network: probes built from rules data, verdicts from answers
(httpx.MockTransport), retries, budgets, an upstream that is gone."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from harness.catalog import builtin
from harness.online import drift
from harness.online.retry import RetryPolicy

RULE = {
    "id": "top_p_fixed",
    "phase": "body",
    "status": 400,
    "type": "invalid_request_error",
    "message": "invalid top_p: only 0.95 is allowed for this model",
    "verbatim": True,
    "probe": {
        "model": "kimi-k2.6",
        "request": {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 16, "top_p": 0.5},
        "twin": {"path": "/top_p", "value": 0.95},
    },
}
RULES = {"rules": [{"id": "auth_invalid", "phase": "request"}, RULE]}
MODELS = {"object": "list", "data": [{"id": m.id} for m in builtin() if m.provider.id == "moonshot"]}
REJECTED = (400, {"error": {"type": "invalid_request_error", "message": RULE["message"]}})
OK = (
    200,
    {"id": "x", "object": "chat.completion", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1}},
)


def upstream(answer):
    """A MockTransport: GET /models lists the catalog; each chat request gets answer(body, n)."""
    seen: list[dict] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=MODELS)
        body = json.loads(request.content)
        seen.append(body)
        status, payload = answer(body, len(seen))
        return httpx.Response(status, json=payload)

    return httpx.MockTransport(handle), seen


def run(answer, **kw):
    transport, seen = upstream(answer)
    kw.setdefault("retry", RetryPolicy(sleep=lambda s: None))
    result = drift.run(
        "http://up.test/v1", "sk-test-key-000000", builtin(), RULES, {}, mode="upstream", transport=transport, **kw
    )
    return result, seen


def by_rule(answer_rejected, answer_twin):
    return lambda body, n: answer_rejected if body.get("top_p") == 0.5 else answer_twin


def test_the_probe_pair_differs_in_one_field():
    [probe] = drift.probes_from_rules(RULES)
    assert probe.rejected["top_p"] == 0.5 and probe.accepted == {**probe.rejected, "top_p": 0.95}
    assert probe.expected == {"status": 400, "type": "invalid_request_error", "message": RULE["message"]}


def test_same_when_the_rule_holds():
    result, seen = run(by_rule(REJECTED, OK))
    assert [c.verdict for c in result.checks] == ["same", "same"] and result.exit_code == 0
    assert [b["top_p"] for b in seen] == [0.5, 0.95]


@pytest.mark.parametrize(
    "rejected, twin, differs",
    [
        (OK, OK, ["rejected.status", "rejected.type", "rejected.message"]),
        ((400, {"error": {"type": "invalid_request_error", "message": "other"}}), OK, ["rejected.message"]),
        (REJECTED, REJECTED, ["accepted.status"]),
    ],
)
def test_drifted_says_what_changed(rejected, twin, differs):
    result, _ = run(by_rule(rejected, twin))
    check = result.checks[1]
    assert check.verdict == "drifted" and check.differs == differs and result.exit_code == 1
    assert check.detail  # and a sentence for the report


def test_a_429_is_retried_then_undecidable():
    waits: list[float] = []
    overloaded = (429, {"error": {"type": "engine_overloaded_error", "message": "busy"}})
    result, seen = run(lambda body, n: overloaded, retry=RetryPolicy(max_retries=2, sleep=waits.append))
    check = result.checks[1]
    assert check.verdict == "undecidable" and "429" in check.detail
    assert len(seen) == 3 and len(waits) == 2  # the rejected request, twice retried; the twin never sent
    assert result.exit_code == 3


def test_a_429_that_clears_on_retry_decides():
    overloaded = (429, {"error": {"type": "engine_overloaded_error", "message": "busy"}})
    result, _ = run(lambda body, n: overloaded if n == 1 else by_rule(REJECTED, OK)(body, n))
    assert result.checks[1].verdict == "same" and result.checks[1].attempts == 3


def test_each_probe_has_its_own_budget():
    result, seen = run(by_rule(REJECTED, OK), probe_budget_usd=Decimal("0.0000001"))
    assert result.checks[1].verdict == "undecidable" and "probe budget" in result.checks[1].detail
    assert seen == []  # refused before anything was sent


def test_an_upstream_that_is_gone_is_undecidable_at_once():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    result = drift.run(
        "http://up.test/v1", "sk-x-000000", builtin(), RULES, {}, mode="upstream", transport=httpx.MockTransport(refuse)
    )
    assert [c.verdict for c in result.checks] == ["undecidable", "undecidable"]
    assert "is gone" in result.checks[1].detail and result.exit_code == 3


def test_models_drift_unless_allow_listed():
    served = {"object": "list", "data": [{"id": "kimi-k2.6"}, {"id": "kimi-k9"}]}
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=served))
    with httpx.Client(transport=transport) as client:
        check = drift.check_models(
            "http://up.test/v1", "k", builtin(), "moonshot", {}, client=client, retry=RetryPolicy()
        )
        assert check.verdict == "drifted" and check.differs == ["notServed", "notInCatalog"]
        assert "kimi-k9" in check.observed["notInCatalog"] and "kimi-k3" in check.observed["notServed"]
        current = {m.id for m in builtin() if m.provider.id == "moonshot" and m.status != "retired"}
        allow = {"omitted": {"kimi-k9": "why"}, "not_served": dict.fromkeys(current - {"kimi-k2.6"}, "why")}
        check = drift.check_models(
            "http://up.test/v1", "k", builtin(), "moonshot", allow, client=client, retry=RetryPolicy()
        )
        assert check.verdict == "same" and "kimi-k9" in check.observed["allowListed"]


def test_a_body_rule_without_a_probe_is_named():
    with pytest.raises(drift.ProbeError, match="rule top_p_fixed: no `probe`"):
        drift.probes_from_rules({"rules": [{k: v for k, v in RULE.items() if k != "probe"}]})


def test_set_pointer():
    body = {"a": [{"b": 1}, {"c": 2}]}
    assert drift.set_pointer(body, "/a/1/c", 3) == {"a": [{"b": 1}, {"c": 3}]}
    assert drift.set_pointer(body, "/a/0", delete=True) == {"a": [{"c": 2}]}
    assert body == {"a": [{"b": 1}, {"c": 2}]}  # a copy


def test_the_report_is_dated_and_keyless(tmp_path):
    result, _ = run(by_rule(REJECTED, OK))
    json_path, md_path = drift.write_report(result, tmp_path)
    assert json_path.name == f"drift-{result.started.replace('-', '').replace(':', '')}.json"
    text = json_path.read_text() + md_path.read_text()
    assert "sk-test-key" not in text and json.loads(json_path.read_text())["verdict"] == "same"
