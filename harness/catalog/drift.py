"""Catalog drift: which Moonshot / Kimi model ids each integration knows, and whether the catalog does.

Each reader takes the files of one installed integration (or a fixture laid out the same way) and
returns the model ids its Moonshot / Kimi providers name, without importing or running it:

* OpenClaw: the built-in catalog tables of its shipped `docs/providers/moonshot.md` (the Moonshot
  and Kimi provider plugins are external packages in 2026.9, so its dist has no Moonshot rows), and
  the `modelCatalog` of any `openclaw.plugin.json` for provider moonshot / kimi (bundled in
  dist/extensions, or an @openclaw/*-provider package installed beside it);
* pi-ai: `dist/models.generated.js`, providers moonshotai, moonshotai-cn, kimi-coding;
* LiteLLM: its packaged cost map (`model_prices_and_context_window_backup.json`), entries whose
  `litellm_provider` is moonshot (importing litellm would fetch the remote map: never done here);
* pydantic-ai: `MoonshotAIModelName` of `pydantic_ai/providers/moonshotai.py` (read with `ast`),
  each id annotated with what its profile says about thinking;
* vercel-ai: the `MoonshotAIChatModelId` union of `@ai-sdk/moonshotai`'s `dist/index.d.ts`.

`compare` puts them beside the catalog; an id an integration lists as current that the catalog lacks
fails the check unless the allow-list (drift-allow.yaml) names it with a reason.
"""

from __future__ import annotations

import ast
import datetime as _dt
import importlib.metadata
import importlib.util
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import CatalogError
from harness.util import yamlio

ALLOW_PATH = Path(__file__).parent / "drift-allow.yaml"
INTEGRATIONS = ("openclaw", "pi-ai", "litellm", "pydantic-ai", "vercel-ai")

# the providers of each integration that are Moonshot's or Kimi's own endpoints (not resellers)
PI_AI_PROVIDERS = ("moonshotai", "moonshotai-cn", "kimi-coding")
OPENCLAW_PROVIDERS = ("moonshot", "kimi")
LITELLM_PROVIDERS = ("moonshot",)


class DriftError(CatalogError):
    """An integration's file or the allow-list cannot be read: one line naming the file."""


@dataclass(frozen=True)
class Known:
    """One model id as one integration names it."""

    id: str
    where: str  # the integration's provider (or table) that lists it
    current: bool = True
    note: str = ""


@dataclass
class Integration:
    name: str
    version: str | None = None
    files: list[str] = field(default_factory=list)  # what was read
    models: list[Known] = field(default_factory=list)
    installed: bool = True

    @classmethod
    def absent(cls, name: str) -> Integration:
        return cls(name, installed=False)


# --------------------------------------------------------------------------------------- readers
def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DriftError(f"{path}: cannot read it ({type(e).__name__}: {e})") from None


def _package_version(package_json: Path) -> str | None:
    try:
        return str(json.loads(package_json.read_text(encoding="utf-8")).get("version") or "") or None
    except (OSError, ValueError):
        return None


_DOC_ROW = re.compile(r"^\s*\|\s*`([a-z0-9-]+)/([A-Za-z0-9._-]+)`\s*\|\s*([^|]*)\|")


