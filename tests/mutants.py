"""Deliberately broken implementations of the contract, one bug each.

Every mutant is a `transform(case)` callable usable as `--kimi-target python:tests.mutants:NAME`.
tests/test_mutation.py runs the suites against each and asserts the suites catch it: a property
suite that passes a broken implementation is not testing anything.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from harness.contract.case import context
from harness.contract.intended import intended_body
from harness.reference import transform as reference

MUTANTS: dict[str, str] = {}  # name -> the bug it carries, prefixed by the rule it breaks
CHECKS: dict[str, str] = {}  # name -> the check id that must name the bug (where one check does)
SUITE_MODULES = {
    "T1": "test_t1_always_thinking.py",
    "T2": "test_t2_binary_thinking.py",
    "T3": "test_t3_thinking_keep.py",
    "T4": "test_t4_tool_choice.py",
    "T5": "test_t5_reasoning_content.py",
    "T6": "test_t6_tool_call_ids.py",
    "T6b": "test_t6b_extra_body.py",
    "T7": "test_t7_compat.py",
    "T8": "test_t8_stream_usage.py",
    "routing": "test_routing.py",
    "pass-through": "test_passthrough.py",
    "robustness": "test_t6_tool_call_ids.py",
    "errors": "test_errors.py",
}


def suite_module(name: str) -> str:
    """The suite module that must catch mutant `name`: its own rule's."""
    return SUITE_MODULES[MUTANTS[name].split(":")[0]]


def mutant(bug: str, check: str | None = None):
    def register(fn: Callable) -> Callable:
        MUTANTS[fn.__name__] = bug
        if check:
            CHECKS[fn.__name__] = check
        return fn

    return register


def _post(case, fix: Callable[[dict, Any, dict], None]) -> dict:
    """The reference's answer, then one wrong step."""
    out = reference(case)
    fix(out["body"], context(case), intended_body(case, context(case)))
    return out


def _mode(case) -> str:
    return context(case).thinking_mode


# ---------------------------------------------------------------------------------- T1
@mutant("T1: K2.7 keeps the caller's temperature")
def t1_keeps_temperature(case):
    def fix(body, ctx, intended):
        if ctx.thinking_mode == "always" and "temperature" in intended:
            body["temperature"] = intended["temperature"]

    return _post(case, fix)


@mutant("T1: K2.7 also drops stop and seed")
def t1_drops_stop_and_seed(case):
    def fix(body, ctx, intended):
        if ctx.thinking_mode == "always":
            body.pop("stop", None)
            body.pop("seed", None)

    return _post(case, fix)


@mutant("T1: K2.7 keeps tool_choice 'required'")
def t1_keeps_required(case):
    def fix(body, ctx, intended):
        if ctx.thinking_mode == "always" and intended.get("tool_choice") == "required":
            body["tool_choice"] = "required"

    return _post(case, fix)


@mutant("T1: sampling overrides stripped on every model, not just always-thinking ones")
def t1_strips_everywhere(case):
    def fix(body, ctx, intended):
        for k in ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty"):
            body.pop(k, None)

    return _post(case, fix)


# ---------------------------------------------------------------------------------- T2
@mutant("T2: the /think level wins over a configured params.thinking")
def t2_level_beats_config(case):
    if case.get("thinking") is not None:
        case = copy.deepcopy(case)
        (case.get("params") or {}).pop("thinking", None)
    return reference(case)


@mutant("T2: configured booleans and words (on/off/true/false) are not understood")
def t2_words_ignored(case):
    params = case.get("params") or {}
    if isinstance(params.get("thinking"), (bool, str)):
        case = copy.deepcopy(case)
        case["params"].pop("thinking")
    return reference(case)


@mutant("T2: /think minimal counts as off")
def t2_minimal_is_off(case):
    if case.get("thinking") == "minimal":
        case = {**case, "thinking": "off"}
    return reference(case)


