"""What a valid stream must hold across its chunks, beyond each chunk's schema: one id, every
tool call's first delta naming its id and function, and finish-chunk usage agreeing with the
trailing usage chunk."""

from __future__ import annotations

from typing import Any

from .schemas import WireError, iter_errors


def stream_errors(chunks: list[Any], root: str = "$") -> list[WireError]:
    """Per-chunk schema errors plus rules that span chunks."""
    errors: list[WireError] = []
    ids = set()
    # indices as the wire gave them: possibly missing (None) or not ints
    opened: set[tuple[Any, Any]] = set()
    choice_usage: dict[Any, dict] = {}
    trailing = None
    for n, ch in enumerate(chunks):
        if ch is None:  # unparsable line, already reported
            continue
        at = f"{root}[{n}]"
        errors.extend(iter_errors("chunk", ch, at))
        if not isinstance(ch, dict):
            continue
        ids.add(ch.get("id"))
        if isinstance(ch.get("usage"), dict):
            trailing = ch["usage"]
        for ci, choice in enumerate(ch.get("choices") or []):
            if not isinstance(choice, dict):
                continue
            idx = choice.get("index")
            if isinstance(choice.get("usage"), dict):
                choice_usage[idx] = choice["usage"]
            for ti, tc in enumerate((choice.get("delta") or {}).get("tool_calls") or []):
                key = (idx, tc.get("index") if isinstance(tc, dict) else None)
                if key in opened or not isinstance(tc, dict):
                    continue
                opened.add(key)
                tpath = f"{at}.choices[{ci}].delta.tool_calls[{ti}]"
                if not tc.get("id"):
                    errors.append(WireError(f"{tpath}.id", "first delta of a tool call has no id"))
                if not (tc.get("function") or {}).get("name"):
                    errors.append(
                        WireError(f"{tpath}.function.name", "first delta of a tool call has no function name")
                    )
    if len(ids) > 1:
        errors.append(WireError(root, f"chunks carry {len(ids)} different ids: {sorted(map(str, ids))}"))
    if trailing is not None and len(choice_usage) == 1:
        (only,) = choice_usage.values()
        for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
            if only.get(k) != trailing.get(k):
                errors.append(
                    WireError(
                        root,
                        f"finish-chunk usage.{k}={only.get(k)} disagrees with trailing usage.{k}={trailing.get(k)}",
                    )
                )
    return errors


__all__ = ["stream_errors"]
