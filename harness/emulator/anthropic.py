"""Kimi Coding's Anthropic Messages surface in the emulator: POST /coding/v1/messages and
POST /coding/v1/messages/count_tokens.

Assumed shapes (no capture of this surface exists; rules.json "anthropic"): Anthropic's `message`
object, its SSE events (message_start, content_block_start/delta/stop, message_delta,
message_stop; `event:` line + `data:` JSON) and error bodies `{type: error, error: {type, message}}`.
Auth: a Kimi Coding key in `x-api-key` or as `Authorization: Bearer` (what Kimi's own Claude Code
setup and the official `anthropic` client send; docs/contract.md#d6); both at once with different
keys, or a Moonshot key, is a 401. With `require_agent_user_agent` (off by default; unconfirmed
field evidence) a User-Agent that is not Claude Code's is a 403. Answers are deterministic:
a tool_use when tools are offered on a fresh user turn (the pinned tool, else the first), a report
of the tool result after tool_result blocks, "Reply exactly: X" -> X, else a fixed reply; a
thinking block first when `thinking.type` is enabled. Token counts use responses.tok.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from . import rules
from .responses import (
    DEFAULT_REPLIES,
    REPLY_EXACTLY,
    dumps,
    example_args,
    split_text,
    tok,
)

SERVICE = "kimi-coding"
JSON = {"Content-Type": "application/json; charset=utf-8"}


def _spec() -> dict[str, Any]:
    return rules.load_rules()["anthropic"]


def error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def _error(kind: str, **params: Any) -> tuple[int, dict, bytes]:
    e = _spec()["errors"][kind]
    message = e["message"]
    for k, v in params.items():  # fill known placeholders only (caller text may hold braces)
        message = message.replace("{" + k + "}", str(v))
    return e["status"], JSON, dumps(error_body(e["type"], message)).encode()


def _converted(status: int, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
    """A Moonshot-shaped error (rate limit, injected) in Anthropic's shape, same status and text."""
    import json

    inner = (json.loads(body) or {}).get("error") or {}
    etype = _spec()["status_types"].get(str(status), "api_error")
    return (
        status,
        {**JSON, **{k: v for k, v in headers.items() if k.lower() == "retry-after"}},
        dumps(error_body(etype, inner.get("message") or etype)).encode(),
    )


def _shape_error(body: Any, count: bool = False) -> str | None:
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    mt = body.get("max_tokens")
    if not count and (not isinstance(mt, int) or isinstance(mt, bool) or mt < 1):  # count_tokens takes none
        return "max_tokens: Field required"
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return "messages: at least one message is required"
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        if i and isinstance(m.get("content"), list):
            prev = msgs[i - 1].get("content")
            calls = (
                {b.get("id") for b in prev if isinstance(b, dict) and b.get("type") == "tool_use"}
                if isinstance(prev, list)
                else set()
            )
            for b in m["content"]:
                if isinstance(b, dict) and b.get("type") == "tool_result" and b.get("tool_use_id") not in calls:
                    return (
                        f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{b.get('tool_use_id')}. Each `tool_result` block must have a corresponding "
                        "`tool_use` block in the previous message."
                    )
    return None


def _agent_refused(headers: dict) -> bool:
    ua = rules.header(headers, "user-agent") or ""
    return not any(ua.startswith(p) for p in _spec()["agent_user_agent"]["prefixes"])


def handle(
    emu, method: str, headers: dict, body: Any, occurrence: int = 0, count: bool = False
) -> tuple[int, dict, Any]:
    """(status, headers, body bytes | list of SSE event bytes) for one request; `count`: the
    count_tokens route. `occurrence` (how often this exact request was seen) varies ids instead of
    arrival order: stable re-recordings."""
    refused = rules.check_auth(headers, emu.api_keys, emu.revoked_keys, SERVICE, anthropic=True)
    if refused:
        return refused[0], JSON, dumps(refused[1]).encode()
    key, _ = rules.anthropic_key(headers)
    assert key is not None  # check_auth accepted it
    if getattr(emu, "require_agent_user_agent", False) and _agent_refused(headers):
        return _error("agent_user_agent")
    if method != "POST":
        route = "/v1/messages/count_tokens" if count else "/v1/messages"
        return _error("invalid", detail=f"{method} {route}: method not allowed")
    with emu._lock:
        injected = emu._injected.popleft() if emu._injected else None
    if injected:
        status, _etype, template, retry = injected
        values = {**rules.account_ids(key), "rpm": emu.rpm or 3, "retry_after": emu.retry_after}
        for k, v in values.items():
            template = template.replace("{" + k + "}", str(v))
        extra = {"Retry-After": str(retry)} if retry is not None else {}
        etype = _spec()["status_types"].get(str(status), "api_error")
        return status, {**JSON, **extra}, dumps(error_body(etype, template)).encode()
    limited = emu._rate_limit(key)
    if limited:
        return _converted(limited.status, limited.headers, limited.body)
    problem = _shape_error(body, count)
    if problem:
        return _error("invalid", detail=problem)
    model = rules.load_models(SERVICE).get(body["model"])
    if model is None or model.get("retired"):
        return _error("model_not_found", model=body["model"])
    if count:  # Anthropic's count_tokens answer: the input_tokens a message for this body reports
        return 200, JSON, dumps({"input_tokens": input_tokens(body)}).encode()
    msg = message(model, body, seed=emu.seed, seq=occurrence)
    if body.get("stream") is True:
        return 200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}, events(msg, seed=emu.seed)
    return 200, JSON, dumps(msg).encode()


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text")


