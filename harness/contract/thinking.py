"""The contract's reading of thinking state (T2-T5): shared by the reference and the properties."""

from __future__ import annotations

from typing import Any

_ON = {"enabled", "on", "true"}
_OFF = {"disabled", "off", "false"}


def configured_type(value: Any) -> str | None:
    """A configured `params.thinking` as a type: `{type}`, a boolean, or enabled|on|true /
    disabled|off|false in any case [oc]. Anything else is not a setting (None)."""
    if isinstance(value, dict):
        value = value.get("type")
    if isinstance(value, bool):
        return "enabled" if value else "disabled"
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _ON:
            return "enabled"
        if v in _OFF:
            return "disabled"
    return None


def level_type(level: str | None) -> str | None:
    """`/think off` -> disabled; any other level -> enabled; no level -> no opinion [doc]."""
    if level is None:
        return None
    return "disabled" if level == "off" else "enabled"


def effective(mode: str, body: dict[str, Any], default: str | None) -> str | None:
    """Whether the upstream will think for this body: always/effort models always do; other
    models follow the outbound `thinking.type` (D2: on Kimi Coding too), else the catalog's
    default — models that reason by default think without a `thinking` field (D4); None: unknown."""
    if mode in ("always", "effort"):
        return "enabled"
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "disabled"):
        return thinking["type"]
    return default
