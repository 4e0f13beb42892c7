"""Hypothesis strategies for what a user configures around a request: params (thinking in every
spelling, keep, extra bodies that fight the rules) and the provider (either region, or a custom
OpenAI-compatible one with its compat flags)."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import strategies as st

from harness.generation.history import BOOL

NATIVE_HOSTS = ("https://api.moonshot.ai/v1", "https://api.moonshot.cn/v1")
OTHER_HOSTS = ("https://gateway.example.test/v1", "http://127.0.0.1:8080/v1")
QUARTER = st.integers(0, 3)  # 0 with probability 1/4
THIRD = st.integers(0, 2)  # 0 with probability 1/3
PARAM_TEMPERATURE = st.sampled_from([0.2, 0.7])


@cache
def thinking_object(with_type: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    keep = st.sampled_from(["all", "ALL", "All", None, "last", " all "])
    types = st.sampled_from(["enabled", "disabled"])
    return st.one_of(
        st.fixed_dictionaries({"type": types}),
        st.fixed_dictionaries({"type": types, "keep": keep}),
        *([st.fixed_dictionaries({"keep": keep})] if not with_type else []),
    )


@cache
def configured_thinking(spellings: bool = True) -> st.SearchStrategy[Any]:
    """params.thinking in every spelling OpenClaw accepts, and some it should ignore (without
    `spellings`: the object form only, for targets whose config has no other)."""
    if not spellings:
        return st.one_of(thinking_object(with_type=False), st.none())
    return st.one_of(
        thinking_object(with_type=False),
        st.booleans(),
        st.sampled_from(["enabled", "on", "true", "disabled", "off", "false", "ENABLED", "Off", "maybe"]),
        st.just("maybe"),  # a word that is no setting, on its own branch: drawn often enough to be seen
        st.none(),
    )


@cache
def extra_body() -> st.SearchStrategy[dict[str, Any]]:
    """Extra bodies that fight the rules (T6b) as users' configs do, and harmless ones."""
    return st.one_of(
        st.fixed_dictionaries({"thinking": thinking_object()}),
        st.just({"tool_choice": "required"}),
        st.just({"temperature": 0.2, "top_p": 0.9}),
        st.fixed_dictionaries({"thinking": thinking_object(), "tool_choice": st.sampled_from(["required", "auto"])}),
        st.just({"x_gateway_tag": "blue"}),
    )


@cache
def keep_object() -> st.SearchStrategy[dict[str, Any]]:
    """A configured thinking object that asks for keep, in the spellings users write."""
    return st.fixed_dictionaries(
        {"keep": st.sampled_from(["all", "ALL", "All", " all ", None, "last"])},
        optional={"type": st.sampled_from(["enabled", "disabled"])},
    )


@st.composite
def params(draw, features: frozenset[str], require: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    return _params(draw, features, require)


def _params(draw, features: frozenset[str], require: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    if not require & {"keep", "configured_thinking"} and draw(QUARTER) == 0:
        return None
    out: dict[str, Any] = {}
    if "configured_thinking" not in features:
        pass  # the target has no per-model params.thinking to configure
    elif "keep" in require:
        out["thinking"] = draw(keep_object())
    elif "configured_thinking" in require or draw(THIRD):
        out["thinking"] = draw(configured_thinking("thinking_spellings" in features))
    if "params_sampling" in features and draw(QUARTER) == 0:
        out["temperature"] = draw(PARAM_TEMPERATURE)
    if "extra_body" in features and draw(THIRD) == 0:
        out["extra_body"] = draw(extra_body())
    return out


@st.composite
def provider(
    draw, features: frozenset[str], provider_id: str, require: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    return _provider(draw, features, provider_id, require)


PROVIDER_CHOICE = st.integers(0, 5)  # 0-2: the model's own provider (1: its other region); 3-5: custom
CUSTOM_PROVIDER_CHOICE = st.sampled_from([1, 3, 4, 5])
CUSTOM_ID = st.sampled_from(["my-kimi", "kimi-proxy"])
BASE_URL = st.sampled_from(NATIVE_HOSTS + OTHER_HOSTS)
COMPAT = st.fixed_dictionaries(
    {},
    optional={
        "maxTokensField": st.sampled_from(["max_tokens", "max_completion_tokens"]),
        "supportsDeveloperRole": st.booleans(),
        "supportsReasoningEffort": st.booleans(),
        "supportsStore": st.booleans(),
    },
)


def _provider(
    draw, features: frozenset[str], provider_id: str, require: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    choice = draw(CUSTOM_PROVIDER_CHOICE if "provider" in require else PROVIDER_CHOICE)
    if choice <= 2 or "custom_provider" not in features:
        if choice == 1 and provider_id == "moonshot":
            return {"id": "moonshot", "baseUrl": NATIVE_HOSTS[1]}  # the China region of the built-in provider
        return None
    custom: dict[str, Any] = {
        "id": draw(CUSTOM_ID),
        "baseUrl": draw(BASE_URL),
        "api": "openai-completions",
    }
    if draw(BOOL):
        custom["sanitizeToolCallIds"] = draw(BOOL) and "sanitize_switch" in features
    if "compat" in features and ("compat" in require or draw(BOOL)):
        custom["compat"] = draw(COMPAT)
    return custom