def input_tokens(body: dict) -> int:
    n = 3 + tok(dumps(body.get("tools"))) if body.get("tools") else 3
    n += tok(body["system"] if isinstance(body.get("system"), str) else dumps(body.get("system") or ""))
    for m in body["messages"]:
        c = m.get("content")
        n += 4 + tok(c if isinstance(c, str) else dumps(c))
    return n


def message(model: dict, body: dict, *, seed: int, seq: int) -> dict[str, Any]:
    digest = hashlib.sha256(f"{seed}|{seq}|{dumps(body)}".encode()).hexdigest()
    rng = random.Random(digest)
    last = body["messages"][-1]
    content = last.get("content")
    results = (
        [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
        if isinstance(content, list)
        else []
    )
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("name")]
    tc = body.get("tool_choice") or {}
    blocks: list[dict[str, Any]] = []
    stop = "end_turn"
    if tools and tc.get("type") != "none" and last.get("role") == "user" and not results:
        tool = next((t for t in tools if t["name"] == tc.get("name")), tools[0])
        blocks.append(
            {
                "type": "tool_use",
                "id": f"toolu_{digest[:24]}",
                "name": tool["name"],
                "input": example_args(tool.get("input_schema")),
            }
        )
        reasoning, stop = f"The user wants me to call the {tool['name']} tool.", "tool_use"
    elif results:
        text = f"The tool returned: {_text(results[-1].get('content'))[:60]}"
        blocks.append({"type": "text", "text": text})
        reasoning = "The tool result is available. I will report it briefly."
    else:
        m = REPLY_EXACTLY.search(_text(content))
        text = m.group(1).splitlines()[0].strip() if m else rng.choice(DEFAULT_REPLIES)
        blocks.append({"type": "text", "text": text})
        reasoning = "The user sent a message. I will answer briefly."
    if (body.get("thinking") or {}).get("type") == "enabled":
        signature = hashlib.sha256(f"sig|{digest}".encode()).hexdigest()[:32]
        blocks.insert(0, {"type": "thinking", "thinking": reasoning, "signature": signature})
    out = sum(tok(b.get("text") or b.get("thinking") or dumps(b.get("input"))) for b in blocks) + 1
    if out > body["max_tokens"]:
        blocks = [b for b in blocks if b["type"] != "tool_use"] or [{"type": "text", "text": ""}]
        for b in blocks:
            field = "thinking" if b["type"] == "thinking" else "text"
            b[field] = b[field][: body["max_tokens"] * 4]
        out, stop = body["max_tokens"], "max_tokens"
    return {
        "id": f"msg_{digest[24:48]}",
        "type": "message",
        "role": "assistant",
        "model": model["id"],
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens(body),
            "output_tokens": out,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def _event(obj: dict[str, Any]) -> bytes:
    return f"event: {obj['type']}\ndata: {dumps(obj)}\n\n".encode()


def events(msg: dict[str, Any], *, seed: int = 0) -> list[bytes]:
    """The message as Anthropic's SSE event sequence, one event per element."""
    rng = random.Random(f"{seed}|{msg['id']}")
    start = {
        **msg,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**msg["usage"], "output_tokens": 1},
    }
    out = [_event({"type": "message_start", "message": start}), _event({"type": "ping"})]
    for i, b in enumerate(msg["content"]):
        if b["type"] == "text":
            out.append(
                _event({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}})
            )
            out += [
                _event({"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": p}})
                for p in split_text(b["text"], rng)
            ]
        elif b["type"] == "thinking":
            out.append(
                _event(
                    {
                        "type": "content_block_start",
                        "index": i,
                        "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                    }
                )
            )
            out += [
                _event({"type": "content_block_delta", "index": i, "delta": {"type": "thinking_delta", "thinking": p}})
                for p in split_text(b["thinking"], rng)
            ]
            out.append(
                _event(
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "signature_delta", "signature": b["signature"]},
                    }
                )
            )
        else:
            out.append(_event({"type": "content_block_start", "index": i, "content_block": {**b, "input": {}}}))
            out.append(
                _event(
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": dumps(b["input"])},
                    }
                )
            )
        out.append(_event({"type": "content_block_stop", "index": i}))
    out.append(
        _event(
            {
                "type": "message_delta",
                "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": msg["usage"]["output_tokens"]},
            }
        )
    )
    out.append(_event({"type": "message_stop"}))
    return out
