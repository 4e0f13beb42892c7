"""Predicates of forms.yaml about the conversation and the streams: tool-call histories, content,
streaming, usage streams (T9), web search (T10), the Anthropic surface (registered by name)."""

from __future__ import annotations

from typing import Any

from harness.rules._form_facts import NATIVE_ID, USUAL_ID, Facts, api, predicate, web_search_disabled_model


# ------------------------------------------------------------------------------ history (T5, T6)
@predicate()
def has_tool_calls(f: Facts) -> bool:
    """a history with assistant tool calls"""
    return bool(f.turns)


@predicate()
def has_tool_results(f: Facts) -> bool:
    return bool(f.results)


@predicate()
def several_turns(f: Facts) -> bool:
    """tool calls in two or more assistant turns"""
    return len(f.turns) >= 2


@predicate()
def native_id(f: Facts) -> bool:
    """a native functions.<name>:<n> id"""
    return any(NATIVE_ID.match(i) for i in f.call_ids)


@predicate()
def official_id(f: Facts) -> bool:
    """an id in the official <name>:<n> / <name>_<n> form"""
    return any(not NATIVE_ID.match(i) and not i.startswith("call_") and USUAL_ID.match(i) for i in f.call_ids)


@predicate("odd_tool_ids")
def odd_tool_id(f: Facts) -> bool:
    """a non-identifier id (spaces, pipes, non-ASCII, `$`)"""
    return any(not USUAL_ID.match(i) for i in f.call_ids)


@predicate()
def duplicate_id(f: Facts) -> bool:
    """an id used by two calls"""
    return len(set(f.call_ids)) < len(f.call_ids)


@predicate()
def duplicate_id_within_turn(f: Facts) -> bool:
    return any(len({str(c.get("id")) for c in calls}) < len(calls) for calls in f.turns)


@predicate()
def duplicate_native_id_across_turns(f: Facts) -> bool:
    """the same native id in two assistant turns"""
    seen: dict[str, int] = {}
    for n, calls in enumerate(f.turns):
        for c in calls:
            i = str(c.get("id"))
            if NATIVE_ID.match(i) and seen.setdefault(i, n) != n:
                return True
    return False


@predicate()
def results_out_of_order(f: Facts) -> bool:
    """a turn's tool results in another order than its calls"""
    for i, m in enumerate(f.messages):
        if m.get("role") != "assistant" or not m.get("tool_calls"):
            continue
        order = [str(c.get("id")) for c in m["tool_calls"] if isinstance(c, dict)]
        answered = []
        for r in f.messages[i + 1 :]:
            if r.get("role") != "tool":
                break
            answered.append(str(r.get("tool_call_id")))
        waiting: dict[str, list[int]] = {}
        for n, k in enumerate(order):
            waiting.setdefault(k, []).append(n)
        slots = [waiting[k].pop(0) for k in answered if waiting.get(k)]  # FIFO per id, as T6 pairs them
        if slots != sorted(slots):
            return True
    return False


@predicate()
def distinct_result_contents(f: Facts) -> bool:
    """two tool results of one turn with different contents"""
    contents = [r.get("content") for r in f.results]
    return len({repr(c) for c in contents}) > 1


@predicate()
def ids_sanitized(f: Facts) -> bool:
    """the provider has an id policy (native endpoint, or strict / unique on a custom one)"""
    return f.ctx.tool_call_ids != "none"


@predicate("custom_provider")
def ids_unsanitized(f: Facts) -> bool:
    """a custom provider off Moonshot's hosts: ids pass through"""
    return f.ctx.tool_call_ids == "none"


@predicate()
def ids_call_style(f: Facts) -> bool:
    """duplicates become call_* (policy moonshot or unique)"""
    return f.ctx.tool_call_ids in ("moonshot", "unique")


@predicate("custom_provider", "sanitize_switch")
def ids_strict(f: Facts) -> bool:
    """sanitizeToolCallIds: strict ids [A-Za-z0-9]{1,40}"""
    return f.ctx.tool_call_ids == "strict"


@predicate()
def reasoning_present(f: Facts) -> bool:
    """an assistant message carrying reasoning_content"""
    return any(m.get("role") == "assistant" and m.get("reasoning_content") is not None for m in f.messages)


@predicate()
def reasoning_empty(f: Facts) -> bool:
    return any(m.get("role") == "assistant" and m.get("reasoning_content") == "" for m in f.messages)


@predicate()
def reasoning_text(f: Facts) -> bool:
    return any(m.get("role") == "assistant" and m.get("reasoning_content") for m in f.messages)


