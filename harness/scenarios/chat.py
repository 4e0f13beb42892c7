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
from harness.scenarios.expect import expect, expect_schema
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
    expect(
        got == want, "T9.cost", "/response/usage", str(want), str(got), f"estimated cost != catalog-priced, for {usage}"
    )
    expect(got >= 0, "T9.cost", "/response/usage", ">= 0", str(got), "a negative cost")
    return got


def expect_answered(outbound: dict, r: WireResponse) -> bool:
    """A 200, streamed exactly when the request asked for a stream (both surfaces); returns whether it was."""
    expect(r.status == 200, "wire.status", "/response/status", 200, r.status, scrub.scrub_text(r.text[:500]))
    want_stream = outbound.get("stream") is True
    content_type = r.headers.get("content-type")
    expect(
        r.streamed == want_stream,
        "wire.stream",
        "/response/headers/content-type",
        want_stream,
        content_type,
        f"stream={want_stream} but content-type {content_type!r}",
    )
    return want_stream


def check_ok(model, outbound: dict, r: WireResponse, *, replay: bool) -> dict[str, Any]:
    """A 200: schemas, usage, cost, stream shapes. Returns facts for the report."""
    from harness.wire.usage import parse_usage

    want_stream = expect_answered(outbound, r)
    if not want_stream:
        expect_schema("response", r.json, "/response/body")
        usage = parse_usage(r.json)
        expect(
            usage is not None and usage.source == "response",
            "T9.usage-missing",
            "/response/body/usage",
            "usage",
            None,
            "a Moonshot response always carries usage",
        )
        return {
            "usage": usage,
            "cost": check_cost(model, usage),
            "message": r.json["choices"][0]["message"],
            "finish_reason": r.json["choices"][0]["finish_reason"],
        }
    last = r.events[-1] if r.events else None
    expect(
        last == "[DONE]", "wire.stream-end", "/response/events/-1", "[DONE]", last, "a stream ends with data: [DONE]"
    )
    for i, chunk in enumerate(r.chunks):
        expect_schema("chunk", chunk, f"/response/chunks/{i}")
    if replay:
        expect(
            r.byte_chunks > 1,
            "wire.replay-event-by-event",
            "/response",
            "> 1 read",
            r.byte_chunks,
            "a replayed stream must arrive event by event, not as one blob",
        )
    finish = [c for c in r.chunks if c["choices"] and c["choices"][0].get("finish_reason")]
    expect(finish, "wire.finish-reason", "/response/chunks", "a finish chunk", None, "no chunk carries a finish_reason")
    expect(
        isinstance(finish[-1]["choices"][0].get("usage"), dict),
        "T9.choice-usage",
        f"/response/chunks/{r.chunks.index(finish[-1])}/choices/0/usage",
        "an object",
        None,
        "Moonshot puts usage in choices[0].usage of the finish chunk",
    )
    trailing = [c for c in r.chunks if c["choices"] == [] and isinstance(c.get("usage"), dict)]
    include = (outbound.get("stream_options") or {}).get("include_usage") is True
    expect(
        bool(trailing) == include,
        "T8.trailing-usage",
        "/response/chunks/-1/usage",
        include,
        bool(trailing),
        f"trailing usage chunk present={bool(trailing)} but stream_options.include_usage={include}",
    )
    if trailing:
        expect(
            trailing[-1] is r.chunks[-1],
            "T8.trailing-usage",
            "/response/chunks/-1",
            "the usage-only chunk",
            None,
            "the usage-only chunk is the last one",
        )
        expect(
            trailing[-1]["usage"] == finish[-1]["choices"][0]["usage"],
            "T9.trailing-usage",
            "/response/chunks/-1/usage",
            finish[-1]["choices"][0]["usage"],
            trailing[-1]["usage"],
            "n=1: trailing usage == choice usage",
        )
    usage = parse_usage(r.chunks)
    source = "stream.trailing" if include else "stream.choices"
    expect(
        usage is not None and usage.source == source,
        "T9.usage-source",
        "/response/chunks",
        source,
        usage.source if usage else None,
        "usage read from the wrong place of the stream",
    )
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


