"""The catalog's objects: `Provider`, `Model`, and `Catalog`, which indexes every accepted spelling
of a ref and resolves it to one canonical `Model`."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.catalog.validation import validate
from harness.errors import CatalogError


@dataclass(frozen=True)
class Provider:
    id: str
    data: dict[str, Any] = field(repr=False, compare=False)

    @property
    def base_url(self) -> str:
        return self.data["baseUrl"]

    @property
    def compat(self) -> dict[str, Any]:
        return self.data["compat"]

    @property
    def tool_call_ids(self) -> str:
        return self.data["toolCallIds"]

    @property
    def thinking_rules(self) -> bool:
        return self.data["thinkingRules"]

    @property
    def auth_env(self) -> list[str]:
        return self.data["auth"]["env"]

    @property
    def api(self) -> str:
        return self.data["api"]

    def endpoints(self) -> dict[str, dict[str, Any]]:
        return self.data.get("endpoints") or {"default": {"baseUrl": self.base_url}}

    def endpoint_for(self, base_url: str) -> dict[str, Any]:
        """The endpoint entry with this base URL ({baseUrl} alone when none is listed)."""
        wanted = _norm_url(base_url)
        for endpoint in self.endpoints().values():
            if _norm_url(endpoint["baseUrl"]) == wanted:
                return endpoint
        return {"baseUrl": base_url}


@dataclass(frozen=True)
class Model:
    """One catalog model, resolved: its canonical ref and the provider it belongs to."""

    provider: Provider
    data: dict[str, Any] = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def ref(self) -> str:
        return f"{self.provider.id}/{self.id}"

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def status(self) -> str:
        return self.data["status"]

    @property
    def thinking(self) -> dict[str, Any]:
        return self.data["thinking"]

    @property
    def thinking_mode(self) -> str:
        return self.thinking["mode"] if self.provider.thinking_rules else "none"

    @property
    def api(self) -> str:
        """The surface the model is reached through: its own `api`, else the provider's."""
        return self.data.get("api") or self.provider.api

    @property
    def base_url(self) -> str:
        return self.data.get("baseUrl") or self.provider.base_url

    @property
    def cost(self) -> dict[str, Any]:
        return self.data["cost"]

    @property
    def input(self) -> list[str]:
        return self.data["input"]

    @property
    def compat(self) -> dict[str, Any]:
        """Provider defaults overlaid with the model's own compat flags (T7)."""
        return {**self.provider.compat, **self.data.get("compat", {})}

    def __str__(self) -> str:
        return self.ref


class Catalog:
    def __init__(self, data: dict[str, Any], origin: str = "built-in"):
        validate(data, origin)
        self.data = data
        self.origin = origin
        self.version = data["version"]
        self.primary: str | None = None  # agents.defaults.model.primary of a user config, resolved
        self.warnings: list[str] = []  # e.g. cost figures that look per-1K
        self.providers = {pid: Provider(pid, p) for pid, p in data["providers"].items()}
        self._models: dict[str, Model] = {}
        self._refs: dict[str, str] = {}  # any accepted spelling -> canonical ref
        for provider in self.providers.values():
            for m in provider.data["models"]:
                model = Model(provider, m)
                self._models[model.ref] = model
                if "baseUrl" in m and provider.endpoint_for(m["baseUrl"]) == {"baseUrl": m["baseUrl"]}:
                    raise CatalogError(
                        f"{origin}: model {model.ref} has baseUrl {m['baseUrl']!r}, which is not one "
                        f"of provider {provider.id}'s endpoints"
                    )
        self._index_refs()

    def _index_refs(self) -> None:
        prefixes = {pid: [pid, *p.data.get("aliases", [])] for pid, p in self.providers.items()}
        for ref, model in self._models.items():
            for prefix in prefixes[model.provider.id]:
                for mid in [model.id, *model.data.get("aliases", [])]:
                    # A legacy id never shadows a real model id of the same provider.
                    self._refs.setdefault(f"{prefix}/{mid}", ref)
        for ref in self._models:
            self._refs[ref] = ref
        for alias, target in self.data.get("aliases", {}).items():
            if target not in self._models:
                raise CatalogError(f"{self.origin}: alias {alias!r} points at unknown ref {target!r}")
            self._refs.setdefault(alias, target)

    def models(self, *, include_retired: bool = True) -> list[Model]:
        return [m for m in self._models.values() if include_retired or m.status != "retired"]

    def __iter__(self) -> Iterator[Model]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    def accepted_refs(self) -> dict[str, str]:
        """Every spelling `resolve` accepts, mapped to its canonical ref."""
        return dict(self._refs)

    def resolve(self, ref: str) -> Model:
        if not isinstance(ref, str) or not ref.strip():
            raise CatalogError(f"model ref must be a non-empty string, got {ref!r}")
        ref = ref.strip()
        if ref in self._refs:
            return self._models[self._refs[ref]]
        if "/" not in ref:  # a bare model id, as nix-openclaw's `primary = "kimi-k2p5"`
            hits = sorted({canon for spelling, canon in self._refs.items() if spelling.split("/", 1)[-1] == ref})
            if len(hits) == 1:
                return self._models[hits[0]]
            if hits:
                raise CatalogError(f"model ref {ref!r} is ambiguous: it names {', '.join(hits)}; write provider/model")
        close = difflib.get_close_matches(ref, list(self._refs), n=5, cutoff=0.5)
        hint = f"; closest known refs: {', '.join(close)}" if close else ""
        raise CatalogError(f"unknown model ref {ref!r}{hint} (run `kimi-conformance catalog` for the list)")

    def provider_for_url(self, base_url: str) -> tuple[Provider, dict[str, Any]] | None:
        """The catalog provider and endpoint whose base URL this is (T8 matches on the endpoint)."""
        wanted = _norm_url(base_url)
        for provider in self.providers.values():
            for endpoint in provider.endpoints().values():
                if _norm_url(endpoint["baseUrl"]) == wanted:
                    return provider, endpoint
        return None


def _norm_url(url: str) -> str:
    return url.strip().rstrip("/").lower()