@predicate()
def reasoning_missing(f: Facts) -> bool:
    """an assistant tool-call message without reasoning_content (absent or null)"""
    return any(
        m.get("role") == "assistant" and m.get("tool_calls") and m.get("reasoning_content") is None for m in f.messages
    )


@predicate()
def reasoning_null(f: Facts) -> bool:
    return any(
        m.get("role") == "assistant" and "reasoning_content" in m and m["reasoning_content"] is None for m in f.messages
    )


@predicate()
def reasoning_absent(f: Facts) -> bool:
    return any(
        m.get("role") == "assistant" and m.get("tool_calls") and "reasoning_content" not in m for m in f.messages
    )


@predicate()
def plain_assistant_message(f: Facts) -> bool:
    """an assistant answer without tool calls"""
    return any(m.get("role") == "assistant" and not m.get("tool_calls") for m in f.messages)


# ------------------------------------------------------------------------------ content (D5)
@predicate("content_parts")
def content_parts(f: Facts) -> bool:
    return any(isinstance(m.get("content"), list) for m in f.messages)


@predicate()
def empty_content(f: Facts) -> bool:
    return any(m.get("content") == "" for m in f.messages)


@predicate()
def odd_text(f: Facts) -> bool:
    """padded, CRLF, tab-first or non-BMP text"""
    for m in f.messages:
        text = m.get("content")
        if isinstance(text, str) and (text != text.strip() or "\r" in text or any(ord(ch) > 0xFFFF for ch in text)):
            return True
    return False


# ------------------------------------------------------------------------------ streaming (T8)
@predicate("stream")
def streaming(f: Facts) -> bool:
    return f.intended.get("stream") is True


@predicate()
def not_streaming(f: Facts) -> bool:
    return f.intended.get("stream") is not True


@predicate()
def streaming_usage_endpoint(f: Facts) -> bool:
    """an endpoint that declares streaming usage (native Moonshot)"""
    return bool(f.ctx.streaming_usage)


@predicate()
def no_streaming_usage_endpoint(f: Facts) -> bool:
    return not f.ctx.streaming_usage


@predicate("stream")
def stream_options_set(f: Facts) -> bool:
    return isinstance(f.intended.get("stream_options"), dict)


@predicate("stream")
def stream_options_other_keys(f: Facts) -> bool:
    """stream_options with keys besides include_usage"""
    so = f.intended.get("stream_options")
    return isinstance(so, dict) and any(k != "include_usage" for k in so)


@predicate("stream")
def stream_options_include_false(f: Facts) -> bool:
    so = f.intended.get("stream_options")
    return isinstance(so, dict) and so.get("include_usage") is False


# ------------------------------------------------------------------------------ T9 usage streams
@predicate()
def usage_in_stream(f: Facts) -> bool:
    return bool(f.usage_chunks)


@predicate()
def no_usage(f: Facts) -> bool:
    return not f.usage_chunks


def _where(f: Facts) -> tuple[bool, bool]:
    chunks = f.case.get("chunks") or []
    on_choice = any(isinstance(c.get("usage"), dict) for ch in chunks for c in ch.get("choices") or [])
    trailing = any(isinstance(ch.get("usage"), dict) and not ch.get("choices") for ch in chunks)
    return on_choice, trailing


@predicate()
def usage_on_finish_chunk(f: Facts) -> bool:
    """usage only on the finish chunk's choice"""
    return _where(f) == (True, False)


@predicate()
def usage_trailing_chunk(f: Facts) -> bool:
    """usage only on a trailing {"choices": [], "usage"} chunk"""
    return _where(f) == (False, True)


@predicate()
def usage_both_places(f: Facts) -> bool:
    return _where(f) == (True, True)


@predicate()
def cached_top_level(f: Facts) -> bool:
    """usage.cached_tokens (Moonshot's top-level field)"""
    return any("cached_tokens" in u for u in f.usage_chunks)


@predicate()
def cached_in_details(f: Facts) -> bool:
    """usage.prompt_tokens_details.cached_tokens"""
    return any(isinstance(u.get("prompt_tokens_details"), dict) for u in f.usage_chunks)


@predicate()
def cached_both_fields(f: Facts) -> bool:
    return cached_top_level(f) and cached_in_details(f)


@predicate()
def cached_tokens_nonzero(f: Facts) -> bool:
    return any(
        (u.get("cached_tokens") or (u.get("prompt_tokens_details") or {}).get("cached_tokens") or 0) > 0
        for u in f.usage_chunks
    )


