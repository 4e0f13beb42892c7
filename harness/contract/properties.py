"""The contract as implementation-agnostic properties: `check(rule, case, ctx, outbound)`.

Each check states what must hold on what goes out on the wire, given the case and the catalog,
without asking how a target computes it; it raises AssertionError with a readable reason.
The reference is held to these too (tests/), so a property cannot quietly encode a bug of it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict, deque
from typing import Any, Callable

from harness.contract.intended import intended_body
from harness.contract.thinking import configured_type, effective, level_type

FIXED_SAMPLING = ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty")
T1_CONTROLS = ("thinking", "reasoning_effort", "reasoningEffort")
KEPT_BY_T1 = ("stop", "seed", "logprobs")
TOKEN_FIELDS = ("max_tokens", "max_completion_tokens")
NATIVE_ID = re.compile(r"^functions\.[^\s:]+:\d+$")
OPENAI_ID = re.compile(r"^call_[A-Za-z0-9_-]+$")
STRICT_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")
# Fields some rule may change; everything else must pass through untouched.
GOVERNED = frozenset({
    "model", "thinking", "reasoning_effort", "reasoningEffort", *FIXED_SAMPLING, "tool_choice",
    "messages", *TOKEN_FIELDS, "store", "stream_options",
})
_ABSENT = object()


def _fail(msg: str) -> None:
    raise AssertionError(msg)


def _is_pinned(tc: Any) -> bool:
    return isinstance(tc, dict) and tc.get("type") == "function" and isinstance(tc.get("function"), dict)


def _type(thinking: Any) -> Any:
    return thinking.get("type") if isinstance(thinking, dict) else None


def wanted_type(case: dict[str, Any]) -> str | None:
    """T2: the type the configuration and /think level ask for (None: no opinion)."""
    return configured_type((case.get("params") or {}).get("thinking")) or level_type(case.get("thinking"))


# ---------------------------------------------------------------------------------- rules
def check_routing(case, ctx, out, intended):
    if out["method"].upper() != "POST":
        _fail(f"method is {out['method']!r}, expected POST")
    if out["url"].rstrip("/") != ctx.url:
        _fail(f"url is {out['url']!r}, expected {ctx.url!r} for {ctx.model.ref} via provider {ctx.provider_id}")
    if out["body"].get("model") != ctx.model.id:
        _fail(f"body.model is {out['body'].get('model')!r}, expected the canonical id {ctx.model.id!r} of {case['model']!r}")
    auth = str(out["headers"].get("authorization", ""))
    if re.search(r"sk-[A-Za-z0-9]{16,}", auth):
        _fail("the outbound Authorization header carries something shaped like a real key")


def check_t1(case, ctx, out, intended):
    body, mode = out["body"], ctx.thinking_mode
    if mode == "always":
        leaked = [k for k in (*T1_CONTROLS, *ctx.model.thinking.get("fixedSampling", [])) if k in body]
        if leaked:
            _fail(f"{ctx.model.ref} always thinks: {leaked} must be dropped, got {({k: body[k] for k in leaked})}")
        if body.get("tool_choice", None) not in (None, "auto", "none"):
            _fail(f"{ctx.model.ref}: tool_choice {body['tool_choice']!r} must become 'auto' (thinking cannot be disabled)")
        if intended.get("tool_choice") in ("auto", "none") and body.get("tool_choice") != intended["tool_choice"]:
            _fail(f"tool_choice {intended['tool_choice']!r} is compatible and must stay, got {body.get('tool_choice')!r}")
    elif mode == "effort":
        leaked = [k for k in ("thinking", *ctx.model.thinking.get("fixedSampling", [])) if k in body]
        if leaked:
            _fail(f"{ctx.model.ref} always thinks: {leaked} must be dropped")
        if body.get("tool_choice") not in (None, "auto", "none", "required"):
            _fail(f"{ctx.model.ref}: a pinned tool_choice is incompatible with thinking, got {body['tool_choice']!r}")
        level = case.get("thinking")
        if level is not None:
            effort = ctx.model.thinking.get("effortLevels", {}).get(level)
            want = effort if effort and effort != "none" else None
            if not ctx.compat.get("supportsReasoningEffort", False):
                want = None  # T7: a provider that cannot take reasoning_effort never gets it
            if body.get("reasoning_effort") != want:
                _fail(f"/think {level} on {ctx.model.ref} must send reasoning_effort={want!r}, got {body.get('reasoning_effort')!r}")
    else:
        # T1 must not fire elsewhere: sampling overrides are the caller's to keep.
        for k in FIXED_SAMPLING:
            if k in intended and body.get(k, _ABSENT) != intended[k]:
                _fail(f"{ctx.model.ref} does not pin {k}: expected {intended[k]!r}, got {body.get(k, '<absent>')!r}")
    for k in KEPT_BY_T1:
        if k in intended and body.get(k, _ABSENT) != intended[k]:
            _fail(f"{k} is never dropped: expected {intended[k]!r}, got {body.get(k, '<absent>')!r}")


def _t2_expected(case, ctx, intended) -> Any:
    """The thinking type T2 (then T4's pinned-tool override) leads to."""
    base = wanted_type(case) or _type(intended.get("thinking"))
    if (base or ctx.model.thinking.get("default")) == "enabled" and _is_pinned(intended.get("tool_choice")):
        return "disabled"
    return base


def check_t2(case, ctx, out, intended):
    body = out["body"]
    if ctx.thinking_mode == "binary":
        expected = _t2_expected(case, ctx, intended)
        if _type(body.get("thinking")) != expected:
            _fail(f"thinking.type should be {expected!r} (level {case.get('thinking')!r}, configured "
                  f"{(case.get('params') or {}).get('thinking')!r}), got {body.get('thinking')!r}")
    elif ctx.thinking_mode == "none":
        if _type(body.get("thinking")) != _type(intended.get("thinking")):
            _fail(f"{ctx.model.ref} has no Moonshot thinking rules: thinking must pass through, got {body.get('thinking')!r}")


def _keep_requested(case, intended) -> Any:
    configured = (case.get("params") or {}).get("thinking")
    if wanted_type(case) is not None and isinstance(configured, dict) and "keep" in configured:
        return configured["keep"]
    thinking = intended.get("thinking")
    return thinking.get("keep") if isinstance(thinking, dict) else None


def check_t3(case, ctx, out, intended):
    thinking = out["body"].get("thinking")
    capable = ctx.thinking_mode == "binary" and ctx.model.thinking.get("keep", False)
    if isinstance(thinking, dict) and "keep" in thinking:
        if not capable:
            _fail(f"thinking.keep is forwarded only for moonshot/kimi-k2.6, not {ctx.model.ref}")
        if thinking.get("type") != "enabled":
            _fail(f"thinking.keep is forwarded only with thinking enabled, got {thinking!r}")
        if thinking["keep"] != "all":
            _fail(f"thinking.keep must be normalized to 'all', got {thinking['keep']!r}")
    requested = _keep_requested(case, intended)
    if capable and _type(thinking) == "enabled" and isinstance(requested, str) and requested.strip().lower() == "all":
        if not (isinstance(thinking, dict) and thinking.get("keep") == "all"):
            _fail(f"keep {requested!r} was asked for on {ctx.model.ref} with thinking enabled: expected keep 'all', got {thinking!r}")


def check_t4(case, ctx, out, intended):
    body = out["body"]
    if ctx.thinking_mode != "binary":
        return
    default = ctx.model.thinking.get("default")
    tc = body.get("tool_choice")
    if effective("binary", body, default) == "enabled" and tc not in (None, "auto", "none"):
        _fail(f"thinking is enabled, so tool_choice must be auto or none, got {tc!r}")
    itc = intended.get("tool_choice")
    pre = dict(intended)
    want = wanted_type(case)
    if want is not None:
        pre["thinking"] = {"type": want}
    if itc in (None, "auto", "none") or effective("binary", pre, default) != "enabled":
        if tc != itc and "tool_choice" in intended:
            _fail(f"tool_choice {itc!r} is compatible here and must stay, got {tc!r}")
        return
    if _is_pinned(itc):
        if tc != itc or _type(body.get("thinking")) != "disabled":
            _fail(f"a pinned tool is kept and thinking disabled instead: expected tool_choice {itc!r} with "
                  f"thinking disabled, got tool_choice {tc!r}, thinking {body.get('thinking')!r}")
    elif tc != "auto":
        _fail(f"tool_choice {itc!r} is incompatible with thinking and must become 'auto', got {tc!r}")


def check_t5(case, ctx, out, intended):
    body = out["body"]
    enabled = effective(ctx.thinking_mode, body, ctx.model.thinking.get("default")) == "enabled"
    before = intended.get("messages") or []
    after = body.get("messages") or []
    if len(before) != len(after):
        _fail(f"message count changed: {len(before)} -> {len(after)}")
    for i, (b, a) in enumerate(zip(before, after)):
        if a.get("role") != "assistant":
            continue
        if b.get("reasoning_content") is not None and a.get("reasoning_content") != b["reasoning_content"]:
            _fail(f"messages[{i}].reasoning_content was changed: {b['reasoning_content']!r} -> {a.get('reasoning_content')!r}")
        if enabled and a.get("tool_calls") and not isinstance(a.get("reasoning_content"), str):
            _fail(f"thinking is enabled: assistant tool-call message at index {i} needs reasoning_content, got {a.get('reasoning_content', '<absent>')!r}")
        if not enabled and b.get("reasoning_content") is None and a.get("reasoning_content", None) is not None:
            _fail(f"thinking is not enabled: messages[{i}] must not gain reasoning_content")


def tool_call_slots(messages: list[dict]) -> tuple[list[tuple[int, int]], list[tuple[int, int | None]]]:
    """Positions of every call (message index, call index) and, for every tool result, the
    position index of the call it answers: FIFO per raw id, as the contract pairs them."""
    calls: list[tuple[int, int]] = []
    results: list[tuple[int, int | None]] = []
    waiting: dict[str, deque[int]] = defaultdict(deque)
    for i, m in enumerate(messages):
        if m.get("role") == "assistant":
            for j, c in enumerate(m.get("tool_calls") or []):
                waiting[c["id"]].append(len(calls))
                calls.append((i, j))
        elif m.get("role") == "tool":
            q = waiting[m["tool_call_id"]]
            results.append((i, q.popleft() if q else None))
    return calls, results


def call_ids(messages: list[dict], calls) -> list[str]:
    return [messages[i]["tool_calls"][j]["id"] for i, j in calls]


def check_t6(case, ctx, out, intended):
    before = intended.get("messages") or []
    after = out["body"].get("messages") or []
    calls, results = tool_call_slots(before)
    try:
        raw, new = call_ids(before, calls), call_ids(after, calls)
        new_results = [after[i]["tool_call_id"] for i, _ in results]
    except (IndexError, KeyError, TypeError):
        _fail("tool calls or tool results were dropped, moved or reshaped")
    if ctx.tool_call_ids == "none":
        if new != raw or new_results != [before[i]["tool_call_id"] for i, _ in results]:
            _fail(f"provider {ctx.provider_id} sanitizes nothing: ids must pass through, got {new} for {raw}")
        return
    dupes = [k for k, n in Counter(new).items() if n > 1]
    if dupes:
        _fail(f"tool-call ids must be unique after T6, duplicated: {dupes} (from {raw})")
    for (i, call), got in zip(results, new_results):
        if call is not None and got != new[call]:
            _fail(f"tool result at messages[{i}] must point at its own call {new[call]!r}, got {got!r}")
    seen: set[str] = set()
    for r, n in zip(raw, new):
        first = r not in seen
        seen.add(r)
        if first and NATIVE_ID.match(r) and n != r:
            _fail(f"the first occurrence of native id {r!r} must be kept, got {n!r}")
        if ctx.tool_call_ids == "moonshot" and not first and not OPENAI_ID.match(n):
            _fail(f"a duplicate of {r!r} must become a deterministic call_* id, got {n!r}")
        if ctx.tool_call_ids == "strict" and not (first and NATIVE_ID.match(r)) and not STRICT_ID.match(n):
            _fail(f"strict sanitization allows only [A-Za-z0-9]{{1,40}}, got {n!r} for {r!r}")


def check_t7(case, ctx, out, intended):
    body, compat = out["body"], ctx.compat
    field = compat.get("maxTokensField", "max_tokens")
    if any(k in intended for k in TOKEN_FIELDS):
        want = intended[field] if field in intended else next(intended[k] for k in TOKEN_FIELDS if k in intended)
        got = {k: body[k] for k in TOKEN_FIELDS if k in body}
        if got != {field: want}:
            _fail(f"maxTokensField is {field!r}: expected {{{field!r}: {want!r}}}, got {got!r}")
    roles_in = [m.get("role") for m in intended.get("messages") or []]
    roles_out = [m.get("role") for m in body.get("messages") or []]
    expected_roles = roles_in if compat.get("supportsDeveloperRole", False) else [
        "system" if r == "developer" else r for r in roles_in]
    if roles_out != expected_roles:
        _fail(f"roles should be {expected_roles} (supportsDeveloperRole={compat.get('supportsDeveloperRole', False)}), got {roles_out}")
    if not compat.get("supportsStore", False) and "store" in body:
        _fail("supportsStore is false: `store` must not be sent")
    if compat.get("supportsStore", False) and "store" in intended and body.get("store") != intended["store"]:
        _fail(f"supportsStore is true: store={intended['store']!r} must pass, got {body.get('store', '<absent>')!r}")
    if not compat.get("supportsReasoningEffort", False) and "reasoning_effort" in body:
        _fail("supportsReasoningEffort is false: `reasoning_effort` must not be sent")


def check_t8(case, ctx, out, intended):
    body = out["body"]
    so_in, so_out = intended.get("stream_options"), body.get("stream_options")
    if intended.get("stream") is True and ctx.streaming_usage:
        if not (isinstance(so_out, dict) and so_out.get("include_usage") is True):
            _fail(f"{ctx.base_url} declares streaming usage: stream_options.include_usage must be true, got {so_out!r}")
        extra_in = {k: v for k, v in (so_in or {}).items() if k != "include_usage"} if isinstance(so_in, dict) else {}
        if {k: v for k, v in so_out.items() if k != "include_usage"} != extra_in:
            _fail(f"other stream_options must pass through: {so_in!r} -> {so_out!r}")
    elif so_out != so_in:
        _fail(f"stream_options must pass through here (stream={intended.get('stream')!r}, streaming usage "
              f"{ctx.streaming_usage}), {so_in!r} -> {so_out!r}")


def check_passthrough(case, ctx, out, intended):
    body = out["body"]
    for k, v in intended.items():
        if k not in GOVERNED and body.get(k, _ABSENT) != v:
            _fail(f"no rule touches {k!r}: expected {v!r}, got {body.get(k, '<absent>')!r}")
    extra = sorted(set(body) - set(intended) - {"thinking", "stream_options", "reasoning_effort", *TOKEN_FIELDS})
    if extra:
        _fail(f"fields appeared that no rule adds: {extra}")
    for i, (b, a) in enumerate(zip(intended.get("messages") or [], body.get("messages") or [])):
        if a.get("content") != b.get("content"):
            _fail(f"messages[{i}].content must pass through unchanged")


CHECKS: dict[str, Callable] = {
    "routing": check_routing, "T1": check_t1, "T2": check_t2, "T3": check_t3, "T4": check_t4,
    "T5": check_t5, "T6": check_t6, "T7": check_t7, "T8": check_t8, "passthrough": check_passthrough,
}
# T6b is "T1-T5 hold on the final body, extra body included".
CHECKS_T6B = ("T1", "T2", "T3", "T4", "T5", "passthrough")


def check(rule: str, case: dict[str, Any], ctx, out: dict[str, Any]) -> None:
    intended = intended_body(case, ctx)
    rules = CHECKS_T6B if rule == "T6b" else (rule,)
    for r in rules:
        CHECKS[r](case, ctx, out, intended)
