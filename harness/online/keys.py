"""API keys for live runs: which environment variable holds whose key.

A variable belongs to the provider listing it earliest in the catalog, and one provider's key is
never sent to another's host (Moonshot and Kimi Coding keys are not interchangeable).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping


def find_key(env_names: Iterable[str], environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(variable, key) of the first variable that is set and non-empty."""
    environ = os.environ if environ is None else environ
    for name in env_names:
        value = (environ.get(name) or "").strip()
        if value:
            return name, value
    return None


def key_owner(catalog, name: str) -> str | None:
    """The provider an environment variable belongs to: the one listing it earliest."""
    ranks = sorted((p.auth_env.index(name), p.id) for p in catalog.providers.values() if name in p.auth_env)
    return ranks[0][1] if ranks else None


def provider_key(provider, catalog, environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(variable, key) for one provider, never another provider's key: Moonshot and Kimi Coding
    keys are not interchangeable (docs/contract.md#catalog). A variable belongs to the provider listing it
    first (KIMI_API_KEY is Kimi Coding's first choice and only Moonshot's fallback), and a value
    another provider uses is never sent to this one's host."""
    environ = os.environ if environ is None else environ
    own = [n for n in provider.auth_env if key_owner(catalog, n) == provider.id]
    taken = {
        (environ.get(n) or "").strip()
        for p in catalog.providers.values()
        if p.id != provider.id
        for n in p.auth_env
        if key_owner(catalog, n) == p.id
    } - {""}
    for name in own:
        value = (environ.get(name) or "").strip()
        if value and value not in taken:
            return name, value
    return None


def missing_key_reason(env_names: Iterable[str], provider: str = "") -> str:
    names = list(env_names)
    who = f" for provider {provider}" if provider else ""
    return f"live run needs an API key{who}: set {' or '.join(names)}"


def run_key(provider, catalog, configured: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The one key function of every path that talks to an upstream (suites, smoke, websearch,
    recording): the key configured for this provider (a config's apiKey, as OpenClaw takes it
    first), else the provider's own variables (`provider_key`) — never another provider's key."""
    if configured:
        return configured
    found = provider_key(provider, catalog, environ)
    return found[1] if found else None