# ---------------------------------------------------------------------------------- T3
@mutant("T3: thinking.keep forwarded for every binary model, not only kimi-k2.6")
def t3_keep_everywhere(case):
    def fix(body, ctx, intended):
        keep = (case.get("params") or {}).get("thinking") or {}
        if (
            ctx.thinking_mode == "binary"
            and isinstance(keep, dict)
            and isinstance(keep.get("keep"), str)
            and isinstance(body.get("thinking"), dict)
            and body["thinking"].get("type") == "enabled"
        ):
            body["thinking"]["keep"] = "all"

    return _post(case, fix)


@mutant("T3: keep 'ALL' is forwarded as written, not normalized")
def t3_keep_not_normalized(case):
    def fix(body, ctx, intended):
        configured = (case.get("params") or {}).get("thinking")
        if (
            isinstance(body.get("thinking"), dict)
            and body["thinking"].get("keep") == "all"
            and isinstance(configured, dict)
            and isinstance(configured.get("keep"), str)
        ):
            body["thinking"]["keep"] = configured["keep"]

    return _post(case, fix)


@mutant("T3: keep survives when a pinned tool disabled thinking")
def t3_keep_when_disabled(case):
    def fix(body, ctx, intended):
        configured = (case.get("params") or {}).get("thinking")
        if (
            ctx.model.thinking.get("keep")
            and isinstance(configured, dict)
            and configured.get("keep") == "all"
            and isinstance(body.get("thinking"), dict)
            and body["thinking"].get("type") == "disabled"
        ):
            body["thinking"]["keep"] = "all"

    return _post(case, fix)


# ---------------------------------------------------------------------------------- T4
@mutant("T4: tool_choice 'required' kept under thinking")
def t4_required_kept(case):
    def fix(body, ctx, intended):
        if ctx.thinking_mode == "binary" and intended.get("tool_choice") == "required":
            body["tool_choice"] = "required"

    return _post(case, fix)


@mutant("T4: a pinned tool is broadened to auto instead of disabling thinking")
def t4_pinned_broadened(case):
    def fix(body, ctx, intended):
        tc = intended.get("tool_choice")
        if (
            ctx.thinking_mode == "binary"
            and isinstance(tc, dict)
            and body.get("tool_choice") == tc
            and (body.get("thinking") or {}).get("type") == "disabled"
        ):
            body["tool_choice"] = "auto"
            body["thinking"] = {"type": "enabled"}

    return _post(case, fix)


# ---------------------------------------------------------------------------------- T5
@mutant("T5: no reasoning_content backfill")
def t5_no_backfill(case):
    def fix(body, ctx, intended):
        for before, after in zip(intended["messages"], body["messages"]):
            if "reasoning_content" not in before:
                after.pop("reasoning_content", None)

    return _post(case, fix)


@mutant("T5: backfills ' ' (LiteLLM's value) instead of ''")
def t5_backfills_space(case):
    def fix(body, ctx, intended):
        for before, after in zip(intended["messages"], body["messages"]):
            if before.get("reasoning_content") is None and after.get("reasoning_content") == "":
                after["reasoning_content"] = " "

    return _post(case, fix)


# ---------------------------------------------------------------------------------- T6
def _ids(case, rename: Callable[[str, int, dict], str]) -> dict:
    """The reference's answer with tool-call ids re-derived from the raw ids by `rename`."""
    out = reference(case)
    raw = intended_body(case, context(case))["messages"]
    if context(case).tool_call_ids == "none":
        return out
    seen: dict[str, int] = {}
    for before, after in zip(raw, out["body"]["messages"]):
        for b, a in zip(before.get("tool_calls") or [], after.get("tool_calls") or []):
            seen[b["id"]] = seen.get(b["id"], 0) + 1
            a["id"] = rename(b["id"], seen[b["id"]], seen)
        if before.get("role") == "tool":
            after["tool_call_id"] = rename(before["tool_call_id"], 0, seen)
    return out


@mutant("T6: duplicates are not rewritten")
def t6_no_dedupe(case):
    return _ids(case, lambda raw, n, seen: raw)


@mutant("T6: tool results keep their raw id while calls are renamed")
def t6_results_not_remapped(case):
    out = reference(case)
    raw = intended_body(case, context(case))["messages"]
    for before, after in zip(raw, out["body"]["messages"]):
        if before.get("role") == "tool":
            after["tool_call_id"] = before["tool_call_id"]
    return out


