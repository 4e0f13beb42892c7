"""What a user configures around a request, read from drawn choices (harness.generation.choices):
params (thinking in every spelling, keep, extra bodies that fight the rules) and the provider
(either region, or a custom OpenAI-compatible one with its compat flags)."""

from __future__ import annotations

from typing import Any

from harness.generation.choices import Choices

NATIVE_HOSTS = ("https://api.moonshot.ai/v1", "https://api.moonshot.cn/v1")
# A custom provider's host off Moonshot's API comes from a wide space (names under several TLDs,
# private and public IPs, loopback and .local/.internal names; ports; paths), so a known
# divergence whose `when` names a few hosts instead of a property of the case ("not a Moonshot
# host", "a local host") stops covering generated cases. Names avoid the vendor hosts clients
# detect by URL (api.moonshot., deepseek.com, api.x.ai, ...): those are other providers.
OTHER_HOST_NAMES = (
    (
        "gateway.example.test",
        "llm-proxy.example.com",
        "kimi.example.org",
        "ai-gw.corp.example.net",
        "models.example.io",
    ),
    ("127.0.0.1", "localhost", "[::1]", "vllm.internal", "ollama.local"),
    ("10.0.0.7", "192.168.1.20", "172.16.4.2", "203.0.113.9", "198.51.100.23"),
)
OTHER_HOST_PORTS = ("", ":8080", ":4000", ":8443", ":11434")
OTHER_HOST_PATHS = ("/v1", "/api/v1", "/openai/v1", "/llm/kimi/v1")
BASE_URL_BYTES = 6
KEEPS = ("all", "ALL", "All", None, "last", " all ")
TYPES = ("enabled", "disabled")
# params.thinking as words: what OpenClaw accepts, and some it should ignore
WORDS = ("enabled", "on", "true", "disabled", "off", "false", "ENABLED", "Off", "maybe")
THINKING_BYTES = 3  # form, type, keep


def thinking_object(c: Choices, with_type: bool = True) -> dict[str, Any]:
    """{"type"}, {"type", "keep"}, or (configured, without type) {"keep"} alone."""
    form, kind, keep = c.below(2 if with_type else 3), c.pick(TYPES), c.pick(KEEPS)
    return ({"type": kind}, {"type": kind, "keep": keep}, {"keep": keep})[form]


CONFIGURED_BYTES = 1 + THINKING_BYTES


def configured_thinking(c: Choices, spellings: bool = True) -> Any:
    """params.thinking in every spelling OpenClaw accepts, and some it should ignore (without
    `spellings`: the object form or null only, for targets whose config has no other)."""
    form, rest = c.below(5 if spellings else 2), c.block(THINKING_BYTES)
    if not spellings:
        return thinking_object(rest, with_type=False) if form == 0 else None
    if form == 0:
        return thinking_object(rest, with_type=False)
    if form == 1:
        return rest.chance(1, 2)
    if form == 2:
        return rest.pick(WORDS)
    return "maybe" if form == 3 else None  # a word that is no setting, on its own branch: seen often


EXTRA_BODY_BYTES = 1 + THINKING_BYTES + 1


def _pinned() -> dict[str, Any]:
    return {"type": "function", "function": {"name": "read"}}  # fresh: a target may change what it gets


# Another model's id in an extra body: the canonical id of the case's model must still go out.
OTHER_MODEL = "kimi-k2-turbo-preview"


