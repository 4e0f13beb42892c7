"""The model catalog: data (catalog.json), validated by catalog.schema.json on load.

`Catalog.resolve(ref)` turns any ref a user may write — `provider/model`, an alias, a legacy
ref, a provider alias prefix, a bare model id — into one canonical `Model`.
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Iterator

from harness.errors import CatalogError

_HERE = Path(__file__).parent
BUILTIN_PATH = _HERE / "catalog.json"
SCHEMA_PATH = _HERE / "catalog.schema.json"


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
                    raise CatalogError(f"{origin}: model {model.ref} has baseUrl {m['baseUrl']!r}, which is not one "
                                       f"of provider {provider.id}'s endpoints")
        self._index_refs()

    def _index_refs(self) -> None:
        prefixes = {pid: [pid, *p.data.get("aliases", [])] for pid, p in self.providers.items()}
        for ref, model in self._models.items():
            for prefix in prefixes[model.provider.id]:
                for mid in [model.id, *model.data.get("aliases", [])]:
                    # A legacy id never shadows a real model id of the same provider.
                    self._refs.setdefault(f"{prefix}/{mid}", ref)
        for ref, model in self._models.items():
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


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def validate(data: Any, origin: str = "catalog") -> None:
    import jsonschema  # lazy: importing the catalog package stays cheap

    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        # one line: the first few errors name where; the count says how much more is wrong
        shown = "; ".join(f"at {_json_path(e.path)}: {_short(e.message)}" for e in errors[:3])
        more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
        raise CatalogError(f"{origin} is not a valid catalog: {shown}{more}")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_path(path) -> str:
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """`models.mode: "merge"` as in the documents: providers by id, models by id, fields deep-merged."""
    out = copy.deepcopy(base)
    for pid, prov in overlay.get("providers", {}).items():
        target = out["providers"].setdefault(pid, {"models": []})
        for key, value in prov.items():
            if key == "models":
                by_id = {m["id"]: m for m in target.setdefault("models", [])}
                for m in value:
                    if m.get("id") in by_id:
                        _deep_update(by_id[m["id"]], m)
                    else:
                        target["models"].append(copy.deepcopy(m))
            elif isinstance(value, dict) and isinstance(target.get(key), dict):
                _deep_update(target[key], value)
            else:
                target[key] = copy.deepcopy(value)
    out.setdefault("aliases", {}).update(overlay.get("aliases", {}))
    if "version" in overlay:
        out["version"] = f"{base['version']}+{overlay['version']}"
    out["mode"] = "replace"
    return out


def _deep_update(dst: dict, src: dict) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _deep_update(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v)


def load(path: str | Path | None = None, environ=None) -> Catalog:
    """The built-in catalog, or a user catalog / OpenClaw config (JSON or JSON5) merged over it
    or replacing it (`mode`). Keys in the file never reach the catalog: see `user_config`."""
    from harness.catalog import user_config

    builtin = json.loads(BUILTIN_PATH.read_text())
    if path is None:
        return Catalog(builtin)
    path = Path(path)
    cfg = user_config.parse(path, environ)
    user = cfg.catalog
    _check_shape(user, path)  # named mistakes, not a KeyError from inside the merge
    if user.get("mode", "merge") == "replace":
        cat = Catalog(user, origin=str(path))
    else:
        cat = Catalog(merge(builtin, _with_defaults(user, builtin, path)), origin=f"built-in + {path}")
    return _apply_agents(cat, cfg)


def _check_shape(user: dict[str, Any], path: Path) -> None:
    """The shape the merge relies on, checked first so a mistake is named, not a KeyError."""
    def kind(v: Any) -> str:
        names = {dict: "an object", list: "a list", str: "a string"}
        return next((n for t, n in names.items() if isinstance(v, t)), type(v).__name__)

    provs = user.get("providers", {})
    if not isinstance(provs, dict):
        raise CatalogError(f"{path}: `providers` must be an object keyed by provider id, got {kind(provs)}")
    for pid, prov in provs.items():
        if not isinstance(prov, dict):
            raise CatalogError(f"{path}: providers.{pid} must be an object, got {kind(prov)}")
        models = prov.get("models", [])
        if not isinstance(models, list):
            raise CatalogError(f"{path}: providers.{pid}.models must be a list, got {kind(models)}")
        for i, m in enumerate(models):
            if not isinstance(m, dict) or not isinstance(m.get("id"), str):
                raise CatalogError(f"{path}: providers.{pid}.models[{i}] must be an object with a string `id`")
    if not isinstance(user.get("aliases", {}), dict):
        raise CatalogError(f"{path}: `aliases` must be an object (alias -> ref)")


def _with_defaults(user: dict[str, Any], builtin: dict[str, Any], path: Path) -> dict[str, Any]:
    for pid, prov in user.get("providers", {}).items():
        known = builtin["providers"].get(pid)
        if known is None:
            # A new provider is a custom OpenAI-compatible one: no Moonshot rules unless it says so.
            prov.setdefault("api", "openai-completions")
            prov.setdefault("toolCallIds", "none")
            prov.setdefault("thinkingRules", False)
            prov.setdefault("compat", {})
            prov.setdefault("auth", {"env": [f"{pid.upper().replace('-', '_')}_API_KEY"], "scheme": "Bearer"})
            prov.setdefault("source", [f"user catalog {path.name}"])
            prov.setdefault("name", pid)
        known_ids = {m["id"] for m in (known or {}).get("models", [])}
        rules = prov.get("thinkingRules", (known or {}).get("thinkingRules", False))
        for m in prov.get("models", []):
            if m.get("id") in known_ids:
                continue
            m.setdefault("name", m.get("id", "?"))
            m.setdefault("status", "current")
            m.setdefault("thinking", {"mode": "binary" if rules else "none"})
            m.setdefault("source", [f"user catalog {path.name}"])
    return user


def _apply_agents(cat: Catalog, cfg) -> Catalog:
    """`agents.defaults` of an OpenClaw config: aliases into the catalog, the primary model noted."""
    from harness.catalog.user_config import qualify

    if cfg.aliases:
        data = copy.deepcopy(cat.data)
        for alias, target in cfg.aliases.items():
            try:
                data.setdefault("aliases", {})[alias] = cat.resolve(qualify(target, cfg, cat.accepted_refs())).ref
            except CatalogError as e:
                raise CatalogError(f"{cfg.path}: model alias {alias!r}: {e}") from None
        cat = Catalog(data, origin=cat.origin)
    if cfg.primary:
        try:
            cat.primary = cat.resolve(qualify(cfg.primary, cfg, cat.accepted_refs())).ref
        except CatalogError as e:
            raise CatalogError(f"{cfg.path}: agents.defaults.model.primary: {e}") from None
    cat.warnings = list(cfg.warnings)
    return cat


@cache
def builtin() -> Catalog:
    return load(None)