def read_openclaw(package_dir: Path) -> Integration:
    """OpenClaw's built-in Moonshot / Kimi models (package_dir = node_modules/openclaw)."""
    package_dir = Path(package_dir)
    out = Integration("openclaw", _package_version(package_dir / "package.json"))
    seen: set[tuple[str, str]] = set()
    doc = package_dir / "docs" / "providers" / "moonshot.md"
    if doc.is_file():
        out.files.append(str(doc))
        for line in _read(doc).splitlines():
            m = _DOC_ROW.match(line)
            if m and m.group(1) in OPENCLAW_PROVIDERS and (m.group(1), m.group(2)) not in seen:
                seen.add((m.group(1), m.group(2)))
                out.models.append(Known(m.group(2), m.group(1), note=m.group(3).strip()))
    # bundled plugins, and the external Moonshot / Kimi provider plugins when installed beside it
    manifests = [*package_dir.glob("dist/extensions/*/openclaw.plugin.json")]
    manifests += package_dir.parent.glob("@openclaw/*-provider/openclaw.plugin.json")
    for manifest in sorted(manifests):
        try:
            providers = (json.loads(_read(manifest)).get("modelCatalog") or {}).get("providers") or {}
        except ValueError as e:
            raise DriftError(f"{manifest}: not JSON ({e})") from None
        for pid in OPENCLAW_PROVIDERS:
            for model in (providers.get(pid) or {}).get("models") or []:
                mid = model.get("id") if isinstance(model, dict) else None
                if isinstance(mid, str) and (pid, mid) not in seen:
                    seen.add((pid, mid))
                    out.files.append(str(manifest))
                    out.models.append(Known(mid, pid, note=str(model.get("name") or "")))
    if not out.files:
        raise DriftError(f"{package_dir}: no docs/providers/moonshot.md or plugin manifest: is it OpenClaw?")
    if not out.models:  # the table layout changed: say so rather than report nothing
        raise DriftError(f"{out.files[0]}: no `moonshot/…` or `kimi/…` model rows found")
    return out


_PI_PROVIDER = re.compile(r'^    "([^"]+)": \{\s*$')
_PI_ID = re.compile(r'^\s+id: "([^"]+)",\s*$')


def read_pi_ai(package_dir: Path) -> Integration:
    """pi-ai's generated model table (package_dir = node_modules/@mariozechner/pi-ai). The file is
    generated with one provider per 4-space-indented key and one `id:` line per model."""
    package_dir = Path(package_dir)
    path = package_dir / "dist" / "models.generated.js"
    out = Integration("pi-ai", _package_version(package_dir / "package.json"), [str(path)])
    lines = _read(path).splitlines()
    if not any(line.startswith("export const MODELS") for line in lines):
        raise DriftError(f"{path}: no `export const MODELS` table: not pi-ai's generated models file")
    provider, providers = None, set()
    for line in lines:
        top = _PI_PROVIDER.match(line)
        if top:
            provider = top.group(1)
            providers.add(provider)
            continue
        m = _PI_ID.match(line)
        if m and provider in PI_AI_PROVIDERS:
            out.models.append(Known(m.group(1), provider))
    if not providers:  # a layout this line reader does not know: say so rather than report nothing
        raise DriftError(f"{path}: no provider keys found (4-space indented); the generated layout changed")
    return out


def read_litellm(cost_map: Path, version: str | None = None, today: _dt.date | None = None) -> Integration:
    """LiteLLM's cost map: the entries of its moonshot provider. An entry whose deprecation_date
    has passed is known but not current."""
    cost_map = Path(cost_map)
    try:
        data = json.loads(_read(cost_map))
    except ValueError as e:
        raise DriftError(f"{cost_map}: not JSON ({e})") from None
    if not isinstance(data, dict):
        raise DriftError(f"{cost_map}: expected an object of model entries")
    today = today or _dt.date.today()
    out = Integration("litellm", version, [str(cost_map)])
    for key, entry in sorted(data.items()):
        if not isinstance(entry, dict) or entry.get("litellm_provider") not in LITELLM_PROVIDERS:
            continue
        mid = key.split("/", 1)[1] if key.startswith(f"{entry['litellm_provider']}/") else key
        deprecated = str(entry.get("deprecation_date") or "")
        current = not deprecated or deprecated > today.isoformat()
        note = f"deprecation_date {deprecated}" if deprecated else str(entry.get("source") or "")
        out.models.append(Known(mid, entry["litellm_provider"], current, note))
    return out