def extra_body(c: Choices, features: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Extra bodies that fight the rules (T6b) as users' configs do, and harmless ones: thinking,
    `required` or a pinned tool_choice, sampling, `stream` (where the target can stream), the model."""
    form, thinking = c.below(8), thinking_object(c.block(THINKING_BYTES))
    choice = c.pick(("required", "auto", "pinned"))
    tool_choice = _pinned() if choice == "pinned" else choice
    stream: dict[str, Any] = {"stream": True} if "stream" in features else {"x_gateway_tag": "green"}
    return (
        {"thinking": thinking},
        {"tool_choice": "required"},
        {"temperature": 0.2, "top_p": 0.9},
        {"thinking": thinking, "tool_choice": tool_choice},
        {"x_gateway_tag": "blue"},
        {"tool_choice": _pinned()},
        stream,
        {"model": OTHER_MODEL},
    )[form]


KEEP_BYTES = 3


def keep_object(c: Choices) -> dict[str, Any]:
    """A configured thinking object that asks for keep, in the spellings users write."""
    keep, typed, kind = c.pick(KEEPS), c.chance(1, 2), c.pick(TYPES)
    return {"keep": keep, "type": kind} if typed else {"keep": keep}


PARAMS_BYTES = 2 + max(CONFIGURED_BYTES, KEEP_BYTES) + 2 + 1 + EXTRA_BODY_BYTES


def params(c: Choices, features: frozenset[str], require: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    absent, thinking_drawn, thinking = c.below(3) == 0, c.below(3) > 0, c.block(max(CONFIGURED_BYTES, KEEP_BYTES))
    temperature, temperature_value = c.chance(1, 4), c.pick((0.2, 0.7))
    with_extra_body, body = c.chance(1, 2), c.block(EXTRA_BODY_BYTES)
    if absent and not require & {"keep", "configured_thinking"}:
        return None
    out: dict[str, Any] = {}
    if "configured_thinking" not in features:
        pass  # the target has no per-model params.thinking to configure
    elif "keep" in require:
        out["thinking"] = keep_object(thinking)
    elif "configured_thinking" in require or thinking_drawn:
        out["thinking"] = configured_thinking(thinking, "thinking_spellings" in features)
    if "params_sampling" in features and temperature:
        out["temperature"] = temperature_value
    if "extra_body" in features and with_extra_body:
        out["extra_body"] = extra_body(body, features)
    return out


# 0-2: the model's own provider (1: its other region, weighs double); 3-5: custom. Focused: 1, 3-5.
PROVIDER_CHOICES = {False: (0, 0, 1, 1, 2, 3, 4, 5), True: (1, 3, 4, 5)}
COMPAT = (
    ("maxTokensField", ("max_tokens", "max_completion_tokens")),
    ("supportsDeveloperRole", (False, True)),
    ("supportsReasoningEffort", (False, True)),
    ("supportsStore", (False, True)),
)
PROVIDER_BYTES = 5 + BASE_URL_BYTES + 2 * len(COMPAT)


def base_url(c: Choices) -> str:
    """A custom provider's base URL: a native Moonshot host half the time (either region), else a
    host of the wide space above (BASE_URL_BYTES decisions, each read whatever is chosen)."""
    where, kind, name = c.below(4), c.below(len(OTHER_HOST_NAMES)), c.below(5)
    port, path, plain = c.pick(OTHER_HOST_PORTS), c.pick(OTHER_HOST_PATHS), c.chance(1, 3)
    if where < len(NATIVE_HOSTS):
        return NATIVE_HOSTS[where]
    return f"{'http' if plain else 'https'}://{OTHER_HOST_NAMES[kind][name]}{port}{path}"


def provider(
    c: Choices, features: frozenset[str], provider_id: str, require: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    # A tool-history suite meets every id policy (T6: moonshot, unique, strict, none) often: its
    # cases go to custom providers as often as a provider-focused suite's.
    choice = c.pick(PROVIDER_CHOICES[bool(require & {"provider", "tool_history"})])
    custom_id, url = c.pick(("my-kimi", "kimi-proxy")), base_url(c.block(BASE_URL_BYTES))
    # a tool-history suite switches strict ids on more often: their charset meets odd ids there
    strict = (3, 4) if "tool_history" in require else (1, 2)
    sanitize, sanitize_value, compat = c.chance(1, 2), c.chance(*strict), c.chance(1, 2)
    if choice <= 2 or "custom_provider" not in features:
        if choice == 1 and provider_id == "moonshot":
            return {"id": "moonshot", "baseUrl": NATIVE_HOSTS[1]}  # the China region of the built-in provider
        return None
    custom: dict[str, Any] = {"id": custom_id, "baseUrl": url, "api": "openai-completions"}
    if sanitize:
        custom["sanitizeToolCallIds"] = sanitize_value and "sanitize_switch" in features
    if "compat" in features and ("compat" in require or compat):
        flags = {}
        for key, values in COMPAT:
            present, value = c.chance(1, 2), c.pick(values)
            if present:
                flags[key] = value
        custom["compat"] = flags
    return custom
