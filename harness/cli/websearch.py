"""`kimi-conformance websearch`: one Kimi $web_search round trip (answer, citations, cost)."""

from __future__ import annotations

import sys
from typing import TextIO

from harness.cli.endpoints import (
    EMULATOR_KEYS,
    UsageProblem,
    base_url,
    endpoint_settings,
    load_catalog,
    load_user_config,
)


def websearch_main(args, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    import httpx

    from harness.online import websearch
    from harness.online.client import WireClient
    from harness.online.keys import key_owner, missing_key_reason, run_key
    from harness.wire.websearch_cost import WebSearchPricing

    cat = load_catalog(args.catalog)
    ws = websearch.settings(cat)
    cfg = load_user_config(args)
    model = cat.resolve(args.model or f"moonshot/{cfg.web_search.get('model') or ws.get('defaultModel', 'kimi-k2.6')}")
    if model.provider.id != "moonshot" or model.id not in ws["models"]:
        raise UsageProblem(
            f"--model {model.ref}: $web_search is catalogued for moonshot/{', moonshot/'.join(sorted(ws['models']))}"
        )
    with endpoint_settings(args, cat) as (settings, emulated):
        key = EMULATOR_KEYS["moonshot"]
        if args.live:
            native = settings.canonical_base(model) if args.endpoint == "china" else model.provider.base_url
            base = websearch.live_endpoint(cfg.web_search, native)
            # webSearch.apiKey, else Moonshot's own key: never Kimi Coding's (OpenClaw would fall back
            # to KIMI_API_KEY; the harness sends no provider's key to another's host)
            found = run_key(model.provider, cat, cfg.secrets.get("webSearch"))
            if found is None:
                own = [n for n in model.provider.auth_env if key_owner(cat, n) == model.provider.id]
                raise UsageProblem(missing_key_reason(own, "moonshot (web search)") + " (or webSearch.apiKey)")
            key = found
        else:
            base = base_url(settings, model)
        try:
            with WireClient(base, key, timeout=args.timeout) as client:
                run = websearch.run(client, model, cat, args.query)
        except httpx.HTTPError as e:
            raise UsageProblem(f"{base}: {type(e).__name__}: {e}") from None
    label = f"{base} (emulator, in-process)" if emulated else base
    for line in websearch.describe(run, model, label, WebSearchPricing.from_catalog(cat)):
        print(line, file=out)
    return 0 if run.error is None and run.finish_reason == "stop" else 1