@predicate()
def reasoning_tokens(f: Facts) -> bool:
    return any(isinstance(u.get("completion_tokens_details"), dict) for u in f.usage_chunks)


# ------------------------------------------------------------------------------ T10 web search
def _is_web_search_tool(tool: Any) -> bool:
    from harness.rules.websearch_history import is_web_search_tool

    return is_web_search_tool(tool)


@predicate()
def web_search_tool(f: Facts) -> bool:
    """the $web_search builtin among the tools"""
    return any(_is_web_search_tool(t) for t in f.intended.get("tools") or [])


@predicate()
def web_search_alone(f: Facts) -> bool:
    tools = f.intended.get("tools") or []
    return len(tools) == 1 and _is_web_search_tool(tools[0])


@predicate()
def web_search_mixed(f: Facts) -> bool:
    """$web_search beside function tools"""
    tools = f.intended.get("tools") or []
    return len(tools) > 1 and any(_is_web_search_tool(t) for t in tools)


@predicate()
def web_search_not_first(f: Facts) -> bool:
    """$web_search after a function tool"""
    tools = f.intended.get("tools") or []
    return bool(tools) and not _is_web_search_tool(tools[0]) and any(_is_web_search_tool(t) for t in tools)


@predicate()
def web_search_call(f: Facts) -> bool:
    """a $web_search call in the history"""
    return bool(f.web_search_pairs)


@predicate()
def web_search_answered(f: Facts) -> bool:
    """a $web_search call answered by its tool message"""
    return any(r is not None for _, _, r in f.web_search_pairs)


@predicate()
def web_search_pending(f: Facts) -> bool:
    """a $web_search call not answered yet (the history ends on it)"""
    return any(r is None for _, _, r in f.web_search_pairs)


@predicate()
def web_search_call_typed_function(f: Facts) -> bool:
    """a $web_search call of type "function" (not builtin_function)"""
    return any(self_call(f, i, j).get("type") == "function" for i, j, _ in f.web_search_pairs)


def self_call(f: Facts, i: int, j: int) -> dict[str, Any]:
    return f.messages[i]["tool_calls"][j]


@predicate()
def web_search_spaced_arguments(f: Facts) -> bool:
    """arguments serialized with spaces (", ", ": "): must not be re-serialized"""
    return any(", " in str(self_call(f, i, j)["function"].get("arguments")) for i, j, _ in f.web_search_pairs)


@predicate()
def web_search_reasoning(f: Facts) -> bool:
    """a $web_search turn with reasoning_content"""
    return any(isinstance(f.messages[i].get("reasoning_content"), str) for i, _, _ in f.web_search_pairs)


@predicate()
def web_search_content_null(f: Facts) -> bool:
    return any(f.messages[i].get("content") is None for i, _, _ in f.web_search_pairs)


@predicate()
def web_search_colon_id(f: Facts) -> bool:
    """a $web_search:N id"""
    return any(str(self_call(f, i, j).get("id")).startswith("$web_search:") for i, j, _ in f.web_search_pairs)


@predicate()
def web_search_underscore_id(f: Facts) -> bool:
    return any(str(self_call(f, i, j).get("id")).startswith("$web_search_") for i, j, _ in f.web_search_pairs)


@predicate()
def web_search_beside_function_calls(f: Facts) -> bool:
    """a history with both $web_search and function tool rounds"""
    return bool(f.web_search_pairs) and len(f.call_ids) > len(f.web_search_pairs)


@predicate(model=web_search_disabled_model)
def web_search_without_thinking(f: Facts) -> bool:
    """a model that searches only with thinking disabled (kimi-k2.5), on its own provider"""
    return not f.ctx.custom_provider and web_search_disabled_model(f.ctx.model)


# ------------------------------------------------------------------------------ anthropic surface
@predicate(model=api("anthropic-messages"))
def anthropic_surface(f: Facts) -> bool:
    """the request goes to Kimi Coding's Anthropic Messages surface"""
    return f.ctx.api == "anthropic-messages"


@predicate()
def system_message(f: Facts) -> bool:
    return any(m.get("role") in ("system", "developer") for m in (f.case.get("request") or {}).get("messages") or [])


@predicate()
def temperature_set(f: Facts) -> bool:
    return "temperature" in f.intended


@predicate()
def outbound_forced_tool(f: Facts) -> bool:
    """the Anthropic body forces a tool (tool_choice any / tool)"""
    tc = f.body.get("tool_choice")
    return isinstance(tc, dict) and tc.get("type") in ("any", "tool")
