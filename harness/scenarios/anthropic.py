"""Wire scenarios of Kimi Coding's Anthropic Messages surface (anthropic_scenarios.json).

Run through the same `WireSession` as the chat-completions scenarios (cassettes, provenance,
stale guard, budget, scrubbing); only the bodies and the checks differ: Anthropic `message`
objects, SSE events and error bodies, usage read by `harness.wire.anthropic_usage`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from harness.online.client import WireResponse
from harness.scenarios import definitions as scenarios
from harness.scenarios.chat import ScenarioResult, check_cost, expect_answered
from harness.scenarios.expect import expect, expect_schema
from harness.scenarios.session import WireSession
from harness.util import scrub

PATH = Path(__file__).with_name("anthropic_scenarios.json")
API = "anthropic-messages"


def data() -> dict[str, Any]:
    return scenarios.load(PATH)


def scenario_ids() -> list[str]:
    return [s["id"] for s in data()["scenarios"]]


def scenario(sid: str) -> dict[str, Any]:
    return scenarios.find(sid, PATH, kind="Anthropic wire")


def case_for(sid: str, model) -> dict[str, Any]:
    s = scenario(sid)
    case = copy.deepcopy(s["case"])
    case["model"] = model.ref
    case["request"].setdefault("max_tokens", data()["max_tokens"])
    if s["kind"] == "tool_round_trip":
        case["request"].setdefault("tools", [copy.deepcopy(data()["tool"])])
    return case


# ------------------------------------------------------------------------------- checks
def check_error(r: WireResponse, want: dict[str, Any]) -> None:

    expect(
        r.status == want["status"],
        "anthropic.error-status",
        "/response/status",
        want["status"],
        r.status,
        f"expected {want['status']} {want['type']}: {scrub.scrub_text(r.text[:300])}",
    )
    expect_schema("anthropic-error", r.json, "/response/body")
    got = r.json["error"]["type"]
    expect(got == want["type"], "anthropic.error-type", "/response/body/error/type", want["type"], got, "error type")


def _events_message(r: WireResponse, replay: bool) -> dict[str, Any]:
    """Validate an event stream and rebuild the message it carries."""

    types = [e.get("type") for e in r.chunks]
    for i, event in enumerate(r.chunks):
        expect_schema("anthropic-event", event, f"/response/events/{i}")
    first, last = (types[0], types[-1]) if types else (None, None)
    expect(
        first == "message_start",
        "anthropic.stream-start",
        "/response/events/0/type",
        "message_start",
        first,
        "a stream starts with message_start",
    )
    expect(
        last == "message_stop",
        "anthropic.stream-end",
        "/response/events/-1/type",
        "message_stop",
        last,
        "a stream ends with message_stop",
    )
    expect(
        "message_delta" in types,
        "anthropic.stream-delta",
        "/response/events",
        "message_delta",
        None,
        "no message_delta (stop_reason, output usage)",
    )
    if replay:
        expect(
            r.byte_chunks > 1,
            "wire.replay-event-by-event",
            "/response",
            "> 1 read",
            r.byte_chunks,
            "a replayed stream must arrive event by event, not as one blob",
        )
    msg = copy.deepcopy(r.chunks[0]["message"])
    blocks: dict[int, dict[str, Any]] = {}
    partial: dict[int, str] = {}
    open_blocks: set[int] = set()
    for n, ev in enumerate(r.chunks[1:], 1):
        t, i = ev["type"], ev.get("index")
        at = f"/response/events/{n}"
        if t == "content_block_start":
            expect(i not in blocks, "anthropic.stream-blocks", at, "a new block", i, f"content block {i} started twice")
            blocks[i] = copy.deepcopy(ev["content_block"])
            open_blocks.add(i)
        elif t == "content_block_delta":
            expect(
                i in open_blocks,
                "anthropic.stream-blocks",
                at,
                "an open block",
                i,
                f"delta for content block {i} outside its start/stop",
            )
            d = ev["delta"]
            key = {"text_delta": "text", "thinking_delta": "thinking", "signature_delta": "signature"}.get(d["type"])
            if key:
                blocks[i][key] = blocks[i].get(key, "") + d[key]
            else:
                partial[i] = partial.get(i, "") + d["partial_json"]
        elif t == "content_block_stop":
            expect(
                i in open_blocks,
                "anthropic.stream-blocks",
                at,
                "an open block",
                i,
                f"content block {i} stopped without a start",
            )
            open_blocks.discard(i)
        elif t == "message_delta":
            msg["stop_reason"] = ev["delta"]["stop_reason"]
            msg["usage"] = {**msg["usage"], **{k: v for k, v in ev["usage"].items() if v is not None}}
    expect(
        not open_blocks,
        "anthropic.stream-blocks",
        "/response/events",
        [],
        sorted(open_blocks),
        "content blocks never stopped",
    )
    for i, text in partial.items():
        blocks[i]["input"] = json.loads(text or "{}")
    msg["content"] = [blocks[i] for i in sorted(blocks)]
    return msg


def check_ok(model, outbound: dict, r: WireResponse, *, replay: bool) -> dict[str, Any]:
    from harness.wire.anthropic_usage import parse_anthropic

    want_stream = expect_answered(outbound, r)
    msg = _events_message(r, replay) if want_stream else r.json
    expect_schema("anthropic-response", msg, "/response/message")
    expect(
        msg["model"] == outbound["model"],
        "anthropic.model",
        "/response/message/model",
        outbound["model"],
        msg["model"],
        "answered by another model than asked",
    )
    usage = parse_anthropic(r.chunks if want_stream else r.json)
    expect(
        usage is not None and usage.prompt_tokens > 0,
        "T9.usage-missing",
        "/response/message/usage",
        "usage",
        None,
        "an Anthropic message always carries usage",
    )
    return {"message": msg, "usage": usage, "cost": check_cost(model, usage)}


def text(msg: dict[str, Any]) -> str:
    return "".join(b.get("text", "") for b in msg["content"] if b.get("type") == "text")


def as_openai(msg: dict[str, Any]) -> dict[str, Any]:
    """The answer as the OpenAI-shaped assistant message a case's history holds."""
    out: dict[str, Any] = {"role": "assistant", "content": text(msg)}
    thinking = "".join(b.get("thinking", "") for b in msg["content"] if b.get("type") == "thinking")
    if thinking:
        out["reasoning_content"] = thinking
    calls = [b for b in msg["content"] if b.get("type") == "tool_use"]
    if calls:
        out["tool_calls"] = [
            {"id": b["id"], "type": "function", "function": {"name": b["name"], "arguments": json.dumps(b["input"])}}
            for b in calls
        ]
    return out


