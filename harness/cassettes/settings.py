"""The wire session's settings (from the plugin's options): replay or online, and which base URL
stands in for each provider's endpoint under --kimi-upstream."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.online.budget import Budget
from harness.online.guard import UpstreamHealth
from harness.online.retry import RetryPolicy

REPLAY_KEY = "sk-kimi-conformance-replay"  # never sent anywhere: replayed requests are not matched on headers


@dataclass
class WireSettings:
    catalog: Any
    cassette_dir: Path
    record_mode: str = "none"
    live: bool = False
    upstream: str | None = None  # stands in for the Moonshot endpoint (e.g. the emulator's /v1)
    upstream_kimi: str | None = None  # stands in for Kimi Coding; default derived from upstream
    endpoint: str = "international"
    budget: Budget | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # online runs: transport errors name the URL, requests have a total deadline, a gone upstream
    # ends the remaining wire sessions at once (harness.online.guard)
    upstream_health: UpstreamHealth = field(default_factory=UpstreamHealth)

    @property
    def online(self) -> bool:
        return self.live or bool(self.upstream)

    @property
    def mode(self) -> str:
        return "online" if self.online else "replay"

    def canonical_base(self, model) -> str:
        endpoints = model.provider.endpoints()
        ep = endpoints.get(self.endpoint) if model.provider.id == "moonshot" else None
        return (ep or {}).get("baseUrl") or model.base_url

    def upstream_for(self, model) -> str | None:
        """The base URL that stands in for this model's provider endpoint under --kimi-upstream.

        Moonshot -> --kimi-upstream. Kimi Coding -> --kimi-upstream-coding, else the sibling of --kimi-upstream
        with the catalog's path swapped: http://127.0.0.1:N/v1 (Moonshot's /v1) becomes
        http://127.0.0.1:N/coding/v1 (Kimi Coding's /coding/v1) — the emulator serves both.
        None when no upstream stands in for the provider.
        """
        if not self.upstream:
            return None
        pid = model.provider.id
        if pid == "moonshot":
            return self.upstream.rstrip("/")
        if pid == "kimi" and self.upstream_kimi:
            return _surface(self.upstream_kimi.rstrip("/"), model)
        moonshot = self.catalog.providers.get("moonshot")
        if moonshot is None:
            return None
        base_path = urlsplit(moonshot.base_url).path.rstrip("/")  # /v1
        own_path = urlsplit(model.provider.base_url).path.rstrip("/")  # /coding/v1
        up = self.upstream.rstrip("/")
        if pid == "kimi" and base_path and up.endswith(base_path):
            return _surface(up[: len(up) - len(base_path)] + own_path, model)
        return None

    def live_hosts(self) -> set[str]:
        return {
            urlsplit(ep["baseUrl"]).hostname for p in self.catalog.providers.values() for ep in p.endpoints().values()
        }


def _surface(coding_v1: str, model) -> str:
    """The stand-in for a Kimi Coding model's own surface: <root>/coding/v1 (chat completions)
    becomes <root>/coding for an Anthropic Messages model (catalog baseUrl .../coding)."""
    provider_path = urlsplit(model.provider.base_url).path.rstrip("/")  # /coding/v1
    model_path = urlsplit(model.base_url).path.rstrip("/")  # /coding
    if model_path != provider_path and coding_v1.endswith(provider_path):
        return coding_v1[: len(coding_v1) - len(provider_path)] + model_path
    return coding_v1
