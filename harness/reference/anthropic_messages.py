"""The reference for Kimi Coding's Anthropic Messages surface: a case -> `POST {base}/v1/messages`.

[oc] OpenClaw's Kimi Coding plugin speaks Anthropic Messages to https://api.kimi.com/coding/ with
`x-api-key`, `anthropic-version` and `User-Agent: claude-code/0.1.0` (docs/contract.md#kimi-coding-anthropic; the headers are
catalog data, endpoint `messages`). pi-ai 0.73.1's `kimi-coding` provider uses the same surface
(providers/anthropic.js); where the documents are silent the reference follows that code:

- every `system` / `developer` message is lifted out into the top-level `system` (texts joined by a
  blank line); Anthropic has no system role in `messages`;
- tools `{type: function, function: {name, description, parameters}}` -> `{name, description,
  input_schema}` (an absent schema becomes an empty object schema); other tool objects pass unchanged;
- an assistant turn with tool calls or reasoning becomes blocks: `thinking` (its `reasoning_content`;
  an OpenAI-shaped history has no signature, so it is ""), `text`, `tool_use` (arguments parsed);
- consecutive `tool` messages become one user turn of `tool_result` blocks, each naming its call;
- tool-call ids are reduced to Anthropic's id alphabet `[A-Za-z0-9_-]` (at most 64 characters),
  the same function on calls and results so pairs stay intact;
- `tool_choice`: auto/none -> {type}, required -> {type: any}, a pinned function -> {type: tool, name};
- thinking (a configured setting wins over the level, else the request's own; as T2): enabled ->
  `{type: enabled, budget_tokens}` with pi-ai's per-level budgets added on top of the output budget
  (capped by the model's max output), disabled -> `{type: disabled}`. Under thinking Anthropic
  forbids `temperature` (dropped) and a forced tool choice: `any` -> `auto`, a pinned tool keeps the
  pin and turns thinking off (T4's rule on this surface, D2);
- `max_tokens` is always present (Anthropic requires it): the caller's, else min(model max, 32000);
- `temperature` is clamped to Anthropic's range 0..1 (a caller's OpenAI-range 1.3 would be a 400:
  the principle of docs/contract.md#decisions, a conformant request is one the upstream accepts);
- `stop` -> `stop_sequences`; `top_p`, `top_k`, `metadata`, `stream` pass; OpenAI-only fields
  (`n`, penalties, `seed`, `logprobs`, `store`, `reasoning_effort`, `stream_options`, ...) are not
  Messages fields and are not sent. Message content is opaque (D5): strings and parts pass as they are,
  image_url parts become image blocks.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from harness.contract.intended import intended_body
from harness.contract.thinking import configured_type, level_type

RULE = "anthropic"
KEY_PLACEHOLDER = "<redacted>"
DEFAULT_HEADERS = {"anthropic-version": "2023-06-01"}
# pi-ai 0.73.1 providers/simple-options.js: thinking budgets per level (xhigh clamps to high).
BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 16384}
DEFAULT_BUDGET = 1024  # pi-ai's `thinkingBudgetTokens || 1024`; Anthropic's minimum
MAX_TOKENS_CAP = 32000  # pi-ai buildBaseOptions: min(model.maxTokens, 32000)
PASS_FIELDS = ("top_p", "top_k", "metadata", "stop_sequences", "stream")
_ID_BAD = re.compile(r"[^A-Za-z0-9_-]")


def tool_id(raw: Any) -> str:
    """A tool-call id in Anthropic's alphabet (^[a-zA-Z0-9_-]+$, at most 64 characters)."""
    out = _ID_BAD.sub("_", str(raw))[:64]
    return out or "_"


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _part(part: Any) -> Any:
    if not isinstance(part, dict) or part.get("type") != "image_url":
        return copy.deepcopy(part)
    iu = part.get("image_url")
    url = iu.get("url", "") if isinstance(iu, dict) else str(iu or "")
    m = re.match(r"^data:([^;,]+);base64,(.*)$", url, re.DOTALL)
    if m:
        return {"type": "image", "source": {"type": "base64", "media_type": m.group(1), "data": m.group(2)}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _content(content: Any) -> Any:
    if isinstance(content, list):
        return [_part(p) for p in content]
    return "" if content is None else content


def _arguments(raw: Any) -> Any:
    if isinstance(raw, dict):
        return copy.deepcopy(raw)
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except ValueError:
        return {"_raw_arguments": raw}  # kept, not invented: the upstream decides what to make of it
    return value if isinstance(value, dict) else {"_raw_arguments": raw}


def _assistant(m: dict[str, Any]) -> dict[str, Any]:
    calls = m.get("tool_calls") or []
    reasoning = m.get("reasoning_content")
    if not calls and not (isinstance(reasoning, str) and reasoning):
        return {"role": "assistant", "content": _content(m.get("content"))}
    blocks: list[Any] = []
    if isinstance(reasoning, str) and reasoning:
        blocks.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    content = m.get("content")
    if isinstance(content, list):
        blocks += [_part(p) for p in content]
    elif isinstance(content, str) and content:
        blocks.append({"type": "text", "text": content})
    for call in calls:
        fn = call.get("function") or {}
        blocks.append(
            {
                "type": "tool_use",
                "id": tool_id(call.get("id")),
                "name": fn.get("name"),
                "input": _arguments(fn.get("arguments")),
            }
        )
    return {"role": "assistant", "content": blocks}


def convert_messages(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    system: list[str] = []
    out: list[dict[str, Any]] = []
    results: list[dict[str, Any]] | None = None  # the open user turn of tool results
    for m in messages:
        role = m.get("role")
        if role != "tool":
            results = None
        if role in ("system", "developer"):
            system.append(text_of(m.get("content")))
        elif role == "assistant":
            out.append(_assistant(m))
        elif role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": tool_id(m.get("tool_call_id")),
                "content": _content(m.get("content")),
            }
            if results is None:
                results = []
                out.append({"role": "user", "content": results})
            results.append(block)
        else:
            out.append({"role": "user", "content": _content(m.get("content"))})
    return ("\n\n".join(system) if system else None), out


def convert_tools(tools: list[Any]) -> list[Any]:
    out = []
    for t in tools:
        fn = t.get("function") if isinstance(t, dict) and t.get("type") == "function" else None
        if not isinstance(fn, dict):
            out.append(copy.deepcopy(t))
            continue
        tool: dict[str, Any] = {"name": fn.get("name")}
        if fn.get("description") is not None:
            tool["description"] = fn["description"]
        tool["input_schema"] = copy.deepcopy(fn.get("parameters") or {"type": "object", "properties": {}})
        out.append(tool)
    return out


def convert_tool_choice(tc: Any) -> Any:
    if isinstance(tc, str):
        return {"type": "any"} if tc == "required" else {"type": tc}
    if isinstance(tc, dict) and tc.get("type") == "function":
        return {"type": "tool", "name": (tc.get("function") or {}).get("name")}
    return copy.deepcopy(tc)


def _wanted_thinking(case: dict[str, Any], body: dict[str, Any]) -> tuple[str | None, int]:
    configured = (case.get("params") or {}).get("thinking")
    level = case.get("thinking")
    wanted = configured_type(configured) or level_type(level)
    own = body.get("thinking")
    if wanted is None and isinstance(own, dict) and own.get("type") in ("enabled", "disabled"):
        wanted = own["type"]
    budget = BUDGETS.get(level or "", 0) if configured_type(configured) is None else 0
    if not budget:
        asked = own.get("budget_tokens") if isinstance(own, dict) else None
        budget = (
            asked
            if isinstance(asked, int) and not isinstance(asked, bool) and asked >= DEFAULT_BUDGET
            else DEFAULT_BUDGET
        )
    return wanted, budget


def build_body(case: dict[str, Any], ctx) -> dict[str, Any]:
    src = intended_body(case, ctx)  # request + configured params + extra body (T6b), OpenAI-shaped
    body: dict[str, Any] = {"model": ctx.model.id}
    system, messages = convert_messages(src.get("messages") or [])
    if src.get("system") is not None:  # an Anthropic-native system from the extra body
        system = src["system"] if system is None else system
    if system is not None:
        body["system"] = system
    body["messages"] = messages
    limit = next((src[k] for k in ("max_tokens", "max_completion_tokens") if isinstance(src.get(k), int)), None)
    body["max_tokens"] = limit if limit is not None else min(ctx.model.data["maxTokens"], MAX_TOKENS_CAP)
    if src.get("tools"):
        body["tools"] = convert_tools(src["tools"])
    tc = src.get("tool_choice")
    if tc is not None and body.get("tools"):
        body["tool_choice"] = convert_tool_choice(tc)
    wanted, budget = _wanted_thinking(case, src)
    if wanted == "enabled" and (body.get("tool_choice") or {}).get("type") == "tool":
        wanted = "disabled"  # a pinned tool is kept; thinking gives way (T4 on this surface)
    if wanted == "enabled":
        if case.get("thinking") in BUDGETS and configured_type((case.get("params") or {}).get("thinking")) is None:
            body["max_tokens"] = min(body["max_tokens"] + budget, ctx.model.data["maxTokens"])
        if body["max_tokens"] <= budget:
            budget = body["max_tokens"] - 1024  # pi-ai: leave 1024 visible output tokens
        if budget < DEFAULT_BUDGET:
            wanted = "disabled"  # no room for Anthropic's minimum budget
    if wanted == "enabled":
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        if (body.get("tool_choice") or {}).get("type") == "any":
            body["tool_choice"] = {"type": "auto"}
    elif wanted == "disabled":
        body["thinking"] = {"type": "disabled"}
    temperature = src.get("temperature")
    if isinstance(temperature, (int, float)) and not isinstance(temperature, bool) and wanted != "enabled":
        body["temperature"] = min(max(temperature, 0), 1)  # OpenAI's 0..2 scale, Anthropic's 0..1
    stop = src.get("stop")
    if stop is not None and "stop_sequences" not in src:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else copy.deepcopy(stop)
    for key in PASS_FIELDS:
        if key in src and src[key] is not None:
            body[key] = copy.deepcopy(src[key])
    return body


def headers(ctx) -> dict[str, str]:
    endpoint = ctx.model.provider.endpoint_for(ctx.base_url)
    return {
        "x-api-key": KEY_PLACEHOLDER,
        **DEFAULT_HEADERS,
        **(endpoint.get("headers") or {}),
        "content-type": "application/json",
    }


def transform(case: dict[str, Any], ctx) -> dict[str, Any]:
    return {"method": "POST", "url": ctx.url, "headers": headers(ctx), "body": build_body(case, ctx)}