@mutant("T6: every id rewritten, the first native occurrence included")
def t6_rewrites_first_native(case):
    return _ids(case, lambda raw, n, seen: f"call_{abs(hash((raw, n or seen.get(raw, 0)))) % 10**12}")


@mutant("T6: duplicates get random ids (not deterministic)")
def t6_random_ids(case):
    out = reference(case)
    renamed: dict[str, str] = {}
    for m in out["body"]["messages"]:
        for c in m.get("tool_calls") or []:
            if c["id"].startswith("call_") and len(c["id"]) == 29:
                renamed[c["id"]] = c["id"] = "call_" + uuid.uuid4().hex[:24]
        if m.get("role") == "tool" and m["tool_call_id"] in renamed:
            m["tool_call_id"] = renamed[m["tool_call_id"]]
    return out


# ---------------------------------------------------------------------------------- T6b
@mutant("T6b: extra body applied after the rules (OpenClaw's ordering)")
def t6b_extra_body_last(case):
    extra = (case.get("params") or {}).get("extra_body")
    out = reference({**case, "params": {**(case.get("params") or {}), "extra_body": None}} if extra else case)
    if extra:
        out["body"].update(copy.deepcopy(extra))
    return out


# ---------------------------------------------------------------------------------- T7
@mutant("T7: developer role sent although supportsDeveloperRole is false")
def t7_developer_kept(case):
    def fix(body, ctx, intended):
        for before, after in zip(intended["messages"], body["messages"]):
            if before["role"] == "developer":
                after["role"] = "developer"

    return _post(case, fix)


@mutant("T7: store sent although supportsStore is false")
def t7_store_kept(case):
    def fix(body, ctx, intended):
        if "store" in intended:
            body["store"] = intended["store"]

    return _post(case, fix)


@mutant("T7: maxTokensField ignored (the caller's field goes out)")
def t7_token_field_ignored(case):
    def fix(body, ctx, intended):
        for k in ("max_tokens", "max_completion_tokens"):
            body.pop(k, None)
        for k in ("max_tokens", "max_completion_tokens"):
            if k in intended:
                body[k] = intended[k]

    return _post(case, fix)


# ---------------------------------------------------------------------------------- T8
@mutant("T8: include_usage only for the provider id 'moonshot' (matches the id, not the endpoint)")
def t8_matches_provider_id(case):
    def fix(body, ctx, intended):
        if ctx.custom_provider:
            if "stream_options" in intended:
                body["stream_options"] = intended["stream_options"]
            else:
                body.pop("stream_options", None)

    return _post(case, fix)


@mutant("T8: include_usage never added")
def t8_never(case):
    def fix(body, ctx, intended):
        if "stream_options" in intended:
            body["stream_options"] = intended["stream_options"]
        else:
            body.pop("stream_options", None)

    return _post(case, fix)


# ---------------------------------------------------------------------------------- routing / pass-through
@mutant("routing: the China endpoint is ignored")
def routing_ignores_region(case):
    out = reference(case)
    out["url"] = out["url"].replace("api.moonshot.cn", "api.moonshot.ai")
    return out


@mutant("routing: legacy refs go out under their legacy id")
def routing_legacy_id(case):
    out = reference(case)
    out["body"]["model"] = case["model"].split("/")[-1]
    return out


@mutant("pass-through: unknown fields dropped")
def passthrough_drops_unknown(case):
    out = reference(case)
    for k in ("x_trace_id", "user", "response_format"):
        out["body"].pop(k, None)
    return out


@mutant("robustness: crashes on a history with tool calls")
def crashes_on_tools(case):
    if any(m.get("tool_calls") for m in case["request"]["messages"]):
        raise RuntimeError("boom")
    return reference(case)


@mutant("errors: a malformed case is sent anyway, with whatever it holds")
def accepts_malformed(case):
    return sending_anyway(reference)(case)


