"""Predicates of forms.yaml about the request and its configuration: routing, thinking, keep,
tool_choice, extra bodies, sampling and fields (registered by name with `predicate`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from harness.contract.thinking import configured_type, effective
from harness.rules._form_facts import COMPARED, FIXED_SAMPLING, Facts, keep_model, mode, predicate


# ------------------------------------------------------------------------------ general
@predicate()
def always(f: Facts) -> bool:
    """every case"""
    return True


@predicate(COMPARED)
def compared_with_reference(f: Facts) -> bool:
    """the target's request was compared with the reference's (every target but the reference)"""
    return f.compared


# ------------------------------------------------------------------------------ routing
def _native(f: Facts) -> bool:
    """The base URL is Moonshot's own API (either region), whatever the provider id."""
    native = getattr(f.ctx, "moonshot_host", None)
    return bool(getattr(f.ctx, "native_host", False) if native is None else native)


@predicate()
def canonical_ref(f: Facts) -> bool:
    return f.case.get("model") == f.ctx.model.ref


@predicate()
def aliased_ref(f: Facts) -> bool:
    """the model named by an alias or legacy ref"""
    return f.case.get("model") != f.ctx.model.ref


@predicate()
def other_region(f: Facts) -> bool:
    """the built-in provider's other region (api.moonshot.cn)"""
    provider = f.case.get("provider") or {}
    return not f.ctx.custom_provider and "moonshot.cn" in str(provider.get("baseUrl", ""))


@predicate("custom_provider")
def custom_provider(f: Facts) -> bool:
    return bool(f.ctx.custom_provider)


@predicate("custom_provider")
def custom_native_host(f: Facts) -> bool:
    """a custom provider id on a native Moonshot host"""
    return bool(f.ctx.custom_provider and _native(f))


@predicate("custom_provider")
def custom_other_host(f: Facts) -> bool:
    """a custom provider on a host that is not Moonshot's"""
    return bool(f.ctx.custom_provider and not _native(f))


@predicate()
def on_moonshot_host(f: Facts) -> bool:
    """the base URL is Moonshot's own API (either region), whatever the provider id"""
    return _native(f)


@predicate("custom_provider")
def off_moonshot_host(f: Facts) -> bool:
    """a custom provider off Moonshot's hosts"""
    return not on_moonshot_host(f)


@predicate()
def native_endpoint(f: Facts) -> bool:
    return not f.ctx.custom_provider


# A host an OpenAI-compatible client treats as a local server (OpenClaw's endpoint class "local":
# openclaw/dist/provider-attribution-*.mjs isLocalEndpointHost), not its literal spelling.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
LOCAL_SUFFIXES = (".localhost", ".local", ".internal")


@predicate("custom_provider")
def local_host(f: Facts) -> bool:
    """a custom provider on a local host: loopback (localhost, 127.0.0.1, ::1) or a .localhost,
    .local or .internal name"""
    try:
        host = (urlsplit(str(f.ctx.base_url)).hostname or "").lower()
    except ValueError:
        return False
    return bool(f.ctx.custom_provider) and (host in LOCAL_HOSTS or host.endswith(LOCAL_SUFFIXES))


# ------------------------------------------------------------------------------ thinking
@predicate(model=mode("always", "effort"))
def always_thinking(f: Facts) -> bool:
    """an always-thinking model (K2.7 Code) or K3's effort mode"""
    return f.ctx.thinking_mode in ("always", "effort")


@predicate(model=mode("always"))
def always_mode(f: Facts) -> bool:
    return f.ctx.thinking_mode == "always"


@predicate(model=mode("effort"))
def effort_mode(f: Facts) -> bool:
    return f.ctx.thinking_mode == "effort"


@predicate(model=mode("always", "binary", "none"))
def not_effort_mode(f: Facts) -> bool:
    return f.ctx.thinking_mode != "effort"


@predicate(model=mode("binary", "none"))
def switchable(f: Facts) -> bool:
    """a model whose thinking follows the request (binary) or passes through (none)"""
    return f.ctx.thinking_mode in ("binary", "none")


@predicate(model=mode("binary"))
def binary_mode(f: Facts) -> bool:
    return f.ctx.thinking_mode == "binary"


@predicate(model=mode("none"))
def no_thinking_mode(f: Facts) -> bool:
    return f.ctx.thinking_mode == "none"


@predicate("thinking_level")
def has_level(f: Facts) -> bool:
    """a /think level"""
    return f.case.get("thinking") is not None


@predicate("thinking_level")
def level_off(f: Facts) -> bool:
    return f.case.get("thinking") == "off"


@predicate("thinking_level")
def level_minimal(f: Facts) -> bool:
    return f.case.get("thinking") == "minimal"


@predicate("thinking_level")
def level_xhigh(f: Facts) -> bool:
    return f.case.get("thinking") == "xhigh"


