"""Agreement on Kimi Coding's Anthropic Messages surface: `agreement(out, want)` compares a target's
outbound request with the reference's on the fields this surface governs (`project`), as
`Violation`s of the anthropic rule (its checks are in `anthropic_checks`).
"""

from __future__ import annotations

from typing import Any

from harness.contract.verdict import _ABSENT, Violation, pointer
from harness.rules.anthropic_checks import _v


def _block(b: Any) -> Any:
    if not isinstance(b, dict):
        return b
    b = {k: v for k, v in b.items() if k not in ("cache_control", "signature")}
    if b.get("type") == "tool_result":
        content = b.get("content")
        if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
            b["content"] = "\n".join(p.get("text", "") for p in content)
        if b.get("is_error") is False:  # the default, spelled out by some clients
            del b["is_error"]
    return b


def _content(content: Any) -> Any:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [_block(b) for b in content] if isinstance(content, list) else content


def _tool(t: Any) -> Any:
    if not isinstance(t, dict):
        return t
    schema = dict(t.get("input_schema") or {})
    schema.setdefault("properties", {})
    schema.setdefault("required", [])
    return {"name": t.get("name"), "description": t.get("description") or "", "input_schema": schema}


def project(out: dict[str, Any]) -> dict[str, Any]:
    """The fields this surface governs, spelled one way: content strings as text blocks, cache
    markers and thinking signatures (an OpenAI-shaped history has none) left out."""
    body = out.get("body") or {}
    system = body.get("system")
    if isinstance(system, list):
        system = "\n\n".join(b.get("text", "") for b in system if isinstance(b, dict))
    view = {
        "url": out.get("url"),
        "model": body.get("model"),
        "system": system or None,
        "messages": [
            {"role": m.get("role"), "content": _content(m.get("content"))}
            for m in body.get("messages") or []
            if isinstance(m, dict)
        ],
        "tools": [_tool(t) for t in body.get("tools") or []],
        "thinking": body.get("thinking", {}).get("type") if isinstance(body.get("thinking"), dict) else None,
    }
    for key in ("max_tokens", "tool_choice", "temperature", "top_p", "stop_sequences"):
        view[key] = body.get(key, _ABSENT)
    return view


def agreement(out: dict[str, Any], want: dict[str, Any]) -> list[Violation]:
    got_view, want_view = project(out), project(want)
    return [
        _v(
            "agreement",
            "/url" if key == "url" else pointer("body", key),
            want_view[key],
            got_view[key],
            f"{key} differs from the reference",
        )
        for key in want_view
        if got_view.get(key) != want_view[key]
    ]
