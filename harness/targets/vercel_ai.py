"""The real Vercel AI SDK Moonshot provider (npm `@ai-sdk/moonshotai` with `ai`, pinned in
harness/targets/node/vercel-ai/package.json).

`--target vercel-ai` drives the provider through the SDK's public API in a persistent Node worker
(harness/targets/node/vercel-ai/worker.mjs): `createMoonshotAI({apiKey, baseURL, fetch})(modelId)`
with `generateText` (a request without `stream: true`) or `streamText`; the provider's documented
`fetch` setting sends the request to a loopback server that captures it. Install with
`tox -e vercel-ai` or `python -m harness.targets.node.install vercel-ai`.

How a case maps to the SDK: messages -> `ModelMessage`s (system / user / assistant with reasoning,
text and tool-call parts / tool results; `allowSystemInMessages`), tools -> `tool({inputSchema:
jsonSchema(...)})` without `execute`, tool_choice -> `toolChoice`, the /think level -> the call's
unified `reasoning` option, the request's `thinking` and `reasoning_effort` -> the provider options
`thinking`, `reasoningHistory: "preserved"` (keep "all") and `reasoningEffort` (as the package's
README states), sampling fields -> call settings, `logprobs`, `prediction`, `prompt_cache_key` ->
provider options, `response_format: json_object` -> `Output.json()`. The provider decides the rest
itself (max_completion_tokens, sampling fields dropped on kimi-* models, stream_options): what the
SDK's public API has no input for is not expressible, never added to the body afterwards.

A malformed case (the `errors` rule) goes to `generateText` as a user would write it (messages that
are no array, an unknown role, a tool result without toolCallId, an unknown level as `reasoning`):
the SDK's refusal before sending is its rejection, a case error (the driver marks the case
`__malformed`, harness/targets/malformed.py); no model is not expressible.
"""

from __future__ import annotations

from typing import Any

from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities, NotExpressible
from harness.targets.malformed import malformed
from harness.targets.node_worker import NodeWorkerTarget
from harness.targets.openclaw import KIMI_REFS

NO_PARAMS = (
    "the Vercel AI SDK has no configured per-model params (OpenClaw's agents.defaults.models[ref].params): "
    "params.thinking / params.extra_body / params.temperature cannot be expressed"
)
NO_KIMI_CODING = (
    "@ai-sdk/moonshotai 3.0.60 has no Kimi Coding provider (api.kimi.com/coding): kimi/* refs cannot be expressed"
)
NO_FIELDS = (
    "the SDK's public API has no setting or provider option for n, user, store, logit_bias, parallel_tool_calls "
    "or unknown request fields, and no extra-body hook: cases with them are not expressible"
)

# What the worker still does in the SDK's place (docs/guides/real-targets.md); pinned against fresh
# processes calling the SDK's public API by tests/targets/test_vercel_ai_fidelity.py.
SIMULATED = {
    "message history": (
        "the case's OpenAI messages become the ModelMessage[] a caller of generateText / streamText holds "
        "(reasoning_content as a reasoning part, tool calls with their parsed input, tool results as text "
        "outputs): the provider maps them back to the wire itself"
    ),
}

CAPABILITIES = Capabilities(
    rules=ALL_RULES - {"T2", "T3", "T6b", "T9", "T10", "anthropic"},
    # configured_thinking / thinking_spellings / extra_body / params_sampling / sanitize_switch:
    # no config layer (NO_PARAMS); compat: createMoonshotAI takes a baseURL only; developer_role:
    # no developer message; store / payload_fields (n, user, unknown keys): no setting and no hook (NO_FIELDS).
    features=ALL_FEATURES
    - {"configured_thinking", "thinking_spellings", "extra_body", "params_sampling", "sanitize_switch"}
    - {"compat", "developer_role", "store", "payload_fields"}
    - {"model_aliases"},  # no alias table: a model id only
    why_not={
        "T2": NO_PARAMS + "; the T2 suite is about configured thinking",
        "T3": NO_PARAMS + "; thinking.keep is only configurable there",
        "T6b": NO_PARAMS,
        "T9": (
            "the SDK reports token usage (LanguageModelUsage) without a cost: the catalog-priced cost T9 "
            "holds cannot be expressed"
        ),
        "T10": "the SDK's tools are function tools; provider tools are dropped: a $web_search builtin cannot be expressed",
        "anthropic": NO_KIMI_CODING,
    },
    models_not_applicable=dict.fromkeys(KIMI_REFS, NO_KIMI_CODING),
    simulated=SIMULATED,
)


class VercelAITarget(NodeWorkerTarget):
    node_target = "vercel-ai"
    package = "@ai-sdk/moonshotai"
    capabilities = CAPABILITIES

    version_env = "KIMI_CONFORMANCE_VERCEL_AI_VERSION"
    not_moonshot_reason = NO_KIMI_CODING
    alias_reason = "the Vercel AI SDK has no alias table"
    driven_prefixes = ("moonshot/",)

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        # A malformed case (bad_cases.json) reaches the SDK as written; `__malformed` tells the
        # worker that the SDK's refusal of it is a rejection (a case error), not a limit of the SDK.
        return super().transform({**case, "__malformed": True} if isinstance(case, dict) and malformed(case) else case)

    def precheck(self, case: dict[str, Any]) -> None:
        model = case.get("model")
        # generateText / streamText take system messages anywhere (allowSystemInMessages): only the
        # model checks of the base class apply, not its single-system-prompt limit.
        if isinstance(model, str) and "/" not in model:
            raise NotExpressible(f"{self.name}: model alias {model!r}: {self.alias_reason}")
        if isinstance(model, str) and not model.startswith(self.driven_prefixes) and not case.get("provider"):
            raise NotExpressible(f"{self.name}: {model!r}: {self.not_moonshot_reason}")
        params = case.get("params") or {}
        if isinstance(params, dict) and any(v is not None for v in params.values()):
            raise NotExpressible(f"{self.name}: {NO_PARAMS}")
