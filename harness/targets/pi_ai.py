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
"""

from __future__ import annotations

from typing import Any

from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities, NotExpressible
from harness.targets.node_worker import NodeWorkerTarget
from harness.targets.openclaw import KIMI_REFS

NO_PARAMS = ("pi-ai has no configured per-model params (OpenClaw's agents.defaults.models[ref].params): "
             "params.thinking / params.extra_body cannot be expressed")

CAPABILITIES = Capabilities(
    rules=ALL_RULES - {"T2", "T3", "T6b", "errors"},
    # stream: pi-ai always streams and owns stream_options; extra_body / params_sampling: no
    # configured params; developer_role: one role-less system prompt (Context.systemPrompt).
    # store / reasoning_effort: pi-ai decides them itself (compat.supportsStore -> store: false;
    # the `reasoning` level -> reasoning_effort); a caller's own value could only be injected
    # through onPayload, after pi-ai, which would blame pi-ai for a field it never saw.
    features=ALL_FEATURES - {"stream", "extra_body", "params_sampling", "developer_role", "store", "reasoning_effort"},
    why_not={
        "T2": NO_PARAMS + "; the T2 suite is about configured thinking",
        "T3": NO_PARAMS + "; thinking.keep is only configurable there",
        "T6b": NO_PARAMS + "; a caller's onPayload is the only hook and the worker uses it for plain request fields",
        "errors": "the worker captures the outbound request; pi-ai's handling of upstream errors is not driven",
    },
    request_defaults={"stream": True},
    models_not_applicable={ref: "pi-ai has no Kimi Coding (kimi/*) provider" for ref in KIMI_REFS},
)


class PiAiTarget(NodeWorkerTarget):
    node_target = "pi-ai"
    package = "@mariozechner/pi-ai"
    capabilities = CAPABILITIES

    version_env = "KIMI_CONFORMANCE_PI_AI_VERSION"
    not_moonshot_reason = "pi-ai has no Kimi Coding (kimi/*) provider"
    alias_reason = "pi-ai has no alias table"

    def precheck(self, case: dict[str, Any]) -> None:
        super().precheck(case)
        params = case.get("params") or {}
        if isinstance(params, dict) and any(v is not None for v in params.values()):
            raise NotExpressible(f"pi-ai: {NO_PARAMS}")
        if (case.get("provider") or {}).get("sanitizeToolCallIds") is True:
            raise NotExpressible("pi-ai has no tool-call id sanitization setting")
