"""`kimi-conformance catalog`: the model catalog as a table (prices with their unit)."""

from __future__ import annotations

import json


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
