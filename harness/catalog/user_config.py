"""User catalogs and OpenClaw / nix-openclaw configs as users write them (docs/contract.md#catalog).

A `--catalog` / `--config` file is JSON or JSON5 (OpenClaw's own config format). Before it is
read as a catalog:
- `${VAR}` in any string is replaced from the environment (`$${VAR}` stays a literal `${VAR}`);
  a variable that is not set is one error naming the file, the place and the variable;
- `apiKey` / `apiKeyFile` (read relative to the file) give provider keys, and
  `plugins.entries.moonshot.config.webSearch.apiKey` the web search key — kept in `Secrets`,
  never in the catalog data (which reaches reports);
- `agents.defaults.model.primary` names the default model; `agents.defaults.modelAliases` (nix)
  and `agents.defaults.models[ref].alias` (OpenClaw) add aliases; bare model ids resolve to the
  providers this file defines first;
- OpenClaw cost fields are USD per million tokens: figures that look per-1K (input or output
  below $0.05 per million) are priced as written, with a warning giving the per-million reading.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import CatalogError

_VAR = re.compile(r"\$(\$?)\{([A-Z_][A-Z0-9_]*)\}")
PER_1K_BELOW = 0.05  # $/MTok: no real Kimi input/output price is this low; per-1K figures are
SECRET_KEYS = ("apiKey", "apiKeyFile", "auth")


class Secrets(dict):
    """provider id -> key (and "webSearch"); never printed."""

    def __repr__(self) -> str:
        return f"Secrets({sorted(self)})"

    __str__ = __repr__


@dataclass
class UserConfig:
    path: Path
    catalog: dict[str, Any]  # catalog-shaped overlay (mode merge/replace), no secrets
    primary: str | None = None  # as written (a ref, alias or bare id)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> target as written
    warnings: list[str] = field(default_factory=list)
    web_search: dict[str, str] = field(default_factory=dict)  # plugins...webSearch baseUrl / model
    secrets: Secrets = field(default_factory=Secrets, repr=False)


def kind(value: Any) -> str:
    """A JSON value's kind as a user would say it, for "must be an object, got a list"."""
    names = {bool: "a boolean", dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return next(
        (n for t, n in names.items() if isinstance(value, t)), "null" if value is None else type(value).__name__
    )


def expect(value: Any, want: type, path: Path, where: str, default: Any = None) -> Any:
    """`value` if it is a `want` (None -> `default`), else one error naming the file and the place.
    Wrong containers (`providers` a list, `models` a string) are the commonest hand-edit slips."""
    if value is None and default is not None:
        return default
    if not isinstance(value, want):
        raise CatalogError(f"{path}: {where} must be {kind(want())}, got {kind(value)}")
    return value


def check_catalog_shape(user: dict[str, Any], path: Path) -> None:
    """The catalog shape the merge and the warnings rely on, checked before anything walks it."""
    provs = expect(user.get("providers"), dict, path, "providers", {})
    for pid, prov in provs.items():
        expect(prov, dict, path, f"providers.{pid}")
        for i, m in enumerate(expect(prov.get("models"), list, path, f"providers.{pid}.models", [])):
            if not isinstance(m, dict) or not isinstance(m.get("id"), str):
                raise CatalogError(f"{path}: providers.{pid}.models[{i}] must be an object with a string `id`")
    expect(user.get("aliases"), dict, path, "aliases", {})


def read_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(f"catalog file not found: {path}") from None
    except OSError as e:
        raise CatalogError(f"{path}: cannot be read ({e.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as first:
        try:
            import json5  # JSON5 is what OpenClaw configs are written in
        except ImportError:
            raise CatalogError(
                f"{path}: not valid JSON ({first.msg} at line {first.lineno}); reading it as "
                "JSON5 needs the json5 package (pip install json5)"
            ) from None

        try:
            return json5.loads(text)
        except ValueError as e:
            raise CatalogError(f"{path}: not valid JSON ({first.msg} at line {first.lineno}) nor JSON5 ({e})") from None


def substitute(value: Any, path: Path, environ: Mapping[str, str], where: str = "$") -> Any:
    if isinstance(value, str):

        def repl(m: re.Match) -> str:
            if m.group(1):  # $${VAR} is an escaped literal
                return "${" + m.group(2) + "}"
            if m.group(2) not in environ or environ[m.group(2)] == "":
                raise CatalogError(f"{path}: ${{{m.group(2)}}} at {where} is not set in the environment")
            return environ[m.group(2)]

        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute(v, path, environ, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, path, environ, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _read_key_file(path: Path, file: str, where: str) -> str:
    p = Path(file).expanduser()
    p = p if p.is_absolute() else path.parent / p
    try:
        key = p.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise CatalogError(f"{path}: {where}.apiKeyFile {str(p)!r} cannot be read ({e.strerror})") from None
    if not key:
        raise CatalogError(f"{path}: {where}.apiKeyFile {str(p)!r} is empty")
    return key


def per_1k_warnings(path: Path, where: str, model: Mapping[str, Any]) -> list[str]:
    cost = model.get("cost")
    if not isinstance(cost, Mapping) or cost.get("unit", "usd_per_mtok") != "usd_per_mtok":
        return []
    small = {
        k: cost[k] for k in ("input", "output") if isinstance(cost.get(k), (int, float)) and 0 < cost[k] < PER_1K_BELOW
    }
    if not small:
        return []
    was = ", ".join(f"{k} {v:g}" for k, v in small.items())
    per_m = ", ".join(f"{k} {v * 1000:g}" for k, v in small.items())
    return [
        (
            f"{path}: {where} ({model.get('id', '?')}) cost {was} looks like USD per 1K tokens, but cost "
            f"fields are USD per million tokens; per million that would be {per_m}. Priced as written."
        )
    ]


def _openclaw_models(data: dict[str, Any], path: Path, cfg: UserConfig) -> dict[str, Any]:
    """An openclaw.json `models` section as a catalog overlay; keys go to cfg.secrets."""
    section = expect(data.get("models"), dict, path, "models", {})
    providers = {}
    for pid, prov in expect(section.get("providers"), dict, path, "models.providers", {}).items():
        expect(prov, dict, path, f"models.providers.{pid}")
        key = prov.get("apiKey") if isinstance(prov.get("apiKey"), str) and prov.get("apiKey") else None
        if key is None and isinstance(prov.get("apiKeyFile"), str):
            key = _read_key_file(path, prov["apiKeyFile"], f"models.providers.{pid}")
        if key:
            cfg.secrets[pid] = key
        prov = {k: v for k, v in prov.items() if k not in SECRET_KEYS}
        models = []
        for i, m in enumerate(expect(prov.get("models"), list, path, f"models.providers.{pid}.models", [])):
            m = {k: v for k, v in expect(m, dict, path, f"models.providers.{pid}.models[{i}]").items() if k != "api"}
            if "cost" in m:
                m["cost"] = {"unit": "usd_per_mtok", **m["cost"]}  # OpenClaw prices are per 1M tokens
            cfg.warnings += per_1k_warnings(path, f"models.providers.{pid}.models[{i}]", m)
            models.append(m)
        prov["models"] = models
        if prov.pop("sanitizeToolCallIds", False):
            prov["toolCallIds"] = "strict"
        providers[pid] = prov
    return {"mode": section.get("mode", "merge"), "version": "openclaw-config", "providers": providers}


def _agents(data: dict[str, Any], cfg: UserConfig) -> None:
    path = cfg.path
    agents = expect(data.get("agents"), dict, path, "agents", {})
    defaults = expect(agents.get("defaults"), dict, path, "agents.defaults", {})
    model = defaults.get("model")
    cfg.primary = model.get("primary") if isinstance(model, dict) else model if isinstance(model, str) else None
    aliases = expect(defaults.get("modelAliases"), dict, path, "agents.defaults.modelAliases", {})
    for alias, target in aliases.items():  # nix-openclaw
        cfg.aliases[alias] = expect(target, str, path, f"agents.defaults.modelAliases.{alias}")
    for ref, entry in expect(defaults.get("models"), dict, path, "agents.defaults.models", {}).items():  # OpenClaw
        if isinstance(entry, dict) and isinstance(entry.get("alias"), str):
            cfg.aliases[entry["alias"]] = ref


def parse(path: str | Path, environ: Mapping[str, str] | None = None) -> UserConfig:
    path = Path(path)
    data = read_file(path)
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: a catalog or config is a JSON object")
    data = substitute(data, path, os.environ if environ is None else environ)
    cfg = UserConfig(path, {})
    if "providers" in data:  # the harness's own catalog format
        check_catalog_shape(data, path)
        cfg.catalog = data
        for pid, prov in (data.get("providers") or {}).items():
            for i, m in enumerate(prov.get("models") or []):
                cfg.warnings += per_1k_warnings(path, f"providers.{pid}.models[{i}]", m)
    elif "models" in data or "agents" in data or "plugins" in data:
        cfg.catalog = _openclaw_models(data, path, cfg)
        _agents(data, cfg)
    else:
        raise CatalogError(f"{path}: neither a catalog (providers) nor an OpenClaw config (models, agents)")
    plugins = expect(data.get("plugins"), dict, path, "plugins", {})
    entries = expect(plugins.get("entries"), dict, path, "plugins.entries", {})
    moonshot = expect(entries.get("moonshot"), dict, path, "plugins.entries.moonshot", {})
    ws = expect(moonshot.get("config"), dict, path, "plugins.entries.moonshot.config", {}).get("webSearch")
    if isinstance(ws, dict) and isinstance(ws.get("apiKey"), str) and ws["apiKey"]:
        cfg.secrets["webSearch"] = ws["apiKey"]
    if isinstance(ws, dict):
        cfg.web_search = {k: ws[k] for k in ("baseUrl", "model") if isinstance(ws.get(k), str) and ws[k]}
    return cfg


def qualify(ref: str, cfg: UserConfig, accepted: Mapping[str, str]) -> str:
    """A bare model id as provider/model, preferring the providers this file configures (nix's
    `primary = "kimi-k2p5"` means its own `kimi` provider); a ref or alias stays as written."""
    if "/" in ref or ref in accepted:
        return ref
    owners = [pid for pid in (cfg.catalog.get("providers") or {}) if f"{pid}/{ref}" in accepted]
    return f"{owners[0]}/{ref}" if len(owners) == 1 else ref
