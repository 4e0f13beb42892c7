"""The real OpenClaw (npm `openclaw`, pinned in harness/targets/node/openclaw/package.json).

`--target openclaw` (or `openclaw:2026.9.6`; `KIMI_CONFORMANCE_OPENCLAW_VERSION` also names
it): cases go through OpenClaw's own code — the managed openai-completions transport, the
Moonshot thinking wrapper, `applyExtraParamsToAgent` and the tool-call id sanitizer — in a
persistent Node worker (harness/targets/node/openclaw/worker.mjs) that captures the outbound
request on a loopback server. Install with `tox -e openclaw` or
`python -m harness.targets.node.install openclaw`.
"""

from __future__ import annotations

from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities
from harness.targets.node_worker import NodeWorkerTarget

KIMI_CODING = (
    "OpenClaw's Kimi Coding plugin (@openclaw/kimi-provider) speaks Anthropic Messages and is "
    "not on npm: kimi/* refs cannot be driven through the npm package"
)
KIMI_REFS = (
    "kimi/kimi-for-coding",
    "kimi/kimi-for-coding-highspeed",
    "kimi/k3",
    "kimi/k3-256k",
    "kimi/kimi-k2p5",
    "kimi/kimi-k2-0711-preview",
    "kimi/kimi-k2-thinking",
    "kimi/kimi-k2-thinking-turbo",
    "kimi/kimi-latest",
)

CAPABILITIES = Capabilities(
    rules=ALL_RULES - {"errors", "T10"},
    # stream: OpenClaw always streams and decides stream_options itself (compat), so neither
    # `stream: false` nor a caller's own stream_options can be expressed.
    # developer_role: OpenClaw has one system prompt without a role; the role it goes out with
    # is OpenClaw's choice (compat.supportsDeveloperRole), so a `developer` message is not an input.
    features=ALL_FEATURES - {"stream", "developer_role"},
    why_not={
        "errors": "the worker captures the outbound request; OpenClaw's handling of upstream errors is not driven",
        "T10": "OpenClaw's web search is a tool of its own (tools.web.search), not a $web_search builtin in a "
        "request: the worker hands tools over as function tools, so the builtin cannot be expressed",
    },
    request_defaults={"stream": True},
    models_not_applicable={ref: KIMI_CODING for ref in KIMI_REFS},
)


class OpenClawTarget(NodeWorkerTarget):
    node_target = "openclaw"
    package = "openclaw"
    capabilities = CAPABILITIES

    version_env = "KIMI_CONFORMANCE_OPENCLAW_VERSION"
    not_moonshot_reason = KIMI_CODING
    alias_reason = "alias resolution is OpenClaw's model selection, not driven"
