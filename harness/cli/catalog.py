"""`kimi-conformance catalog`: the model catalog as a table (prices with their unit); with `--drift`,
which installed integration knows which Moonshot / Kimi model, beside the catalog (harness.catalog.drift)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path


def _price(cost: dict) -> str:
    unit = {"usd_per_mtok": "$/MTok", "usd_per_ktok": "$/KTok"}[cost["unit"]]
    parts = [cost["input"], cost["output"], cost.get("cacheRead", 0)]
    text = " / ".join(f"{p:g}" for p in parts) + f" {unit}"
    if cost.get("placeholder"):
        text += " (placeholder)"
    elif cost.get("example"):
        text += " (example)"
    return text


def cmd_catalog(args) -> int:
    from harness.cli.endpoints import load_catalog

    cat = load_catalog(args.catalog)
    if getattr(args, "drift", False):
        return cmd_drift(args, cat)
    models = cat.models(include_retired=not args.skip_retired)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "ref": m.ref,
                        "name": m.name,
                        "status": m.status,
                        "thinking": m.thinking_mode,
                        "input": m.input,
                        "contextWindow": m.data["contextWindow"],
                        "maxTokens": m.data["maxTokens"],
                        "cost": m.cost,
                    }
                    for m in models
                ],
                indent=2,
            )
        )
        return 0
    rows = [("ref", "name", "thinking", "input", "context", "max out", "input / output / cache read", "status")]
    for m in models:
        rows.append(
            (
                m.ref,
                m.name,
                m.thinking_mode,
                ",".join(m.input),
                f"{m.data['contextWindow']:,}",
                f"{m.data['maxTokens']:,}",
                _price(m.cost),
                m.status,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    aliases = cat.accepted_refs()
    extra = sorted(k for k, v in aliases.items() if k != v)
    print(
        f"\n{len(models)} models, catalog {cat.version} ({cat.origin}); {len(extra)} more accepted refs "
        f"(aliases, legacy refs, provider prefixes): kimi-conformance resolve REF"
    )
    return 0


def node_package_dirs() -> dict[str, Path]:
    """Where the Node targets' packages are installed (harness.targets.node.install's cache)."""
    from harness.targets.node.install import default_cache_dir

    return {
        "openclaw": default_cache_dir("openclaw") / "node_modules" / "openclaw",
        "pi-ai": default_cache_dir("pi-ai") / "node_modules" / "@mariozechner" / "pi-ai",
        "vercel-ai": default_cache_dir("vercel-ai") / "node_modules" / "@ai-sdk" / "moonshotai",
    }


def read_integrations(overrides: dict[str, Path] | None = None) -> list:
    """Every integration's Moonshot / Kimi models: from `overrides` (NAME -> path, e.g. a fixture),
    else from where it is installed; one not installed is listed as such, never an error."""
    from harness.catalog import drift

    overrides = overrides or {}
    readers: dict[str, Callable[[Path], drift.Integration]] = {
        "openclaw": drift.read_openclaw,
        "pi-ai": drift.read_pi_ai,
        "litellm": drift.read_litellm,
        "pydantic-ai": drift.read_pydantic_ai,
        "vercel-ai": drift.read_vercel_ai,
    }
    installed = {i.name: i for i in drift.installed_python_integrations()}
    out = []
    for name, where in node_package_dirs().items():
        if name in overrides:
            continue
        out.append(readers[name](where) if where.is_dir() else drift.Integration.absent(name))
    out.extend(i for i in installed.values() if i.name not in overrides)
    for name, path in overrides.items():
        out.append(readers[name](path))
    order = {n: i for i, n in enumerate(drift.INTEGRATIONS)}
    return sorted(out, key=lambda i: order[i.name])


def parse_from(values: list[str] | None) -> dict[str, Path]:
    from harness.catalog.drift import INTEGRATIONS
    from harness.cli.inputs import UsageProblem

    out = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or name not in INTEGRATIONS or not path:
            raise UsageProblem(f"--from {value!r}: expected NAME=PATH with NAME one of {', '.join(INTEGRATIONS)}")
        if not Path(path).exists():
            raise UsageProblem(f"--from {value!r}: {path} does not exist")
        out[name] = Path(path)
    return out


def cmd_drift(args, cat) -> int:
    """`catalog --drift`: per model id, which integration knows it and whether the catalog does;
    1 when an integration knows a current model the catalog lacks and the allow-list does not name."""
    from harness.catalog import drift

    allow = drift.load_allow(args.allow_list)
    report = drift.compare(cat, read_integrations(parse_from(args.drift_from)), allow)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(drift.render(report))
    return 1 if report.missing else 0
