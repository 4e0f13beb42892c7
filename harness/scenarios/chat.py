"""Running a wire scenario through a `WireSession` (harness.scenarios.session; its settings are in
harness.cassettes.settings).

`run_scenario` holds the checks every response goes through: status and documented error, wire
schemas, usage and cost against the catalog prices, stream shapes (T8/T9).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from harness.online.budget import catalog_prices
from harness.online.client import WireResponse
from harness.scenarios import definitions as sc
from harness.scenarios.session import WireSession
from harness.util import scrub


# ------------------------------------------------------------------------------- checks
def check_cost(model, usage) -> Decimal:
    """Usage priced at the catalog rates, computed here independently of harness.wire.usage
    and compared with estimate_cost (T9)."""
    from harness.wire.usage import UNITS, estimate_cost

    cost = model.cost
    unit = UNITS[cost["unit"]]
    rate = lambda k: Decimal(str(cost.get(k, 0) or 0)) / unit  # noqa: E731
    uncached = max(0, usage.prompt_tokens - usage.cached_tokens - usage.cache_write_tokens)
    want = (
        uncached * rate("input")
        + usage.completion_tokens * rate("output")
        + usage.cached_tokens * rate("cacheRead")
        + usage.cache_write_tokens * rate("cacheWrite")
    )
    got = estimate_cost(usage, catalog_prices(cost)).total
    assert got == want, f"estimated cost {got} != catalog-priced {want} for {usage}"
    assert got >= 0
    return got


def check_ok(model, outbound: dict, r: WireResponse, *, replay: bool) -> dict[str, Any]:
    """A 200: schemas, usage, cost, stream shapes. Returns facts for the report."""
    from harness.wire import schemas
    from harness.wire.usage import parse_usage

    assert r.status == 200, f"expected 200, got {r.status}: {scrub.scrub_text(r.text[:500])}"
    want_stream = outbound.get("stream") is True
    assert r.streamed == want_stream, f"stream={want_stream} but content-type {r.headers.get('content-type')!r}"
    if not want_stream:
        schemas.validate("response", r.json)
        usage = parse_usage(r.json)
        assert usage is not None and usage.source == "response", "a Moonshot response always carries usage"
        return {
            "usage": usage,
            "cost": check_cost(model, usage),
            "message": r.json["choices"][0]["message"],
            "finish_reason": r.json["choices"][0]["finish_reason"],
        }
    assert r.events and r.events[-1] == "[DONE]", "a stream ends with data: [DONE]"
    for i, chunk in enumerate(r.chunks):
        try:
            schemas.validate("chunk", chunk)
        except schemas.WireSchemaError as e:
            raise AssertionError(f"chunk {i}: {e}") from None
    if replay:
        assert r.byte_chunks > 1, "a replayed stream must arrive event by event, not as one blob"
    finish = [c for c in r.chunks if c["choices"] and c["choices"][0].get("finish_reason")]
    assert finish, "no chunk carries a finish_reason"
    assert isinstance(finish[-1]["choices"][0].get("usage"), dict), (
        "T9: Moonshot puts usage in choices[0].usage of the finish chunk"
    )
    trailing = [c for c in r.chunks if c["choices"] == [] and isinstance(c.get("usage"), dict)]
    include = (outbound.get("stream_options") or {}).get("include_usage") is True
    assert bool(trailing) == include, (
        f"T9: trailing usage chunk present={bool(trailing)} but stream_options.include_usage={include}"
    )
    if trailing:
        assert trailing[-1] is r.chunks[-1], "the usage-only chunk is the last one"
        assert trailing[-1]["usage"] == finish[-1]["choices"][0]["usage"], "n=1: trailing usage == choice usage"
    usage = parse_usage(r.chunks)
    assert usage is not None and usage.source == ("stream.trailing" if include else "stream.choices")
    message = {
        "content": "".join((c["choices"][0]["delta"].get("content") or "") for c in r.chunks if c["choices"]),
        "reasoning_content": "".join(
            (c["choices"][0]["delta"].get("reasoning_content") or "") for c in r.chunks if c["choices"]
        )
        or None,
    }
    return {
        "usage": usage,
        "cost": check_cost(model, usage),
        "message": message,
        "finish_reason": finish[-1]["choices"][0]["finish_reason"],
        "trailing": bool(trailing),
    }


def check_expected(model, outbound: dict, r: WireResponse, expect: dict[str, Any], *, replay: bool):
    from harness.wire import schemas

    if "error" in expect:
        err = sc.data()["errors"][expect["error"]]
        params = {"model": outbound.get("model"), **expect.get("params", {})}
        message = err["message"].format(**params) if "{" in err["message"] else err["message"]
        assert r.status == err["status"], (
            f"expected {err['status']} {err['type']} ({err['source']}), "
            f"got {r.status}: {scrub.scrub_text(r.text[:300])}"
        )
        schemas.validate("error", r.json)
        assert r.json["error"]["type"] == err["type"]
        assert r.json["error"]["message"] == message, (
            f"error message {scrub.scrub_text(repr(r.json['error']['message']))} != {message!r}"
        )
        return None
    facts = check_ok(model, outbound, r, replay=replay)
    reasoning = expect.get("reasoning")
    if reasoning == "when_thinks_by_default" and sc.facts(model).thinks_by_default:
        assert facts["message"].get("reasoning_content"), "a thinking model returned no reasoning_content"
    if reasoning is False:
        assert not facts["message"].get("reasoning_content"), "thinking is off but reasoning_content came back"
    if "outbound_keep" in expect:
        assert (outbound.get("thinking") or {}).get("keep") == expect["outbound_keep"]
    return facts


def _assistant(message: dict) -> dict:
    out = {"role": "assistant", "content": message.get("content") or ""}
    if message.get("reasoning_content") is not None:
        out["reasoning_content"] = message["reasoning_content"]
    if message.get("tool_calls"):
        out["tool_calls"] = [
            {
                "id": t["id"],
                "type": "function",
                "function": {"name": t["function"]["name"], "arguments": t["function"]["arguments"]},
            }
            for t in message["tool_calls"]
        ]
    return out


@dataclass
class ScenarioResult:
    steps: list[dict[str, Any]] = field(default_factory=list)
    cost: Decimal = Decimal(0)
    gap: str | None = None


def run_scenario(ws: WireSession, sid: str) -> ScenarioResult:
    from harness.reference import transform
    from harness.wire import schemas

    model, s = ws.model, sc.scenario(sid)
    expect = sc.expectation(sid, model)
    replay = not ws.s.online
    result = ScenarioResult(steps=ws.steps, gap=expect.get("reference", {}).get("gap"))
    key = sc.expand(s["key"]) if s.get("key") else None

    def step(name: str, case: dict, which: str, want: dict | None):
        if want is None:
            return None
        out = transform(case, ws.s.catalog)
        body = out["body"] if which == "reference" else {"model": model.id, **copy.deepcopy(case["request"])}
        if which == "reference":
            schemas.validate("request", body)
        r = ws.send(body, key=key)
        # noted before checking, so a failing step is in the report too
        entry = {"step": name, "send": which, "status": r.status, "exchange": len(ws.exchanges), "cost_usd": None}
        result.steps.append(entry)
        facts = check_expected(model, body, r, want, replay=replay)
        if facts:
            result.cost += facts["cost"]
            entry["cost_usd"] = str(facts["cost"])
        return body, r, facts

    case = sc.case_for(sid, model)
    kind = s["kind"]
    if kind in ("single", "stream"):
        step(sid, case, "reference", expect.get("reference"))
        step(sid, case, "raw", expect.get("raw"))
    elif kind == "multi_turn":
        _, _, first = step("turn 1", case, "reference", expect["reference"])
        case2 = copy.deepcopy(case)
        case2["request"]["messages"] += [_assistant(first["message"]), {"role": "user", "content": s["follow_up"]}]
        step("turn 2", case2, "reference", expect["reference"])
    elif kind == "tool_round_trip":
        _, r1, f1 = step("call", case, "reference", {"status": 200})
        msg = r1.json["choices"][0]["message"]
        assert f1["finish_reason"] == "tool_calls" and msg.get("tool_calls"), (
            f"asked to use the tool, the model answered {scrub.scrub_text(repr(msg))}"
        )
        call = _assistant(msg)
        cid = call["tool_calls"][0]["id"]
        result_msg = {"role": "tool", "tool_call_id": cid, "content": s["tool_result"]}
        case2 = copy.deepcopy(case)
        case2["request"]["messages"] += [call, result_msg]
        _, _, f2 = step("tool result -> answer", case2, "reference", {"status": 200})
        case3 = copy.deepcopy(case2)
        case3["request"]["messages"] += [
            _assistant(f2["message"]),
            {"role": "user", "content": s["follow_up"]},
            copy.deepcopy(call),
            copy.deepcopy(result_msg),
        ]
        step(f"repeated id {cid}", case3, "reference", expect.get("reference"))
        raw = expect.get("raw")
        if raw and "error" in raw:
            raw = {**raw, "params": {"id": cid}}
        step(f"repeated id {cid} (raw)", case3, "raw", raw)
    elif kind == "web_search":
        from harness.scenarios.websearch import run_web_search

        result.cost += run_web_search(step, case, ws, s)
    else:
        raise ValueError(f"unknown scenario kind {kind!r}")
    return result
