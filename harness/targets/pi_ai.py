"""The real pi-ai (npm `@mariozechner/pi-ai`, pinned in harness/targets/node/pi-ai/package.json).

pi-ai is the upstream LLM library OpenClaw's `@openclaw/ai` grew out of. `--target pi-ai`
drives its own openai-completions provider (`streamSimpleOpenAICompletions`) in a persistent Node
worker (harness/targets/node/pi-ai/worker.mjs) that captures the outbound request on a loopback
server. Install with `tox -e pi-ai` or `python -m harness.targets.node.install pi-ai`.

What pi-ai can express: a model (id, provider id, baseUrl, optional `compat`), a context
(system prompt, messages, tools) and stream options (temperature, maxTokens, toolChoice, the
`reasoning` level, `onPayload`). It has no configured per-model params (so no
`params.thinking` / `params.extra_body`: T2, T3 and T6b are not applicable), no Kimi Coding
provider, and no Moonshot thinking wrapper — its Moonshot handling is only the compat it
detects from the base URL (`api.moonshot.`): max_tokens, no store, no developer role, no
reasoning_effort, no strict tool schemas. The rules that still apply (T1, T4, T5, T6, T7, T8, ...)
judge what pi-ai sends for the inputs it does take.

Kimi Coding: `kimi/kimi-for-coding` runs through pi-ai's own `kimi-coding` model entry and its
`anthropic-messages` transport (`streamSimpleAnthropic`); the answer is the Anthropic Messages
request, held to `harness.reference.anthropic_messages` by suites/test_anthropic_messages.py.
Request fields that transport has no option for are "unsupported" — `tool_choice` among them
(streamSimpleAnthropic keeps only buildBaseOptions' fields). The other kimi/ refs say why not.
"""

from __future__ import annotations

from typing import Any

from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities, NotExpressible
from harness.targets.node_worker import NodeWorkerTarget
from harness.targets.openclaw import KIMI_REFS, with_row

NO_PARAMS = (
    "pi-ai has no configured per-model params (OpenClaw's agents.defaults.models[ref].params): "
    "params.thinking / params.extra_body cannot be expressed"
)

# pi-ai 0.73.1 ships a `kimi-coding` provider (api anthropic-messages, https://api.kimi.com/coding,
# User-Agent KimiCLI/1.5) with the models kimi-for-coding and kimi-k2-thinking (models.generated.js).
KIMI_DRIVEN = ("kimi/kimi-for-coding",)
_NOT_LISTED = "pi-ai 0.73.1's kimi-coding provider lists only kimi-for-coding and kimi-k2-thinking, not {}"
NO_NIX_KIMI = (
    "nix-openclaw's kimi models speak openai-completions at https://api.kimi.com/coding/v1; pi-ai has no "
    "such provider (its kimi-coding provider is Anthropic Messages)"
)
KIMI_NOT_DRIVEN = {
    "kimi/kimi-for-coding-highspeed": _NOT_LISTED.format("kimi-for-coding-highspeed"),
    "kimi/k3": _NOT_LISTED.format("k3"),
    "kimi/k3-256k": _NOT_LISTED.format("k3-256k"),
    "kimi/kimi-k2-thinking": NO_NIX_KIMI + " (its kimi-coding/kimi-k2-thinking is an Anthropic model; the catalog's "
    "kimi/kimi-k2-thinking is nix-openclaw's, retired)",
}

