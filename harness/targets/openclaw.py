"""The real OpenClaw (npm `openclaw`, pinned in harness/targets/node/openclaw/package.json).

`--target openclaw` (or `openclaw:2026.9.6`; `KIMI_CONFORMANCE_OPENCLAW_VERSION` also names
it): cases go through OpenClaw's own code — the managed openai-completions transport, the
Moonshot thinking wrapper, `applyExtraParamsToAgent` and the tool-call id sanitizer — in a
persistent Node worker (harness/targets/node/openclaw/worker.mjs) that captures the outbound
request on a loopback server. Install with `tox -e openclaw` or
`python -m harness.targets.node.install openclaw`.
"""

from __future__ import annotations

import os

from typing import Any

from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities, NotExpressible
from harness.targets.node_worker import DEFAULT_TIMEOUT, NodeWorkerTarget

KIMI_CODING = ("OpenClaw's Kimi Coding plugin (@openclaw/kimi-provider) speaks Anthropic Messages and is "
               "not on npm: kimi/* refs cannot be driven through the npm package")
KIMI_REFS = (
    "kimi/kimi-for-coding", "kimi/kimi-for-coding-highspeed", "kimi/k3", "kimi/k3-256k", "kimi/kimi-k2p5",
    "kimi/kimi-k2-0711-preview", "kimi/kimi-k2-thinking", "kimi/kimi-k2-thinking-turbo", "kimi/kimi-latest",
)

CAPABILITIES = Capabilities(
    rules=ALL_RULES - {"errors"},
    # stream: OpenClaw always streams and decides stream_options itself (compat), so neither
    # `stream: false` nor a caller's own stream_options can be expressed.
    # developer_role: OpenClaw has one system prompt without a role; the role it goes out with
    # is OpenClaw's choice (compat.supportsDeveloperRole), so a `developer` message is not an input.
    features=ALL_FEATURES - {"stream", "developer_role"},
    why_not={
        "errors": "the worker captures the outbound request; OpenClaw's handling of upstream errors is not driven",
    },
    request_defaults={"stream": True},
    models_not_applicable={ref: KIMI_CODING for ref in KIMI_REFS},
)


class OpenClawTarget(NodeWorkerTarget):
    node_target = "openclaw"
    package = "openclaw"
    capabilities = CAPABILITIES

    def __init__(self, version: str = "", *, timeout: float = DEFAULT_TIMEOUT, cache_dir=None):
        version = version or os.environ.get("KIMI_CONFORMANCE_OPENCLAW_VERSION", "")
        super().__init__(version or None, timeout=timeout, cache_dir=cache_dir)

    def precheck(self, case: dict[str, Any]) -> None:
        model = case.get("model")
        if isinstance(model, str) and "/" not in model:
            raise NotExpressible(f"openclaw: model alias {model!r} (alias resolution is OpenClaw's model selection, not driven)")
        if isinstance(model, str) and not model.startswith("moonshot/") and not case.get("provider"):
            raise NotExpressible(f"openclaw: {model!r}: {KIMI_CODING}")
        leading = [m for m in (case.get("request") or {}).get("messages") or []
                   if isinstance(m, dict) and m.get("role") in ("system", "developer")]
        if len(leading) > 1:
            raise NotExpressible("openclaw: OpenClaw has a single system prompt")