# ------------------------------------------------------------------------------- run
def run(ws: WireSession, sid: str) -> ScenarioResult:
    from harness.reference import transform
    from harness.wire import schemas

    model, s = ws.model, scenario(sid)
    replay = not ws.s.online
    result = ScenarioResult(steps=ws.steps)

    def send(name: str, body: dict, key: str | None = None):
        r = ws.send(body, key=key)
        result.steps.append({"step": name, "status": r.status, "exchange": len(ws.exchanges), "cost_usd": None})
        return r

    def step(name: str, case: dict) -> dict[str, Any]:
        body = transform(case, ws.s.catalog)["body"]
        schemas.validate("anthropic-request", body)
        r = send(name, body)
        facts = check_ok(model, body, r, replay=replay)
        result.cost += facts["cost"]
        result.steps[-1]["cost_usd"] = str(facts["cost"])
        return facts

    case = case_for(sid, model)
    want = s["expect"]
    if s["kind"] == "single":
        facts = step(sid, case)
        if "text" in want:
            reply = text(facts["message"])
            expect(
                reply == want["text"],
                "wire.reply",
                "/response/message/content",
                want["text"],
                reply,
                "the reply the scenario asks for",
            )
        if want.get("thinking"):
            expect(
                any(b["type"] == "thinking" for b in facts["message"]["content"]),
                "anthropic.thinking-block",
                "/response/message/content",
                "a thinking block",
                None,
                "thinking on, no thinking block",
            )
    elif s["kind"] == "tool_round_trip":
        first = step("call", case)
        msg = first["message"]
        expect(
            msg["stop_reason"] == "tool_use" and any(b["type"] == "tool_use" for b in msg["content"]),
            "wire.tool-call",
            "/response/message",
            "tool_use",
            scrub.scrub_obj(copy.deepcopy(msg)),
            "asked to use the tool, the model answered without it",
        )
        call = as_openai(msg)
        case2 = copy.deepcopy(case)
        case2["request"]["messages"] += [call] + [
            {"role": "tool", "tool_call_id": c["id"], "content": s["tool_result"]} for c in call["tool_calls"]
        ]
        second = step("tool result -> answer", case2)
        expect(
            second["message"]["stop_reason"] == "end_turn" and text(second["message"]),
            "wire.tool-answer",
            "/response/message",
            "end_turn with text",
            second["message"]["stop_reason"],
            "no answer after the tool",
        )
    elif s["kind"] == "errors":
        body = transform(case, ws.s.catalog)["body"]
        check_error(send("moonshot key", body, key=data()["moonshot_key"]), want["moonshot_key"])
        orphan = {"type": "tool_result", "tool_use_id": "toolu_orphan", "content": "no call asked for this"}
        raw = {
            **body,
            "messages": [
                *body["messages"],
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": [orphan]},
            ],
        }
        check_error(send("orphan tool_result", raw), want["orphan_tool_result"])
    else:
        raise ValueError(f"unknown scenario kind {s['kind']!r}")
    return result