@predicate("configured_thinking")
def configured_thinking_object(f: Facts) -> bool:
    return isinstance(f.params.get("thinking"), dict)


@predicate("configured_thinking", "thinking_spellings")
def configured_thinking_bool(f: Facts) -> bool:
    return isinstance(f.params.get("thinking"), bool)


@predicate("configured_thinking", "thinking_spellings")
def configured_thinking_word(f: Facts) -> bool:
    """params.thinking as a word (on/off/enabled/…, any case)"""
    value = f.params.get("thinking")
    return isinstance(value, str) and configured_type(value) is not None


@predicate("configured_thinking", "thinking_spellings")
def configured_thinking_nonsense(f: Facts) -> bool:
    """params.thinking that is no setting ("maybe"): ignored"""
    value = f.params.get("thinking")
    return isinstance(value, str) and configured_type(value) is None


@predicate("request_thinking")
def request_thinking(f: Facts) -> bool:
    """the request's own `thinking` field"""
    return "thinking" in (f.case.get("request") or {})


@predicate()
def thinking_on(f: Facts) -> bool:
    return f.thinking_on


@predicate()
def thinking_off(f: Facts) -> bool:
    return not f.thinking_on


@predicate(model=lambda m: m.thinking.get("default") == "enabled")
def thinks_by_default(f: Facts) -> bool:
    """no thinking asked for, on a model that thinks by default (D4)"""
    return f.wanted_type is None and f.ctx.model.thinking.get("default") == "enabled"


@predicate()
def outbound_thinking_on(f: Facts) -> bool:
    """the request goes out with thinking enabled"""
    thinking = f.body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") == "enabled"


@predicate()
def outbound_thinking_effective(f: Facts) -> bool:
    """the upstream will think for the outbound body (its thinking, else the model's default)"""
    return effective(f.ctx.thinking_mode, f.body, f.ctx.model.thinking.get("default")) == "enabled"


# ------------------------------------------------------------------------------ keep (T3)
@predicate()
def keep_asked(f: Facts) -> bool:
    """thinking.keep asked for, in the configuration or the request"""
    return f.keep_asked


@predicate(model=keep_model)
def keep_capable(f: Facts) -> bool:
    """the model forwards thinking.keep (moonshot/kimi-k2.6)"""
    return f.ctx.thinking_mode == "binary" and bool(f.ctx.model.thinking.get("keep"))


@predicate()
def keep_incapable(f: Facts) -> bool:
    return not keep_capable(f)


@predicate()
def keep_all(f: Facts) -> bool:
    """keep "all" in any case or padding"""
    keep = f.keep_requested
    return isinstance(keep, str) and keep.strip().lower() == "all"


@predicate()
def keep_odd_spelling(f: Facts) -> bool:
    """keep spelled otherwise than "all" ("ALL", " all ")"""
    keep = f.keep_requested
    return isinstance(keep, str) and keep != "all" and keep.strip().lower() == "all"


@predicate()
def keep_other_value(f: Facts) -> bool:
    """keep that is not "all" ("last", null)"""
    keep = f.keep_requested
    return f.keep_asked and not (isinstance(keep, str) and keep.strip().lower() == "all")


@predicate("configured_thinking")
def keep_configured(f: Facts) -> bool:
    configured = f.params.get("thinking")
    return isinstance(configured, dict) and "keep" in configured


@predicate("request_thinking")
def keep_in_request(f: Facts) -> bool:
    thinking = (f.case.get("request") or {}).get("thinking")
    return isinstance(thinking, dict) and "keep" in thinking


@predicate("extra_body")
def keep_in_extra_body(f: Facts) -> bool:
    thinking = f.extra_body.get("thinking")
    return isinstance(thinking, dict) and "keep" in thinking


# ------------------------------------------------------------------------------ tool_choice
@predicate()
def has_tool_choice(f: Facts) -> bool:
    return "tool_choice" in f.intended


@predicate()
def tool_choice_auto(f: Facts) -> bool:
    return f.tool_choice == "auto"


@predicate()
def tool_choice_none(f: Facts) -> bool:
    return f.tool_choice == "none"


@predicate()
def tool_choice_absent(f: Facts) -> bool:
    return f.tool_choice is None


@predicate()
def tool_choice_compatible(f: Facts) -> bool:
    """tool_choice auto or none"""
    return f.tool_choice in ("auto", "none")


@predicate()
def tool_choice_required(f: Facts) -> bool:
    return f.tool_choice == "required"


@predicate()
def tool_choice_pinned(f: Facts) -> bool:
    """tool_choice naming one function"""
    tc = f.tool_choice
    return isinstance(tc, dict) and tc.get("type") == "function" and isinstance(tc.get("function"), dict)


@predicate()
def tool_choice_incompatible(f: Facts) -> bool:
    """tool_choice required or a pinned function"""
    return tool_choice_required(f) or tool_choice_pinned(f)


