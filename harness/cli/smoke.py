"""`kimi-conformance smoke`: 'Reply exactly: KIMI_LIVE_OK' to each provider's default model, one
line of facts (answer, usage, estimated cost) per model."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from harness.cli.endpoints import UsageProblem, base_url, endpoint_settings, key_for, load_catalog, load_user_config

SMOKE_PROMPT = "Reply exactly: KIMI_LIVE_OK"
SMOKE_ANSWER = "KIMI_LIVE_OK"


def default_models(cat) -> list[Any]:
    """Each provider's default model: the config's primary for its provider, else the catalog's
    onboarding default, else the provider's first current model (kimi -> kimi-for-coding)."""
    out = []
    for provider in cat.providers.values():
        models = [m for m in cat.models(include_retired=False) if m.provider.id == provider.id]
        if not models:
            continue
        primary = [m for m in models if m.ref == cat.primary]
        onboarding = [m for m in models if m.data.get("onboardingDefault")]
        out.append((primary or onboarding or models)[0])
    return out


def smoke_case(model) -> dict[str, Any]:
    return {
        "model": model.ref,
        "thinking": "off",
        "request": {"messages": [{"role": "user", "content": SMOKE_PROMPT}], "max_tokens": 64},
    }


def smoke_one(settings, model, key: str, catalog, *, timeout: float = 60.0) -> dict[str, Any]:
    """One smoke request; the facts printed (and asserted by suites/wire/test_smoke.py)."""
    import httpx

    from harness.online.budget import BudgetExceeded, budget_prices
    from harness.online.client import UpstreamBroken, WireClient
    from harness.reference import transform
    from harness.reference.t9_usage_cost import usage_and_cost
    from harness.util import scrub

    base = base_url(settings, model)
    body = transform(smoke_case(model), catalog)["body"]
    fact: dict[str, Any] = {"provider": model.provider.id, "model": model.id, "endpoint": base}
    health = getattr(settings, "upstream_health", None)  # the wire run's: a gone upstream is not asked again
    if health is not None and health.not_run_reason(base):
        fact["skipped"] = health.not_run_reason(base)
        return fact
    retry = getattr(settings, "retry", None)
    anthropic = model.api == "anthropic-messages"  # Kimi Coding's Messages surface
    prices = budget_prices(model, catalog) if settings.budget else None
    try:
        with WireClient(base, key, budget=settings.budget, timeout=timeout, retry=retry, health=health) as client:
            if anthropic:
                fixed = model.provider.endpoint_for(model.base_url).get("headers") or {}
                r = client.messages(body, prices=prices, headers=fixed)
            else:
                r = client.chat(body, prices=prices)
    except BudgetExceeded as e:  # not a failure of the API: the run stops spending
        fact["skipped"] = str(e)
        return fact
    except (UpstreamBroken, httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as e:
        # a broken, stalled, refused or throttled upstream (still 429 / 5xx after the retries):
        # no answer to judge, so not run (as in the wire suites), never a FAIL of the smoke test
        text = str(e) if str(e).startswith(("upstream ", "broken upstream ")) else f"upstream {base}: {e}"
        fact["skipped"] = scrub.scrub_text(text if text.startswith("broken ") else f"broken {text}")
        if health is not None and health.cause(base) is not None:
            fact["skipped"] += f"; upstream {base} is now considered gone"
        return fact
    except httpx.HTTPError as e:
        fact["error"] = scrub.scrub_text(f"{type(e).__name__}: {e}")
        return fact
    fact["status"] = r.status
    if r.status != 200 or not isinstance(r.json, dict):
        err = (r.json or {}).get("error", {}) if isinstance(r.json, dict) else {}
        fact["error"] = scrub.scrub_text(f"HTTP {r.status} {err.get('type', '')}: {err.get('message') or r.text[:200]}")
        return fact
    if anthropic:
        from harness.wire.anthropic_usage import parse_anthropic

        text = "".join(b.get("text", "") for b in r.json.get("content") or [] if b.get("type") == "text")
        fact["answer"] = text.strip()
        fact["usage"] = usage_and_cost(parse_anthropic(r.json), model.ref, catalog)
    else:
        fact["answer"] = (r.json["choices"][0]["message"].get("content") or "").strip()
        fact["usage"] = usage_and_cost(r.json, model.ref, catalog)
    return fact


def smoke_line(fact: dict[str, Any], cost: dict[str, Any]) -> str:
    unit = "$/MTok" if cost["unit"] == "usd_per_mtok" else "$/KTok"
    unit += ", placeholder price" if cost.get("placeholder") else ", example price" if cost.get("example") else ""
    head = f"{fact['provider']:<10} {fact['model']:<22} {fact['endpoint']}"
    if "error" in fact:
        return f"{head}\n  FAIL  {fact['error']}"
    ok = "OK  " if fact["answer"] == SMOKE_ANSWER else "FAIL"
    u = fact["usage"]
    usage = (
        "no usage returned"
        if u is None
        else (
            f"usage: input {u['input']} + cache read {u['cacheRead']}, output {u['output']}, total {u['totalTokens']}; "
            f"estimated cost ${u['cost']['total']:.6f} (catalog {unit})"
        )
    )
    return f"{head}\n  {ok}  answer: {fact['answer']!r}  {usage}"


def smoke_main(args, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from decimal import Decimal

    from harness.online.budget import Budget

    cat = load_catalog(args.catalog)
    models = [cat.resolve(ref) for ref in args.model] if args.model else default_models(cat)
    secrets = load_user_config(args).secrets
    status = 0
    with endpoint_settings(args, cat) as (settings, emulated):
        settings.budget = Budget(Decimal(str(args.budget_usd)))
        if emulated:
            print(f"emulator (in-process): {settings.upstream}", file=out)
        for model in models:
            if settings.upstream_for(model) is None and not args.live:
                print(
                    f"{model.provider.id:<10} {model.id:<22} skipped: --upstream stands in for moonshot and kimi only",
                    file=out,
                )
                status = max(status, 2)
                continue
            try:
                key = key_for(model.provider, args, secrets, cat)
            except UsageProblem as e:
                print(f"{model.provider.id:<10} {model.id:<22} skipped: {e}", file=out)
                status = max(status, 2)
                continue
            fact = smoke_one(settings, model, key, cat, timeout=args.timeout)
            if "skipped" in fact:
                print(f"{model.provider.id:<10} {model.id:<22} skipped: {fact['skipped']}", file=out)
                status = max(status, 2)
                continue
            print(smoke_line(fact, model.cost), file=out)
            if fact.get("answer") != SMOKE_ANSWER:
                status = 1 if status != 2 else 2
    return status
