"""Hypothesis strategies for streamed responses carrying usage in every shape the real API
has used (harness/cassettes/real_captures): choice-level usage on the finish chunk, a trailing
`{"choices": [], "usage"}` chunk, both, top-level `cached_tokens`, `prompt_tokens_details`,
reasoning token details, and no usage at all."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


@st.composite
def usage_stream(draw) -> list[dict[str, Any]]:
    prompt = draw(st.integers(1, 200_000))
    completion = draw(st.integers(0, 20_000))
    cached = draw(st.integers(0, prompt))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    cache_form = draw(st.sampled_from(["top", "details", "both", "none"]))
    if cache_form in ("top", "both"):
        usage["cached_tokens"] = cached
    if cache_form in ("details", "both"):
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    if draw(st.booleans()):
        usage["completion_tokens_details"] = {"reasoning_tokens": draw(st.integers(0, completion))}
    where = draw(st.sampled_from(["choice", "trailing", "both", "none"]))
    head = {
        "id": "chatcmpl-6a8de8e8a1b2c3d4e5f60718",
        "object": "chat.completion.chunk",
        "created": 1787685096,
        "model": "kimi-k2.6",
    }
    chunks = [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "ok"}, "finish_reason": None}]}
    ]
    finish: dict[str, Any] = {"index": 0, "delta": {}, "finish_reason": "stop"}
    if where in ("choice", "both"):
        finish["usage"] = dict(usage)
    chunks.append({**head, "choices": [finish]})
    if where in ("trailing", "both"):
        chunks.append({**head, "choices": [], "usage": dict(usage)})
    return chunks