def _literal_strings(node: ast.AST) -> list[str]:
    """The strings of `Literal['a', 'b']`."""
    if isinstance(node, ast.Subscript):
        inner = node.slice
        elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def read_pydantic_ai(package_dir: Path, version: str | None = None) -> Integration:
    """pydantic-ai's MoonshotAI provider (package_dir = the `pydantic_ai` package folder)."""
    package_dir = Path(package_dir)
    path = package_dir / "providers" / "moonshotai.py"
    out = Integration("pydantic-ai", version, [str(path)])
    try:
        tree = ast.parse(_read(path), str(path))
    except SyntaxError as e:
        raise DriftError(f"{path}: not Python ({e.msg}, line {e.lineno})") from None
    names: list[str] = []
    off_bodies: dict[str, Any] = {}
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        if target == "MoonshotAIModelName" and value is not None:
            names = _literal_strings(value)
        elif target == "_THINKING_FALSE_BODY_BY_PREFIX" and value is not None:
            try:
                off_bodies = ast.literal_eval(value)
            except ValueError:
                off_bodies = {}
    if not names:
        raise DriftError(f"{path}: no `MoonshotAIModelName = Literal[...]`")
    for mid in names:
        prefix = next((p for p in off_bodies if mid.lower().startswith(p)), None)
        note = f"thinking=False sends {json.dumps(off_bodies[prefix])}" if prefix else "thinking=False sends nothing"
        out.models.append(Known(mid, "moonshotai", note=note))
    return out


_VERCEL_IDS = re.compile(r"type MoonshotAIChatModelId = ([^;]*);")


def read_vercel_ai(package_dir: Path) -> Integration:
    """The Vercel AI SDK's Moonshot provider (package_dir = node_modules/@ai-sdk/moonshotai): the string
    literals of its `MoonshotAIChatModelId` type (the open `(string & {})` member names none)."""
    package_dir = Path(package_dir)
    path = package_dir / "dist" / "index.d.ts"
    out = Integration("vercel-ai", _package_version(package_dir / "package.json"), [str(path)])
    m = _VERCEL_IDS.search(_read(path))
    if not m:
        raise DriftError(f"{path}: no `type MoonshotAIChatModelId = ...;`: not @ai-sdk/moonshotai's types")
    out.models = [Known(mid, "moonshotai") for mid in re.findall(r"'([^']+)'", m.group(1))]
    if not out.models:
        raise DriftError(f"{path}: MoonshotAIChatModelId names no model id")
    return out


