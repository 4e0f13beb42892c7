"""Properties of a request on Kimi Coding's Anthropic Messages surface, as `Violation`s.

Each check is `check(case, ctx, out) -> list[Violation]` (ctx: `harness.contract.case.Context`,
out: the outbound request `{method, url, headers, body}`); `CHECKS` lists them in report order and
`check_all` runs them; `anthropic_agreement.agreement(out, want)` compares a target with the
reference on the fields this surface governs. Sources: docs/contract.md#kimi-coding-anthropic (Kimi Coding: Anthropic Messages at
https://api.kimi.com/coding/, x-api-key or Bearer (D6), User-Agent) [oc, field]; the Anthropic Messages API for the shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from harness.contract.verdict import _ABSENT, Violation, pointer

RULE = "anthropic"
NATIVE_BASE = "https://api.kimi.com/coding"


def _v(check: str, path: str, expected: Any, actual: Any, message: str) -> Violation:
    return Violation(RULE, f"{RULE}.{check}", path, expected, actual, message)


def _headers(out: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in (out.get("headers") or {}).items()}


def routing(case, ctx, out) -> list[Violation]:
    """POST to <base>/v1/messages; the catalog's own provider is https://api.kimi.com/coding."""
    found = []
    want = ctx.base_url.rstrip("/") + "/v1/messages"
    if out.get("method") != "POST":
        found.append(_v("method", "/method", "POST", out.get("method"), "the Messages API is POST"))
    if out.get("url") != want:
        found.append(_v("url", "/url", want, out.get("url"), f"requests go to {want}"))
    if not ctx.custom_provider:
        parts = urlsplit(str(out.get("url", "")))
        if (parts.scheme, parts.hostname, parts.path) != ("https", "api.kimi.com", "/coding/v1/messages"):
            found.append(
                _v(
                    "host",
                    "/url",
                    NATIVE_BASE + "/v1/messages",
                    out.get("url"),
                    "Kimi Coding's Anthropic surface is https://api.kimi.com/coding/v1/messages",
                )
            )
    return found


def auth(case, ctx, out) -> list[Violation]:
    """The key (a placeholder here) in exactly one of the two headers the service takes —
    `x-api-key` or `Authorization: Bearer` (D6: Kimi's own docs configure Claude Code with
    ANTHROPIC_AUTH_TOKEN, [field: UfoMiao/zcf#204, MoonshotAI/kimi-cli#277]; other clients send
    x-api-key, [field: MoonshotAI/Kimi-K2#109]) — never both, never a real key; the version and UA
    headers. Which key (Kimi Coding's, never Moonshot's) is the online path's to choose
    (harness.online.keys.run_key): a transformation only ever carries a placeholder."""
    from harness.util.scrub import contains_secret

    h = _headers(out)
    found = []
    key = h.get("x-api-key")
    has_key = isinstance(key, str) and bool(key.strip())
    authz = h.get("authorization")
    has_bearer = isinstance(authz, str) and authz.lower().startswith("bearer ") and bool(authz[7:].strip())
    if has_key and has_bearer:
        found.append(
            _v(
                "key-in-both-headers",
                "/headers/authorization",
                _ABSENT,
                "Bearer …",
                "the key goes in x-api-key or as Authorization: Bearer, not in both",
            )
        )
    elif not has_key and not has_bearer:
        found.append(
            _v(
                "key-header",
                "/headers/x-api-key",
                "<placeholder>",
                key if key is not None else _ABSENT,
                "the key goes in x-api-key or as Authorization: Bearer (D6)",
            )
        )
    for name, value in (("x-api-key", key), ("authorization", authz)):
        if isinstance(value, str) and contains_secret(value):
            found.append(
                _v(
                    "key-leaked",
                    pointer("headers", name),
                    "<placeholder>",
                    "<a key>",
                    "a real-looking key reached the outbound request",
                )
            )
    if not h.get("anthropic-version"):
        found.append(
            _v(
                "anthropic-version",
                "/headers/anthropic-version",
                "2023-06-01",
                _ABSENT,
                "the Messages API needs an anthropic-version header",
            )
        )
    if not h.get("user-agent"):
        found.append(
            _v(
                "user-agent",
                "/headers/user-agent",
                "claude-code/0.1.0",
                _ABSENT,
                "Kimi Coding admits recognized coding agents by User-Agent [oc]",
            )
        )
    return found


def body_schema(case, ctx, out) -> list[Violation]:
    from harness.wire import schemas

    return [
        _v(
            "schema",
            "/body" + e.path[1:].replace(".", "/").replace("[", "/").replace("]", ""),
            None,
            None,
            f"not an Anthropic Messages request: {e}",
        )
        for e in schemas.iter_errors("anthropic-request", out.get("body"))
    ][:5]


def model(case, ctx, out) -> list[Violation]:
    got = (out.get("body") or {}).get("model")
    if got != ctx.model.id:
        return [_v("model", "/body/model", ctx.model.id, got, "the canonical model id goes out")]
    return []


