"""Deterministic completions in the shapes of the real Moonshot captures.

Token counts are an approximation, not a tokenizer: tok(s) = ceil(len(s) / 4) characters.
prompt = 3 + per message (4 + tok(text) + tok(tool_calls json)) + 256 per image + tok(tools json);
reasoning_tokens = tok(reasoning) + 1 (end-of-thinking token) when thinking is on;
completion = reasoning_tokens + tok(content) + per tool call (tok(name) + tok(arguments) + 2) + 1.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from .rules import thinking_enabled

REPLY_EXACTLY = re.compile(r"reply exactly:\s*(.+)", re.IGNORECASE)
DEFAULT_REPLIES = (
    "Hello! This is a deterministic reply from the Moonshot emulator.",
    "Hi there. The emulator received your message and answers with fixed text.",
    "Understood. This answer comes from the local Kimi API emulator.",
)


def tok(s: str) -> int:
    return (len(s) + 3) // 4


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def text_of(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def prompt_tokens(messages: list, tools) -> int:
    n = 3 + (tok(dumps(tools)) if tools else 0)
    for m in messages:
        n += 4 + tok(text_of(m.get("content"))) + tok(str(m.get("reasoning_content") or ""))
        if m.get("tool_calls"):
            n += tok(dumps(m["tool_calls"]))
        if isinstance(m.get("content"), list):
            n += 256 * sum(1 for p in m["content"] if isinstance(p, dict) and p.get("type") == "image_url")
    return n


def example_args(schema) -> dict:
    """Arguments with a placeholder for each required property of a JSON schema."""
    props = (schema or {}).get("properties") or {}
    out = {}
    for name in (schema or {}).get("required") or []:
        p = props.get(name) or {}
        if p.get("enum"):
            out[name] = p["enum"][0]
            continue
        t = p.get("type", "string")
        t = t[0] if isinstance(t, list) else t
        out[name] = {
            "string": "example",
            "integer": 0,
            "number": 0,
            "boolean": False,
            "array": [],
            "object": {},
            "null": None,
        }.get(t, "example")
    return out


@dataclass
class Plan:
    reasoning: str | None
    content: str
    tool_calls: list = field(default_factory=list)  # [(id, name, arguments)]
    finish: str = "stop"
    reasoning_tokens: int = 0
    completion_tokens: int = 0


def plan(model: dict, body: dict, rng: random.Random) -> Plan:
    msgs, tools = body["messages"], body.get("tools") or []
    last, tc = msgs[-1], body.get("tool_choice")
    calls, content = [], ""
    if tools and tc != "none" and last.get("role") == "user":
        fns = [t.get("function") or {} for t in tools if isinstance(t, dict)]
        pinned = tc.get("function", {}).get("name") if isinstance(tc, dict) else None
        fn = next((f for f in fns if f.get("name") == pinned), fns[0] if fns else {})
        name = fn.get("name", "tool")
        # Kimi numbers native tool-call ids with a counter over the whole conversation.
        n_prev = sum(len(m.get("tool_calls") or []) for m in msgs)
        calls = [
            (
                f"{name}{model['tool_id_sep']}{n_prev}",
                name,
                json.dumps(example_args(fn.get("parameters")), ensure_ascii=False),
            )
        ]
        reasoning = f"The user wants me to call the {name} tool. I should do that."
    elif last.get("role") == "tool":
        snippet = text_of(last.get("content"))[:60]
        content = f"The tool returned: {snippet}"
        reasoning = "The tool result is available. I will report it briefly."
    else:
        m = REPLY_EXACTLY.search(text_of(last.get("content")))
        if m:
            content = m.group(1).splitlines()[0].strip()
            reasoning = f'The user wants me to reply with exactly "{content}". I should comply.'
        else:
            content = rng.choice(DEFAULT_REPLIES)
            reasoning = "The user sent a message. I will answer with a short, friendly reply."
    think = thinking_enabled(model, body)
    p = Plan(reasoning if think else None, content, calls, "tool_calls" if calls else "stop")
    p.reasoning_tokens = tok(reasoning) + 1 if think else 0
    out = tok(content) + sum(tok(n) + tok(a) + 2 for _, n, a in calls)
    p.completion_tokens = p.reasoning_tokens + out + 1
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    if isinstance(limit, int) and 0 < limit < p.completion_tokens:
        truncate(p, limit)
    return p


def truncate(p: Plan, limit: int) -> None:
    """Cut reasoning first, then content; a cut answer drops its tool calls."""
    r = min(p.reasoning_tokens, limit)
    if p.reasoning is not None:
        p.reasoning = p.reasoning[: r * 4]
        p.reasoning_tokens = r
    p.content = p.content[: (limit - r) * 4]
    p.tool_calls, p.finish, p.completion_tokens = [], "length", limit


def usage(model: dict, prompt: int, completion: int, reasoning: int | None, cached: int) -> dict:
    u: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    style = model.get("usage_style", "plain")
    if style in ("cached_top", "full") and cached:
        u["cached_tokens"] = cached
    if style == "full":
        if reasoning is not None:
            u["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        if cached:
            u["prompt_tokens_details"] = {"cached_tokens": cached}
    return u


def completion_id(model: dict, created: int, digest: str) -> str:
    if model.get("id_style") == "uuid9":  # kimi-k3 captures: 8-4-4-4-12, third group '9xxx'
        h = digest
        return f"chatcmpl-{h[:8]}-{h[8:12]}-9{h[13:16]}-{h[16:20]}-{h[20:32]}"
    return f"chatcmpl-{created:08x}{digest[:16]}"


def fingerprint(model: dict, seed: int) -> str:
    return "fpv0_" + hashlib.sha256(f"{seed}|{model['id']}".encode()).hexdigest()[:8]


class Completion:
    """One answered request: plans for each of the n choices plus ids and usage."""

    def __init__(self, model: dict, body: dict, *, seed: int, created: int, seq: int, cached: int):
        self.model, self.body, self.created, self.seed = model, body, created, seed
        digest = hashlib.sha256(f"{seed}|{seq}|{dumps(body)}".encode()).hexdigest()
        self.id = completion_id(model, created, digest)
        self.rng = random.Random(digest)
        n = body["n"] if isinstance(body.get("n"), int) and body["n"] > 0 else 1
        self.plans = [plan(model, body, random.Random(f"{digest}|{i}")) for i in range(n)]
        self.prompt = prompt_tokens(body["messages"], body.get("tools"))
        self.cached = min(cached, self.prompt)

    def _usage(self, plans: list[Plan]) -> dict:
        think = plans[0].reasoning is not None
        return usage(
            self.model,
            self.prompt,
            sum(p.completion_tokens for p in plans),
            sum(p.reasoning_tokens for p in plans) if think else None,
            self.cached,
        )

    def to_json(self) -> dict:
        choices = []
        for i, p in enumerate(self.plans):
            msg: dict[str, Any] = {"role": "assistant", "content": p.content}
            if p.reasoning is not None:
                msg["reasoning_content"] = p.reasoning
            if p.tool_calls:
                msg["tool_calls"] = [
                    {"index": k, "id": cid, "type": "function", "function": {"name": n, "arguments": a}}
                    for k, (cid, n, a) in enumerate(p.tool_calls)
                ]
            choices.append({"index": i, "message": msg, "finish_reason": p.finish})
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model["id"],
            "choices": choices,
            "usage": self._usage(self.plans),
        }

    def _chunk(self, choices: list, trailing: bool = False, **extra) -> dict:
        c = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model["id"],
            "choices": choices,
            **extra,
        }
        fp = self.model.get("stream_fp", "none")
        if fp == "all" or (fp == "not_trailing" and not trailing):
            c["system_fingerprint"] = fingerprint(self.model, self.seed)
        return c

    def chunks(self) -> list[dict]:
        out = []
        for i, p in enumerate(self.plans):

            def delta(d: dict, finish=None, *, _index: int = i, **extra):
                out.append(self._chunk([{"index": _index, "delta": d, "finish_reason": finish, **extra}]))

            delta({"role": "assistant", "content": ""})
            if p.reasoning is not None:
                for piece in split_text(p.reasoning, self.rng):
                    delta({"reasoning_content": piece})
                delta({"reasoning_content": ""})  # the captures close reasoning with an empty delta
            for piece in split_text(p.content, self.rng):
                delta({"content": piece})
            for k, (cid, name, args) in enumerate(p.tool_calls):
                delta(
                    {
                        "tool_calls": [
                            {"index": k, "id": cid, "type": "function", "function": {"name": name, "arguments": ""}}
                        ]
                    }
                )
                for frag in split_json(args):
                    delta({"tool_calls": [{"index": k, "function": {"arguments": frag}}]})
            delta({}, p.finish, usage=self._usage([p]))
        if (self.body.get("stream_options") or {}).get("include_usage") is True:
            out.append(self._chunk([], trailing=True, usage=self._usage(self.plans)))
        return out


def split_text(text: str, rng: random.Random) -> list[str]:
    words = re.findall(r"\s*\S+|\s+", text)
    pieces, i = [], 0
    while i < len(words):
        k = rng.randint(1, 3)
        pieces.append("".join(words[i : i + k]))
        i += k
    return pieces


def split_json(s: str) -> list[str]:
    return re.findall(r"\s*[A-Za-z0-9_.\-]+|\s*[^A-Za-z0-9_.\s\-]+", s) or ([s] if s else [])