# ----------------------------------------------------------------------- installed Python packages
def python_package_dir(module: str) -> Path | None:
    """The folder of an installed top-level package, found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def dist_version(*names: str) -> str | None:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def installed_python_integrations() -> list[Integration]:
    """LiteLLM and pydantic-ai as installed in this interpreter (`not installed` when absent)."""
    out = []
    litellm = python_package_dir("litellm")
    cost_map = litellm / "model_prices_and_context_window_backup.json" if litellm else None
    if cost_map is not None and cost_map.is_file():
        out.append(read_litellm(cost_map, dist_version("litellm")))
    else:
        out.append(Integration.absent("litellm"))
    pyd = python_package_dir("pydantic_ai")
    if pyd is not None and (pyd / "providers" / "moonshotai.py").is_file():
        out.append(read_pydantic_ai(pyd, dist_version("pydantic-ai-slim", "pydantic-ai")))
    else:
        out.append(Integration.absent("pydantic-ai"))
    return out


# ------------------------------------------------------------------------------------ allow-list
@dataclass(frozen=True)
class Allowed:
    id: str
    reason: str


def load_allow(path: Path | None = None) -> dict[str, dict[str, Allowed]]:
    """drift-allow.yaml: `omitted` (ids an integration knows that the catalog deliberately leaves
    out) and `not_served` (catalog models the upstream's model list need not name), each entry an
    id and its reason."""
    path = Path(path or ALLOW_PATH)
    try:
        data = yamlio.safe_load(_read(path))
    except yamlio.YAMLError as e:
        raise DriftError(f"{path}: not YAML ({' '.join(str(e).split())})") from None
    if not isinstance(data, dict):
        raise DriftError(f"{path}: expected a mapping with `omitted` and `not_served` lists")
    out: dict[str, dict[str, Allowed]] = {}
    for section in ("omitted", "not_served"):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise DriftError(f"{path}: `{section}` must be a list of {{id, reason}}")
        out[section] = {}
        for i, entry in enumerate(entries):
            reason = str(entry.get("reason") or "").strip() if isinstance(entry, dict) else ""
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not reason:
                raise DriftError(f"{path}: {section}[{i}] needs an `id` and a non-empty `reason`")
            out[section][entry["id"]] = Allowed(entry["id"], " ".join(reason.split()))
    unknown = set(data) - {"omitted", "not_served", "$comment"}
    if unknown:
        raise DriftError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} (expected omitted, not_served)")
    return out


# --------------------------------------------------------------------------------------- compare
@dataclass
class Row:
    id: str
    known_by: dict[str, Known]  # integration -> what it says
    catalog: list[str]  # catalog refs with this id (or a legacy alias of it)
    allowed: str | None = None

    @property
    def current(self) -> bool:
        return any(k.current for k in self.known_by.values())

    @property
    def verdict(self) -> str:
        if self.catalog:
            return "in catalog"
        if self.allowed:
            return "allow-listed"
        return "missing" if self.current else "not in catalog, not current"


@dataclass
class DriftReport:
    integrations: list[Integration]
    rows: list[Row]
    catalog_version: str

    @property
    def missing(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == "missing"]

    def to_json(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog_version,
            "integrations": [
                {"name": i.name, "installed": i.installed, "version": i.version, "files": i.files}
                for i in self.integrations
            ],
            "models": [
                {
                    "id": r.id,
                    "knownBy": {
                        n: {"provider": k.where, "current": k.current, "note": k.note} for n, k in r.known_by.items()
                    },
                    "catalog": r.catalog,
                    "verdict": r.verdict,
                    **({"reason": r.allowed} if r.allowed else {}),
                }
                for r in self.rows
            ],
            "missing": [r.id for r in self.missing],
        }


def catalog_ids(catalog) -> dict[str, list[str]]:
    """model id (and legacy alias) -> the catalog refs that carry it."""
    out: dict[str, list[str]] = {}
    for m in catalog:
        for mid in [m.id, *m.data.get("aliases", [])]:
            out.setdefault(mid, []).append(m.ref)
    return out


def compare(catalog, integrations: Iterable[Integration], allow: dict[str, dict[str, Allowed]]) -> DriftReport:
    integrations = list(integrations)
    known: dict[str, dict[str, Known]] = {}
    for integ in integrations:
        for k in integ.models:
            # the first listing wins (e.g. pi-ai's moonshotai before moonshotai-cn)
            known.setdefault(k.id, {}).setdefault(integ.name, k)
    ids = catalog_ids(catalog)
    omitted = allow.get("omitted", {})
    rows = [
        Row(mid, by, sorted(set(ids.get(mid, []))), omitted[mid].reason if mid in omitted else None)
        for mid, by in sorted(known.items())
    ]
    return DriftReport(integrations, rows, catalog.version)


def render(report: DriftReport) -> str:
    """The table of `kimi-conformance catalog --drift`."""
    lines = []
    for integ in report.integrations:
        if not integ.installed:
            lines.append(f"{integ.name}: not installed")
        else:
            read = ", ".join(integ.files)
            lines.append(f"{integ.name} {integ.version or '(version unknown)'}: {len(integ.models)} models ({read})")
    names = [i.name for i in report.integrations]
    head = ["model id", *names, "catalog"]
    table = [head]
    installed = {i.name for i in report.integrations if i.installed}
    for r in report.rows:
        cells = [r.id]
        for n in names:
            k = r.known_by.get(n)
            cells.append("-" if n not in installed else (k.where + ("" if k.current else " (deprecated)")) if k else "")
        cells.append(", ".join(r.catalog) or ("MISSING" if r.verdict == "missing" else r.verdict))
        table.append(cells)
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines.append("")
    for i, row in enumerate(table):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    allowed = [r for r in report.rows if r.verdict == "allow-listed"]
    if allowed:
        lines.append("\nallow-listed (drift-allow.yaml):")
        lines.extend(f"  {r.id}: {r.allowed}" for r in allowed)
    if report.missing:
        lines.append(
            f"\n{len(report.missing)} model(s) an integration knows are missing from catalog {report.catalog_version}: "
            + ", ".join(r.id for r in report.missing)
            + " (add them to harness/catalog/catalog.json, or name them with a reason in harness/catalog/drift-allow.yaml)"
        )
    else:
        lines.append(f"\ncatalog {report.catalog_version} knows every current model the installed integrations name")
    return "\n".join(lines)
