"""One Kimi web search round trip as OpenClaw's Kimi web search provider runs it (docs/contract.md#t10-web-search).

`POST {base}/chat/completions` with `{model, messages: [{role: user, content: query}], tools:
[$web_search builtin]}` (thinking disabled where the catalog's `webSearch.models` says the model
may or must search without it, as OpenClaw does for K2.5 / K2.6; nothing for models that always
reason), no `stream`, no `tool_choice`. While the answer is `tool_calls`, the assistant message
(`content ?? ""`, `reasoning_content`, `tool_calls`) is appended unchanged plus one tool message
per call with the raw arguments, for at most `webSearch.maxRounds` rounds. Citations come from
top-level `search_results[].url` and from `url` / `search_results[].url` inside the arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.wire.websearch_cost import WEB_SEARCH, WebSearchCost, WebSearchPricing, web_search_cost

NO_ANSWER = "Search completed but no final answer was produced."


@dataclass
class SearchRun:
    answer: str | None
    citations: list[str]
    finish_reason: str | None
    rounds: int
    responses: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    cost: WebSearchCost | None = None
    error: str | None = None  # one line: an upstream error or a missing answer


def settings(catalog) -> dict[str, Any]:
    provider = catalog.providers.get("moonshot")
    ws = (provider.data.get("webSearch") if provider else None) or {}
    if not ws:
        raise LookupError("the catalog has no moonshot webSearch section")
    return ws


NATIVE = ("https://api.moonshot.ai/v1", "https://api.moonshot.cn/v1")
DEFAULT_BASE = NATIVE[0]


def live_endpoint(configured: dict[str, str], moonshot_base: str | None) -> str:
    """OpenClaw's base URL precedence: `webSearch.baseUrl` (trailing slash trimmed), else the
    moonshot provider's base URL when it is a native `.ai/v1` or `.cn/v1`, else api.moonshot.ai."""
    if configured.get("baseUrl"):
        return configured["baseUrl"].rstrip("/")
    base = (moonshot_base or "").rstrip("/")
    return base if base in NATIVE else DEFAULT_BASE


def request_body(model, ws: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model.id, "messages": messages, "tools": [json.loads(json.dumps(ws["tool"]))]}
    if ws["models"].get(model.id, {}).get("thinking") in ("either", "disabled"):
        body["thinking"] = {"type": "disabled"}
    return body


def citations(responses: list[dict[str, Any]]) -> list[str]:
    urls: list[str] = []

    def add(items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                urls.append(item["url"])

    for r in responses:
        add(r.get("search_results"))
        for choice in r.get("choices") or []:
            for call in (choice.get("message") or {}).get("tool_calls") or []:
                try:
                    args = json.loads((call.get("function") or {}).get("arguments") or "")
                except ValueError:
                    continue
                if isinstance(args, dict):
                    add([args])
                    add(args.get("search_results"))
    return list(dict.fromkeys(urls))


def run(client, model, catalog, query: str) -> SearchRun:
    """The loop over `client.chat` (a harness.online.client.WireClient)."""
    from harness.online.budget import catalog_prices
    from harness.util import scrub

    ws = settings(catalog)
    messages: list[dict[str, Any]] = [{"role": "user", "content": query}]
    out = SearchRun(None, [], None, 0)
    for _ in range(ws.get("maxRounds", 3)):
        body = request_body(model, ws, json.loads(json.dumps(messages)))
        out.requests.append(body)
        r = client.chat(body)
        out.rounds += 1
        if r.status != 200 or not isinstance(r.json, dict):
            err = (r.json or {}).get("error", {}) if isinstance(r.json, dict) else {}
            out.error = scrub.scrub_text(f"HTTP {r.status}: {err.get('type', '')} {err.get('message') or r.text[:200]}")
            if r.status == 401:  # as OpenClaw's hint: keys are per region
                out.error += " (a key from platform.moonshot.cn works only on api.moonshot.cn, and .ai keys on .ai)"
            break
        out.responses.append(r.json)
        choice = r.json["choices"][0]
        out.finish_reason = choice.get("finish_reason")
        message = choice.get("message") or {}
        if out.finish_reason != "tool_calls" or not message.get("tool_calls"):
            out.answer = (message.get("content") or "").strip() or (message.get("reasoning_content") or "").strip()
            break
        assistant: dict[str, Any] = {
            "role": "assistant",
            "content": message.get("content") or "",
            "tool_calls": message["tool_calls"],
        }
        if "reasoning_content" in message:
            assistant["reasoning_content"] = message["reasoning_content"]
        messages.append(assistant)
        for call in message["tool_calls"]:
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call["id"],
                    "name": call["function"]["name"],
                    "content": call["function"]["arguments"],
                }
            )
    else:
        out.error = NO_ANSWER
    out.citations = citations(out.responses)
    out.cost = web_search_cost(out.responses, catalog_prices(model.cost), WebSearchPricing.from_catalog(catalog))
    return out


def describe(run_: SearchRun, model, endpoint: str, pricing: WebSearchPricing) -> list[str]:
    """The lines `kimi-conformance websearch` prints (never a key: nothing here holds one)."""
    lines = [
        f"model:     {model.ref}",
        f"endpoint:  {endpoint}",
        f"rounds:    {run_.rounds} (finish_reason: {run_.finish_reason})",
    ]
    if run_.error:
        lines.append(f"error:     {run_.error}")
    lines.append(f"answer:    {run_.answer if run_.answer is not None else '(none)'}")
    lines.append("citations: " + (", ".join(run_.citations) if run_.citations else "(none returned)"))
    c = run_.cost
    if c is not None:
        disputed = "; ".join(f"${d} per another source" for d, _ in pricing.disputed)
        unit = "$/MTok" if model.cost["unit"] == "usd_per_mtok" else "$/KTok"
        lines.append(
            f"cost:      ${c.total:.6f} = tokens ${c.tokens.total:.6f} (catalog {unit}; incl. "
            f"{c.search_tokens} search tokens as prompt) + {c.calls} {WEB_SEARCH} call(s) x "
            f"${pricing.per_call} (catalog{'; ' + disputed if disputed else ''})"
        )
    return lines
