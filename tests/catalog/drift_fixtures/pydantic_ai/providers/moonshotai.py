# Excerpt of pydantic-ai-slim 2.78.0 (PyPI) pydantic_ai/providers/moonshotai.py (MIT licence): the model
# names and the thinking table, as tests/catalog/test_drift.py reads them. Never imported; kept as published.
# fmt: off
from __future__ import annotations as _annotations

from typing import Any, Literal

MoonshotAIModelName = Literal[
    'kimi-k3',
    'kimi-k3.1-pro',
    'kimi-k3.1-pro-highspeed',
    'kimi-k2.7-code',
    'kimi-k2.7-code-highspeed',
    'kimi-k2.6',
]


_THINKING_FALSE_BODY_BY_PREFIX: dict[str, dict[str, Any]] = {
    # Kimi K3 always reasons and takes `reasoning_effort` `low`, `high` or `max`, so `thinking=False` sends `low`:
    # https://platform.kimi.ai/docs/guide/use-reasoning-effort
    'kimi-k3': {'reasoning_effort': 'low'},
    # Kimi K2.5 and K2.6 turn thinking off with `thinking={'type': 'disabled'}`, and reject `reasoning_effort='none'`
    # (https://github.com/pydantic/pydantic-ai/pull/6208): https://platform.kimi.ai/docs/guide/use-thinking-models
    'kimi-k2.5': {'thinking': {'type': 'disabled'}},
    'kimi-k2.6': {'thinking': {'type': 'disabled'}},
}