def system_lifted(case, ctx, out) -> list[Violation]:
    """No system/developer role inside messages; every system text is in the top-level system."""
    body = out.get("body") or {}
    found = [
        _v(
            "system-in-messages",
            pointer("body", "messages", i, "role"),
            "user|assistant",
            m.get("role"),
            "Anthropic has no system role in messages: the system prompt is the top-level `system`",
        )
        for i, m in enumerate(body.get("messages") or [])
        if isinstance(m, dict) and m.get("role") in ("system", "developer")
    ]
    system = body.get("system")
    text = (
        system if isinstance(system, str) else "".join(b.get("text", "") for b in system or [] if isinstance(b, dict))
    )
    for m in (case.get("request") or {}).get("messages") or []:
        if m.get("role") in ("system", "developer"):
            want = m.get("content") if isinstance(m.get("content"), str) else ""
            if want and want not in text:
                found.append(
                    _v(
                        "system-lifted",
                        "/body/system",
                        want,
                        system if system is not None else _ABSENT,
                        "the case's system prompt is lifted into `system`",
                    )
                )
    return found


def tool_pairing(case, ctx, out) -> list[Violation]:
    """Every tool_result answers a tool_use of the assistant turn right before it; none is lost."""
    found = []
    messages = (out.get("body") or {}).get("messages") or []
    results = 0
    for i, m in enumerate(messages):
        content = m.get("content") if isinstance(m, dict) else None
        blocks: list[Any] = content if isinstance(content, list) else []
        ids = [b.get("tool_use_id") for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        results += len(ids)
        if not ids:
            continue
        prev = messages[i - 1] if i else {}
        prev_content = prev.get("content") if isinstance(prev, dict) else None
        prev_blocks: list[Any] = prev_content if isinstance(prev_content, list) else []
        calls = {b.get("id") for b in prev_blocks if isinstance(b, dict) and b.get("type") == "tool_use"}
        if m.get("role") != "user" or prev.get("role") != "assistant":
            found.append(
                _v(
                    "tool-result-turn",
                    pointer("body", "messages", i),
                    "a user turn after the assistant's tool_use",
                    m.get("role"),
                    "tool_result blocks go in the user turn that follows the tool_use",
                )
            )
        for j, tid in enumerate(ids):
            if tid not in calls:
                found.append(
                    _v(
                        "tool-result-pairing",
                        pointer("body", "messages", i, "content", j, "tool_use_id"),
                        sorted(c for c in calls if isinstance(c, str)),
                        tid,
                        "a tool_result must name a tool_use of the preceding assistant turn",
                    )
                )
    sent = sum(1 for m in (case.get("request") or {}).get("messages") or [] if m.get("role") == "tool")
    extra = ((case.get("params") or {}).get("extra_body") or {}).get("messages")
    if extra is None and results != sent:
        found.append(
            _v("tool-results-kept", "/body/messages", sent, results, "every tool message becomes a tool_result")
        )
    return found


def max_tokens(case, ctx, out) -> list[Violation]:
    body = out.get("body") or {}
    mt = body.get("max_tokens")
    if not isinstance(mt, int) or isinstance(mt, bool) or mt < 1:
        return [
            _v(
                "max-tokens",
                "/body/max_tokens",
                "a positive integer",
                mt if "max_tokens" in body else _ABSENT,
                "Anthropic requires max_tokens",
            )
        ]
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or not 1024 <= budget < mt:
            return [
                _v(
                    "thinking-budget",
                    "/body/thinking/budget_tokens",
                    f">= 1024 and < max_tokens {mt}",
                    budget,
                    "a thinking budget must be at least 1024 and below max_tokens",
                )
            ]
    return []


def thinking_compat(case, ctx, out) -> list[Violation]:
    """Under thinking Anthropic rejects a forced tool choice and a temperature."""
    body = out.get("body") or {}
    thinking = body.get("thinking")
    if not (isinstance(thinking, dict) and thinking.get("type") == "enabled"):
        return []
    found = []
    tc = body.get("tool_choice")
    if isinstance(tc, dict) and tc.get("type") in ("any", "tool"):
        found.append(
            _v(
                "forced-tool-under-thinking",
                "/body/tool_choice",
                {"type": "auto"},
                tc,
                "thinking may not be enabled when tool_choice forces tool use",
            )
        )
    if "temperature" in body:
        found.append(
            _v(
                "temperature-under-thinking",
                "/body/temperature",
                _ABSENT,
                body["temperature"],
                "temperature is incompatible with thinking",
            )
        )
    return found


CHECKS: tuple[Callable[..., list[Violation]], ...] = (
    routing,
    auth,
    body_schema,
    model,
    system_lifted,
    tool_pairing,
    max_tokens,
    thinking_compat,
)


def check_all(case: dict[str, Any], ctx, out: dict[str, Any]) -> list[Violation]:
    return [v for check in CHECKS for v in check(case, ctx, out)]
