"""The direct Node reproductions of a bug report (harness.reporting.bug_repro): pi-ai and the Vercel AI
SDK called through their public API in a short file — `streamSimple(model, context, options)` from
`@mariozechner/pi-ai`; `generateText` / `streamText` on `createMoonshotAI(...)(modelId)` from
`@ai-sdk/moonshotai` and `ai` — with the minimal case written as the library's own inputs (literals
filled into bug_repro_pi_ai.mjs / bug_repro_vercel_ai.mjs) and the request going to the loopback
capture of bug_repro_loopback.mjs.

The inputs are those the target's worker builds (harness/targets/node/<target>/worker.mjs and
_shared/pi-context.mjs), for the shapes written here; a case with another feature raises `Fallback`
(the reason) and keeps the worker-based file. The reproduction tests
(tests/reporting/test_bug_report.py) hold both to the value the entry pins, so a mapping here that
drifts from the worker's fails there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PI_AI_TEMPLATE = Path(__file__).with_name("bug_repro_pi_ai.mjs")
VERCEL_AI_TEMPLATE = Path(__file__).with_name("bug_repro_vercel_ai.mjs")
REPRO_KEY = "repro-not-a-key"  # the loopback server never checks it; no real key is ever read
Direct = tuple[Path, dict[str, str], str]  # the template, its markers' JavaScript, the op the file prints


def js(value: Any) -> str:
    """A JSON value as JavaScript source (JSON is a JavaScript expression)."""
    return json.dumps(value, ensure_ascii=False, indent=2)


class Fallback(Exception):
    """The case has a feature the direct file does not write as public-API code (the message says which)."""


def _given(value: Any) -> bool:
    return value is not None  # JavaScript's `??` / `!= null`: null and absent are alike


def _text_of(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return "".join(str(p.get("text", "")) for p in content)
    raise Fallback(f"{where} has non-text content parts")


def _pi_user(content: Any, where: str) -> Any:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and set(p) == {"type", "text"} for p in content):
        return [{"type": "text", "text": p["text"]} for p in content if p["type"] == "text"]
    raise Fallback(f"{where} has image or other non-text parts")


_PI_ZERO_USAGE: dict[str, Any] = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 0}
_PI_ZERO_USAGE["cost"] = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": 0}


def _pi_context(request: dict[str, Any]) -> dict[str, Any]:
    """request.messages / tools -> pi-ai's Context (the worker's pi-context converters)."""
    system, out, names, ts = None, [], {}, 1
    for i, m in enumerate(request.get("messages") or []):
        where, role = f"messages[{i}]", m.get("role")
        if role in ("system", "developer"):
            system = _text_of(m.get("content"), where)
        elif role == "user":
            out.append({"role": "user", "content": _pi_user(m.get("content"), where), "timestamp": ts})
        elif role == "assistant":
            content: list[dict[str, Any]] = []
            if _given(m.get("reasoning_content")):
                content.append(
                    {"type": "thinking", "thinking": m["reasoning_content"], "thinkingSignature": "reasoning_content"}
                )
            if text := _text_of(m.get("content"), where):
                content.append({"type": "text", "text": text})
            for tc in m.get("tool_calls") or []:
                args = tc["function"].get("arguments")
                args = json.loads(args or "{}") if isinstance(args, str) or args is None else args
                call = {"type": "toolCall", "id": tc.get("id"), "name": tc["function"].get("name"), "arguments": args}
                content.append({k: v for k, v in call.items() if _given(v)})
                names[tc.get("id")] = tc["function"].get("name")
            stop = "toolUse" if m.get("tool_calls") else "stop"
            out.append(
                {"role": "assistant", "content": content, "usage": _PI_ZERO_USAGE, "stopReason": stop, "timestamp": ts}
            )
        else:  # tool (the driver lets no other role through)
            result = {
                "role": "toolResult",
                "toolCallId": m.get("tool_call_id"),
                "toolName": m.get("name") or names.get(m.get("tool_call_id")) or "tool",
                "content": [{"type": "text", "text": _text_of(m.get("content"), where)}],
                "isError": False,
                "timestamp": ts,
            }
            out.append({k: v for k, v in result.items() if _given(v)})
        ts += role not in ("system", "developer")
    context: dict[str, Any] = {"messages": out}
    if system is not None:
        context["systemPrompt"] = system
    if _given(request.get("tools")):
        context["tools"] = [
            {
                "name": f["name"],
                **({"description": f["description"]} if "description" in f else {}),
                "parameters": f["parameters"] if _given(f.get("parameters")) else {"type": "object", "properties": {}},
            }
            for f in (t["function"] for t in request["tools"])
        ]
    return context


_PI_NATIVE = "https://api.moonshot.ai/v1"
_PI_REGISTRY = {_PI_NATIVE: "moonshotai", "https://api.moonshot.cn/v1": "moonshotai-cn"}  # pi-ai's getModel providers
_PI_OPTIONS = {"temperature": "temperature", "max_tokens": "maxTokens", "max_completion_tokens": "maxTokens"}
_PI_HANDLED = {"model", "messages", "tools", "stream", "stream_options", "tool_choice", *_PI_OPTIONS}


def pi_ai(entry_id: str, message: dict[str, Any]) -> Direct:
    """pi-ai's `streamSimple(model, context, options)` with the inputs the pi-ai worker builds."""
    case = message.get("case") or {}
    usage = message.get("op") == "usage"
    if usage:  # the usage op's case (protocol.mjs usageResult): a plain call priced at the catalog's rates
        hi = [{"role": "user", "content": "hi"}]
        case = {
            "model": f"moonshot/{message.get('model') or 'kimi-k2.6'}",
            "request": {"messages": hi},
            "__cost": message.get("cost"),
        }
    ref_provider, _, model_id = str(case["model"]).partition("/")
    prov, request = case.get("provider") or {}, case.get("request") or {}
    level = case.get("thinking")
    kimi = ref_provider in ("kimi", "kimi-coding")
    base = str(prov.get("baseUrl") or _PI_NATIVE).rstrip("/")
    compat = prov.get("compat")  # JavaScript truthiness: {} is a compat too
    own = not _given(compat) and (prov.get("id") or "moonshot") == "moonshot"
    registry = "kimi-coding" if kimi else _PI_REGISTRY.get(base) if own else None
    cost = {"cost": case["__cost"]} if _given(case.get("__cost")) else {}
    if registry:
        model = f"{{ ...getModel({js(registry)}, {js(model_id)}){', cost: ' + js(cost['cost']) if cost else ''} }}"
    else:  # the Model object a pi-ai user writes: the catalog's facts of the model (case.__row), the case's compat
        row = case.get("__row") or {}

        def fact(key: str, default: Any) -> Any:
            return row[key] if _given(row.get(key)) else default

        zero = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0}
        fields = {
            "id": model_id,
            "name": fact("name", model_id),
            "api": "openai-completions",
            "provider": prov.get("id") or "moonshot",
            "baseUrl": base,
            "reasoning": fact("reasoning", True),
            "input": fact("input", ["text", "image"]),
            "cost": cost.get("cost") or fact("cost", zero),
            "contextWindow": fact("contextWindow", 262144),
            "maxTokens": fact("maxTokens", 262144),
            **({"compat": compat} if _given(compat) else {}),
        }
        model = js(fields)
    options: dict[str, Any] = {"apiKey": REPRO_KEY, "maxRetries": 0}
    if level and level != "off":
        options["reasoning"] = level
    fields_of = dict(_PI_OPTIONS) if kimi else {**_PI_OPTIONS, "tool_choice": "toolChoice"}
    options.update({opt: request[f] for f, opt in fields_of.items() if _given(request.get(f))})
    payload = {k: v for k, v in request.items() if k not in _PI_HANDLED}
    code = {
        "DIVERGENCE": js(entry_id),
        "MODEL": model,
        "CONTEXT": js(_pi_context(request)),
        "OPTIONS": js(options),
        "PAYLOAD": js(payload),
        "CHUNKS": js(message["chunks"] if usage else None),
    }
    return PI_AI_TEMPLATE, code, "usage" if usage else "transform"


