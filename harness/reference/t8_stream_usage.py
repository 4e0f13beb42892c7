"""T8 Streaming usage.

[doc/oc] The native Moonshot endpoints (api.moonshot.ai/v1, api.moonshot.cn/v1) declare
streaming-usage compatibility, so a streamed request carries
`stream_options: {include_usage: true}`; a custom provider id pointing at the same native host
inherits it — the match is on the endpoint (catalog `streamingUsage`), not the provider id.
An explicit compat `supportsUsageInStreaming` wins.
"""

from __future__ import annotations

from typing import Any

RULE = "T8"


def apply(case: dict[str, Any], ctx, body: dict[str, Any]) -> None:
    if body.get("stream") is not True or not ctx.streaming_usage:
        return
    options = body.get("stream_options")
    body["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
