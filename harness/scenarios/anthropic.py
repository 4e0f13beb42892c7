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
from harness.scenarios.chat import ScenarioResult, check_cost
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
    from harness.wire import schemas

    assert r.status == want["status"], (
        f"expected {want['status']} {want['type']}, got {r.status}: {scrub.scrub_text(r.text[:300])}"
    )
    schemas.validate("anthropic-error", r.json)
    assert r.json["error"]["type"] == want["type"], f"error type {r.json['error']['type']} != {want['type']}"


def _events_message(r: WireResponse, replay: bool) -> dict[str, Any]:
    """Validate an event stream and rebuild the message it carries."""
    from harness.wire import schemas

    types = [e.get("type") for e in r.chunks]
    for i, event in enumerate(r.chunks):
        try:
            schemas.validate("anthropic-event", event)
        except schemas.WireSchemaError as e:
            raise AssertionError(f"event {i}: {e}") from None
    assert types and types[0] == "message_start", f"a stream starts with message_start, got {types[:1]}"
    assert types[-1] == "message_stop", f"a stream ends with message_stop, got {types[-1:]}"
    assert "message_delta" in types, "no message_delta (stop_reason, output usage)"
    if replay:
        assert r.byte_chunks > 1, "a replayed stream must arrive event by event, not as one blob"
    msg = copy.deepcopy(r.chunks[0]["message"])
    blocks: dict[int, dict[str, Any]] = {}
    partial: dict[int, str] = {}
    open_blocks: set[int] = set()
    for ev in r.chunks[1:]:
        t, i = ev["type"], ev.get("index")
        if t == "content_block_start":
            assert i not in blocks, f"content block {i} started twice"
            blocks[i] = copy.deepcopy(ev["content_block"])
            open_blocks.add(i)
        elif t == "content_block_delta":
            assert i in open_blocks, f"delta for content block {i} outside its start/stop"
            d = ev["delta"]
            key = {"text_delta": "text", "thinking_delta": "thinking", "signature_delta": "signature"}.get(d["type"])
            if key:
                blocks[i][key] = blocks[i].get(key, "") + d[key]
            else:
                partial[i] = partial.get(i, "") + d["partial_json"]
        elif t == "content_block_stop":
            assert i in open_blocks, f"content block {i} stopped without a start"
            open_blocks.discard(i)
        elif t == "message_delta":
            msg["stop_reason"] = ev["delta"]["stop_reason"]
            msg["usage"] = {**msg["usage"], **{k: v for k, v in ev["usage"].items() if v is not None}}
    assert not open_blocks, f"content blocks never stopped: {sorted(open_blocks)}"
    for i, text in partial.items():
        blocks[i]["input"] = json.loads(text or "{}")
    msg["content"] = [blocks[i] for i in sorted(blocks)]
    return msg


def check_ok(model, outbound: dict, r: WireResponse, *, replay: bool) -> dict[str, Any]:
    from harness.wire import schemas
    from harness.wire.anthropic_usage import parse_anthropic

    assert r.status == 200, f"expected 200, got {r.status}: {scrub.scrub_text(r.text[:500])}"
    want_stream = outbound.get("stream") is True
    assert r.streamed == want_stream, f"stream={want_stream} but content-type {r.headers.get('content-type')!r}"
    msg = _events_message(r, replay) if want_stream else r.json
    schemas.validate("anthropic-response", msg)
    assert msg["model"] == outbound["model"], f"answered by {msg['model']}, asked {outbound['model']}"
    usage = parse_anthropic(r.chunks if want_stream else r.json)
    assert usage is not None and usage.prompt_tokens > 0, "an Anthropic message always carries usage"
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
            assert text(facts["message"]) == want["text"], f"reply {text(facts['message'])!r} != {want['text']!r}"
        if want.get("thinking"):
            assert any(b["type"] == "thinking" for b in facts["message"]["content"]), "thinking on, no thinking block"
    elif s["kind"] == "tool_round_trip":
        first = step("call", case)
        msg = first["message"]
        assert msg["stop_reason"] == "tool_use" and any(b["type"] == "tool_use" for b in msg["content"]), (
            f"asked to use the tool, the model answered {scrub.scrub_text(repr(msg))}"
        )
        call = as_openai(msg)
        case2 = copy.deepcopy(case)
        case2["request"]["messages"] += [call] + [
            {"role": "tool", "tool_call_id": c["id"], "content": s["tool_result"]} for c in call["tool_calls"]
        ]
        second = step("tool result -> answer", case2)
        assert second["message"]["stop_reason"] == "end_turn" and text(second["message"]), "no answer after the tool"
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