_VERCEL_SETTINGS = {"temperature": "temperature", "top_p": "topP", "presence_penalty": "presencePenalty",
                    "frequency_penalty": "frequencyPenalty", "seed": "seed"}  # fmt: skip
_VERCEL_OPTIONS = {"logprobs": "logprobs", "top_logprobs": "topLogprobs", "prediction": "prediction",
                   "prompt_cache_key": "promptCacheKey", "safety_identifier": "safetyIdentifier"}  # fmt: skip
_LEVEL_TO_REASONING = {"off": "none"}  # every other /think level is its own name


def _vercel_string(content: Any, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    raise Fallback(f"{where} has content parts where the SDK takes a string")


def _vercel_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """request.messages -> the SDK's ModelMessage[] (the vercel-ai worker's convertMessages)."""
    out: list[dict[str, Any]] = []
    names: dict[Any, str] = {}
    for i, m in enumerate(messages):
        where, role = f"messages[{i}]", m.get("role")
        named: dict[str, Any] = (
            {"providerOptions": {"moonshotai": {"name": m["name"]}}} if _given(m.get("name")) else {}
        )
        if role == "system":
            out.append({"role": "system", "content": _vercel_string(m.get("content"), where), **named})
        elif role == "user":
            content = m.get("content")
            if not isinstance(content, str):
                given: list[Any] = content if isinstance(content, list) else [None]
                if not all(isinstance(p, dict) and p.get("type") == "text" and len(p) == 2 for p in given):
                    raise Fallback(f"{where} has image parts")
                content = [{"type": "text", "text": p["text"]} for p in given]
            out.append({"role": "user", "content": content, **named})
        elif role == "assistant":
            parts: list[dict[str, Any]] = []
            if _given(m.get("reasoning_content")):
                parts.append({"type": "reasoning", "text": m["reasoning_content"]})
            if text := _vercel_string(m.get("content"), where):
                parts.append({"type": "text", "text": text})
            for tc in m.get("tool_calls") or []:
                names[tc["id"]] = tc["function"]["name"]
                parts.append({"type": "tool-call", "toolCallId": tc["id"], "toolName": tc["function"]["name"],
                              "input": json.loads(tc["function"].get("arguments") or "")})  # fmt: skip
            out.append({"role": "assistant", "content": parts, **named})
        else:  # tool
            name = m.get("name") or names.get(m.get("tool_call_id")) or "tool"
            output = {"type": "text", "value": _vercel_string(m.get("content"), where)}
            result = {"type": "tool-result", "toolCallId": m.get("tool_call_id"), "toolName": name, "output": output}
            if "tool_call_id" not in m:  # a malformed case's result without an id: the part without one (the worker's)
                del result["toolCallId"]
            out.append({"role": "tool", "content": [result]})
    return out


def vercel_ai(entry_id: str, message: dict[str, Any]) -> Direct:
    """`generateText` / `streamText` on `createMoonshotAI(...)(modelId)` with the call the vercel-ai worker builds."""
    case = message.get("case") or {}
    request, prov = case.get("request") or {}, case.get("provider") or {}
    call: dict[str, Any] = {"messages": _vercel_messages(request.get("messages") or []), "allowSystemInMessages": True,
                            "maxRetries": 0}  # fmt: skip
    call.update({opt: request[f] for f, opt in _VERCEL_SETTINGS.items() if _given(request.get(f))})
    limits = [request[f] for f in ("max_tokens", "max_completion_tokens") if _given(request.get(f))]
    if limits:
        call["maxOutputTokens"] = limits[0]
    if _given(request.get("stop")):
        call["stopSequences"] = request["stop"] if isinstance(request["stop"], list) else [request["stop"]]
    choice = request.get("tool_choice")
    if isinstance(choice, dict):
        call["toolChoice"] = {"type": "tool", "toolName": choice["function"]["name"]}
    elif _given(choice):
        call["toolChoice"] = choice
    if _given(case.get("thinking")):
        call["reasoning"] = _LEVEL_TO_REASONING.get(case["thinking"], case["thinking"])
    options = {opt: request[f] for f, opt in _VERCEL_OPTIONS.items() if _given(request.get(f))}
    if "thinking" in request:
        thinking = dict(request["thinking"])
        keep = thinking.pop("keep", None)
        options["thinking"] = thinking
        if keep == "all":
            options["reasoningHistory"] = "preserved"
    if _given(request.get("reasoning_effort")):
        options["reasoningEffort"] = request["reasoning_effort"]
    if options:
        call["providerOptions"] = {"moonshotai": options}
    tools = "undefined"
    if _given(request.get("tools")):  # a tool set without execute: one call is one step
        entries = []
        for t in request["tools"]:
            f = t["function"]
            settings = [f"description: {js(f['description'])}"] if _given(f.get("description")) else []
            settings.append(f"inputSchema: jsonSchema({json.dumps(f['parameters'], ensure_ascii=False)})")
            settings += [f"strict: {js(f['strict'])}"] if _given(f.get("strict")) else []
            entries.append(f"{js(f['name'])}: tool({{ {', '.join(settings)} }})")
        tools = "{\n" + "".join(f"  {e},\n" for e in entries) + "}"
    code = {
        "DIVERGENCE": js(entry_id),
        "BASE_URL": js(str(prov.get("baseUrl") or "https://api.moonshot.ai/v1").rstrip("/")),
        "MODEL_ID": js(str(case["model"]).partition("/")[2]),
        "CALL": js(call),
        "TOOLS": tools,
        "JSON_OUTPUT": js(_given(request.get("response_format"))),
        "STREAM": js(request.get("stream") is True),
    }
    return VERCEL_AI_TEMPLATE, code, "transform"


DIRECT = {"pi-ai": pi_ai, "vercel-ai": vercel_ai}  # by the target's worker folder (harness/targets/node/<name>)