# ------------------------------------------------------------------------------ extra body (T6b)
@predicate("extra_body")
def has_extra_body(f: Facts) -> bool:
    return bool(f.extra_body)


@predicate("extra_body")
def extra_body_thinking(f: Facts) -> bool:
    return "thinking" in f.extra_body


@predicate("extra_body")
def extra_body_tool_choice_required(f: Facts) -> bool:
    return f.extra_body.get("tool_choice") == "required"


@predicate("extra_body")
def extra_body_pinned_tool_choice(f: Facts) -> bool:
    tc = f.extra_body.get("tool_choice")
    return isinstance(tc, dict) and tc.get("type") == "function"


@predicate("extra_body", "stream")
def extra_body_stream(f: Facts) -> bool:
    return "stream" in f.extra_body


@predicate("extra_body")
def extra_body_model(f: Facts) -> bool:
    return "model" in f.extra_body


@predicate("extra_body")
def extra_body_sampling(f: Facts) -> bool:
    return any(k in f.extra_body for k in FIXED_SAMPLING)


@predicate("extra_body")
def extra_body_vendor_field(f: Facts) -> bool:
    """an extra-body field no rule governs (x_gateway_tag)"""
    from harness.rules._common import GOVERNED

    return any(k not in GOVERNED and k not in ("stream", "tools") for k in f.extra_body)


# ------------------------------------------------------------------------------ sampling, fields
@predicate()
def fixed_sampling(f: Facts) -> bool:
    """temperature, top_p, n or a penalty set"""
    return any(k in f.intended for k in FIXED_SAMPLING)


@predicate("params_sampling")
def configured_sampling(f: Facts) -> bool:
    """a configured params.temperature / top_p"""
    return any(k in f.params for k in FIXED_SAMPLING)


@predicate()
def kept_fields(f: Facts) -> bool:
    """stop, seed or logprobs set"""
    return any(k in f.intended for k in ("stop", "seed", "logprobs"))


@predicate()
def thinking_controls(f: Facts) -> bool:
    """thinking or reasoning_effort in the intended body"""
    return any(k in f.intended for k in ("thinking", "reasoning_effort", "reasoningEffort"))


@predicate()
def token_limit(f: Facts) -> bool:
    return "max_tokens" in f.intended or "max_completion_tokens" in f.intended


@predicate()
def max_completion_tokens(f: Facts) -> bool:
    return "max_completion_tokens" in f.intended


@predicate()
def both_token_fields(f: Facts) -> bool:
    return "max_tokens" in f.intended and "max_completion_tokens" in f.intended


@predicate("compat")
def compat_max_completion_tokens(f: Facts) -> bool:
    """compat.maxTokensField: max_completion_tokens"""
    return f.ctx.compat.get("maxTokensField") == "max_completion_tokens"


@predicate("developer_role")
def developer_message(f: Facts) -> bool:
    return any(m.get("role") == "developer" for m in f.messages)


@predicate("developer_role", "compat")
def developer_role_supported(f: Facts) -> bool:
    return bool(f.ctx.compat.get("supportsDeveloperRole"))


@predicate()
def developer_role_unsupported(f: Facts) -> bool:
    return not f.ctx.compat.get("supportsDeveloperRole")


@predicate("store")
def store_set(f: Facts) -> bool:
    return "store" in f.intended


@predicate("compat")
def store_supported(f: Facts) -> bool:
    return bool(f.ctx.compat.get("supportsStore"))


@predicate()
def store_unsupported(f: Facts) -> bool:
    return not f.ctx.compat.get("supportsStore")


@predicate("reasoning_effort")
def request_reasoning_effort(f: Facts) -> bool:
    return "reasoning_effort" in (f.case.get("request") or {})


@predicate("compat")
def reasoning_effort_supported(f: Facts) -> bool:
    return bool(f.ctx.compat.get("supportsReasoningEffort"))


@predicate()
def reasoning_effort_unsupported(f: Facts) -> bool:
    return not f.ctx.compat.get("supportsReasoningEffort")


@predicate()
def effort_or_level(f: Facts) -> bool:
    """reasoning_effort in the body as the caller meant it, or a /think level"""
    return "reasoning_effort" in f.intended or f.case.get("thinking") is not None


@predicate()
def has_tools(f: Facts) -> bool:
    return bool(f.intended.get("tools"))


@predicate()
def ungoverned_field(f: Facts) -> bool:
    """a request field no rule governs (tools, stream, user, stop, …)"""
    from harness.rules._common import GOVERNED

    return any(k not in GOVERNED for k in f.intended)


@predicate()
def vendor_field(f: Facts) -> bool:
    """a field the API does not define (x_trace_id)"""
    return "x_trace_id" in f.intended


@predicate()
def response_format(f: Facts) -> bool:
    return "response_format" in f.intended
