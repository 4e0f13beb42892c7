"""Loading the catalog: the built-in catalog.json, or a user catalog / OpenClaw config merged over
it (`mode: "merge"`, with defaults for new providers and models) or replacing it."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from harness.catalog.model import Catalog
from harness.errors import CatalogError

BUILTIN_PATH = Path(__file__).parent / "catalog.json"


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
    from harness.catalog.user_config import check_catalog_shape, parse

    builtin = json.loads(BUILTIN_PATH.read_text())
    if path is None:
        return Catalog(builtin)
    path = Path(path)
    cfg = parse(path, environ)
    user = cfg.catalog
    check_catalog_shape(user, path)  # named mistakes, not a KeyError from inside the merge
    if user.get("mode", "merge") == "replace":
        cat = Catalog(user, origin=str(path))
    else:
        cat = Catalog(merge(builtin, _with_defaults(user, builtin, path)), origin=f"built-in + {path}")
    return _apply_agents(cat, cfg)


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