def sending_anyway(transform: Callable[[Any], dict]) -> Callable[[Any], dict]:
    """`transform`, broken the way `accepts_malformed` is: a case it refuses goes out anyway, its
    request as the body (the broken driver variant of the tests of every real target's `errors`)."""

    def broken(case):
        try:
            return transform(case)
        except Exception:
            return {
                "method": "POST",
                "url": "https://api.moonshot.ai/v1/chat/completions",
                "headers": {},
                "body": dict(case.get("request") or {}) if isinstance(case, dict) else {},
            }

    return broken


# ------------------------------------------------------------------ contract decisions D1-D5
@mutant("T6: a custom provider id on a native host sends duplicate ids (D1)", check="T6.unique")
def d1_custom_native_dupes_kept(case):
    out = reference(case)
    ctx = context(case)
    if ctx.tool_call_ids == "unique":  # put the raw ids back
        for m, raw in zip(out["body"]["messages"], intended_body(case, ctx)["messages"]):
            for call, raw_call in zip(m.get("tool_calls") or [], raw.get("tool_calls") or []):
                call["id"] = raw_call["id"]
            if "tool_call_id" in raw:
                m["tool_call_id"] = raw["tool_call_id"]
    return out


@mutant(
    "T4: Kimi Coding keeps tool_choice 'required' under enabled thinking (D2)", check="T4.incompatible-under-thinking"
)
def d2_kimi_required_kept(case):
    def fix(body, ctx, intended):
        if (
            ctx.thinking_mode == "none"
            and intended.get("tool_choice") == "required"
            and ctx.model.thinking.get("default") is None
        ):
            body["tool_choice"] = "required"

    return _post(case, fix)


@mutant("T7: the /think level goes out verbatim as reasoning_effort (D3)", check="T7.reasoning-effort-level")
def d3_level_verbatim(case):
    def fix(body, ctx, intended):
        level = case.get("thinking")
        if (
            ctx.thinking_mode in ("binary", "none")
            and ctx.compat.get("supportsReasoningEffort")
            and level not in (None, "off")
        ):
            body["reasoning_effort"] = level

    return _post(case, fix)


@mutant(
    "T7: a K2.x level on a Moonshot host goes out as thinking and reasoning_effort (D3 before its amendment)",
    check="T7.thinking-and-effort",
)
def d3_both_on_moonshot_host(case):
    # What the reference sent until issue #27: the 400 "cannot specify both" (HKUDS/nanobot#3939).
    from harness.rules.t7_compat import LEVEL_EFFORT

    def fix(body, ctx, intended):
        effort = LEVEL_EFFORT.get(case.get("thinking") or "")
        if ctx.thinking_mode == "binary" and ctx.compat.get("supportsReasoningEffort") and effort:
            body["reasoning_effort"] = effort

    return _post(case, fix)


@mutant(
    "T7: /think off on a K2.x turns thinking off with reasoning_effort 'none' (a 400 on K2.5/K2.6)",
    check="T7.reasoning-effort-native",
)
def d3_off_as_effort_none(case):
    def fix(body, ctx, intended):
        if (
            ctx.thinking_mode == "binary"
            and case.get("thinking") == "off"
            and ctx.compat.get("supportsReasoningEffort")
        ):
            body.pop("thinking", None)
            body["reasoning_effort"] = "none"

    return _post(case, fix)


@mutant(
    "T4: a model thinking by default keeps 'required' without a thinking field (D4)",
    check="T4.incompatible-under-thinking",
)
def d4_default_thinking_ignored(case):
    def fix(body, ctx, intended):
        if (
            intended.get("tool_choice") == "required"
            and "thinking" not in body
            and ctx.thinking_mode in ("binary", "none")
        ):
            body["tool_choice"] = "required"

    return _post(case, fix)


@mutant("pass-through: message content tidied (whitespace stripped, D5)", check="passthrough.content")
def d5_content_tidied(case):
    out = reference(case)
    for m in out["body"].get("messages") or []:
        if isinstance(m.get("content"), str):
            m["content"] = m["content"].strip()
    return out


__all__ = sorted(MUTANTS) + ["CHECKS", "MUTANTS", "suite_module"]