def check_expected(model, outbound: dict, r: WireResponse, want: dict[str, Any], *, replay: bool):
    if "error" in want:
        err = sc.data()["errors"][want["error"]]
        params = {"model": outbound.get("model"), **want.get("params", {})}
        message = err["message"].format(**params) if "{" in err["message"] else err["message"]
        expect(
            r.status == err["status"],
            "errors.status",
            "/response/status",
            err["status"],
            r.status,
            f"expected {err['status']} {err['type']} ({err['source']}): {scrub.scrub_text(r.text[:300])}",
        )
        expect_schema("error", r.json, "/response/body")
        got = r.json["error"]
        expect(
            got["type"] == err["type"],
            "errors.type",
            "/response/body/error/type",
            err["type"],
            got["type"],
            f"error type ({err['source']})",
        )
        expect(
            got["message"] == message,
            "errors.message",
            "/response/body/error/message",
            message,
            scrub.scrub_text(str(got["message"])),
            f"error message ({err['source']})",
        )
        return None
    facts = check_ok(model, outbound, r, replay=replay)
    reasoning = want.get("reasoning")
    if reasoning == "when_thinks_by_default" and sc.facts(model).thinks_by_default:
        reasoning_out = facts["message"].get("reasoning_content")
        expect(
            reasoning_out,
            "T2.reasoning-content",
            "/response/message/reasoning_content",
            "text",
            reasoning_out,
            "a thinking model returned no reasoning_content",
        )
    if reasoning is False:
        reasoning_out = facts["message"].get("reasoning_content")
        expect(
            not reasoning_out,
            "T2.reasoning-content",
            "/response/message/reasoning_content",
            None,
            reasoning_out,
            "thinking is off but reasoning_content came back",
        )
    if "outbound_keep" in want:
        keep = (outbound.get("thinking") or {}).get("keep")
        expect(
            keep == want["outbound_keep"],
            "T3.keep",
            "/request/thinking/keep",
            want["outbound_keep"],
            keep,
            "thinking.keep as the scenario expects",
        )
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
    expectation = sc.expectation(sid, model)
    replay = not ws.s.online
    result = ScenarioResult(steps=ws.steps, gap=expectation.get("reference", {}).get("gap"))
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
        step(sid, case, "reference", expectation.get("reference"))
        step(sid, case, "raw", expectation.get("raw"))
    elif kind == "multi_turn":
        _, _, first = step("turn 1", case, "reference", expectation["reference"])
        case2 = copy.deepcopy(case)
        case2["request"]["messages"] += [_assistant(first["message"]), {"role": "user", "content": s["follow_up"]}]
        step("turn 2", case2, "reference", expectation["reference"])
    elif kind == "tool_round_trip":
        _, r1, f1 = step("call", case, "reference", {"status": 200})
        msg = r1.json["choices"][0]["message"]
        expect(
            f1["finish_reason"] == "tool_calls" and msg.get("tool_calls"),
            "wire.tool-call",
            "/response/body/choices/0/message",
            "tool_calls",
            scrub.scrub_obj(copy.deepcopy(msg)),
            "asked to use the tool, the model answered without it",
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
        step(f"repeated id {cid}", case3, "reference", expectation.get("reference"))
        raw = expectation.get("raw")
        if raw and "error" in raw:
            raw = {**raw, "params": {"id": cid}}
        step(f"repeated id {cid} (raw)", case3, "raw", raw)
    elif kind == "web_search":
        from harness.scenarios.websearch import run_web_search

        result.cost += run_web_search(step, case, ws, s)
    else:
        raise ValueError(f"unknown scenario kind {kind!r}")
    return result