# What the worker still does in pi-ai's place (docs/guides/real-targets.md); pinned against fresh
# processes calling pi-ai's public streamSimple by tests/targets/test_pi_ai_fidelity.py.
SIMULATED = {
    "model object": (
        "a custom provider, or a moonshot/ ref pi-ai's registry (getModel moonshotai / moonshotai-cn) lacks "
        "(kimi-k2.7-code, kimi-k3, kimi-k2-turbo: not expressible without case.provider), is the Model object "
        "a pi-ai user writes: id, provider, baseUrl, the case's compat, and the catalog's name, reasoning, input, "
        "contextWindow, maxTokens and cost of the model (harness.targets.openclaw.catalog_row; a model the catalog "
        "does not know gets reasoning true, text and image, 262144 and 262144)"
    ),
    "request fields": (
        "fields pi-ai has no option for and never decides (top_p, n, stop, seed, thinking, user, unknown keys) are "
        "set through pi-ai's public onPayload hook after pi-ai built the payload, as a pi-ai caller would; pi-ai "
        "never sees them. Fields pi-ai decides itself (store, reasoning_effort) are refused as not expressible"
    ),
}
# Request fields pi-ai's openai-completions provider decides itself (compat.supportsStore -> store: false; the
# `reasoning` level -> reasoning_effort): a caller's value could only overwrite pi-ai's body after the fact.
DECIDED_BY_PI_AI = ("store", "reasoning_effort")

CAPABILITIES = Capabilities(
    rules=ALL_RULES - {"T2", "T3", "T6b", "T10"},
    # stream: pi-ai always streams and owns stream_options; extra_body / params_sampling: no
    # configured params; developer_role: one role-less system prompt (Context.systemPrompt).
    # store / reasoning_effort: pi-ai decides them itself (compat.supportsStore -> store: false;
    # the `reasoning` level -> reasoning_effort); a caller's own value could only be injected
    # through onPayload, after pi-ai, which would blame pi-ai for a field it never saw.
    # configured_thinking / thinking_spellings / sanitize_switch: no OpenClaw config (NO_PARAMS).
    features=ALL_FEATURES
    - {"stream", "extra_body", "params_sampling", "developer_role", "store", "reasoning_effort"}
    - {"configured_thinking", "thinking_spellings", "sanitize_switch"}
    - {"model_aliases"},  # no alias table: a model id only
    why_not={
        "T2": NO_PARAMS + "; the T2 suite is about configured thinking",
        "T3": NO_PARAMS + "; thinking.keep is only configurable there",
        "T6b": NO_PARAMS + "; a caller's onPayload is the only hook and the worker uses it for plain request fields",
        # `errors` (malformed cases rejected, never sent) runs; pi-ai's handling of upstream error answers is
        # not driven (the worker captures the outbound request) and is no rule of the registry
        "T10": "pi-ai's Context takes function tools only: a $web_search builtin cannot be expressed",
    },
    request_defaults={"stream": True},
    models_not_applicable={ref: KIMI_NOT_DRIVEN.get(ref, NO_NIX_KIMI) for ref in KIMI_REFS if ref not in KIMI_DRIVEN},
    simulated=SIMULATED,
)


class PiAiTarget(NodeWorkerTarget):
    node_target = "pi-ai"
    package = "@mariozechner/pi-ai"
    capabilities = CAPABILITIES

    version_env = "KIMI_CONFORMANCE_PI_AI_VERSION"
    not_moonshot_reason = "pi-ai drives moonshot/ refs and its own kimi-coding models only"
    alias_reason = "pi-ai has no alias table"
    driven_prefixes = ("moonshot/", "kimi/", "kimi-coding/")

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        return super().transform(with_row(case))

    def precheck(self, case: dict[str, Any]) -> None:
        super().precheck(case)
        params = case.get("params") or {}
        if isinstance(params, dict) and any(v is not None for v in params.values()):
            raise NotExpressible(f"pi-ai: {NO_PARAMS}")
        if (case.get("provider") or {}).get("sanitizeToolCallIds") is True:
            raise NotExpressible("pi-ai has no tool-call id sanitization setting")
        request = case.get("request") or {}
        model = case.get("model")
        kimi = isinstance(model, str) and model.startswith(("kimi/", "kimi-coding/"))
        for key in DECIDED_BY_PI_AI:
            if not kimi and isinstance(request, dict) and request.get(key) is not None:
                raise NotExpressible(f"pi-ai: request.{key}: pi-ai decides it itself (its compat, the reasoning level)")
