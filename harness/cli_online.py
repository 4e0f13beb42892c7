"""`kimi-conformance websearch` and `kimi-conformance smoke`: one real (or emulated) round trip each.

Where requests go: an emulator started in-process on loopback (default), `--upstream URL` (a
Moonshot stand-in; Kimi Coding goes to its sibling `/coding/v1`), or `--live` (the catalog's
endpoints, keys from the environment or the config file). Keys are never printed; a missing
key is one line and exit status 2.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from harness.errors import HarnessError

# The emulator, like the real services, refuses one provider's key on the other's host: one key each.
EMULATOR_KEYS = {"moonshot": "sk-conformance-emulator-moonshot", "kimi": "sk-kimi-conformance-emulator"}


class UsageProblem(HarnessError):
    """A bad option or a missing key: one line, exit 2."""


@contextlib.contextmanager
def endpoint_settings(args, catalog) -> Iterator[Any]:
    """WireSettings for the run; starts (and stops) an in-process emulator unless --upstream/--live."""
    from harness.cassettes.settings import WireSettings

    emulator = None
    upstream = args.upstream
    if not args.live and not upstream:
        from harness.emulator import Emulator

        emulator = Emulator()
        upstream = emulator.start()
    try:
        yield (
            WireSettings(
                catalog=catalog,
                cassette_dir=Path("."),
                live=args.live,
                upstream=upstream,
                endpoint=getattr(args, "endpoint", "international"),
            ),
            emulator is not None,
        )
    finally:
        if emulator is not None:
            emulator.stop()


def base_url(settings, model) -> str:
    """--upstream's stand-in, else the provider's base URL as the catalog (or config) gives it;
    `--endpoint china` picks Moonshot's China endpoint."""
    up = settings.upstream_for(model)
    if up:
        return up
    if settings.endpoint != "international":
        return settings.canonical_base(model)
    return model.provider.base_url.rstrip("/")


def load_catalog(path):
    """The catalog of a command; a user config's warnings (per-1K cost figures) go to stderr."""
    from harness import catalog as catalog_mod

    cat = catalog_mod.load(path)
    for w in cat.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return cat


def key_for(provider, args, secrets) -> str:
    """The key of a run: the emulator placeholder unless --live; then the config's own key (an
    explicit apiKey wins, as in OpenClaw), then the environment."""
    from harness.live_keys import find_key, missing_key_reason

    if not args.live:
        return EMULATOR_KEYS.get(provider.id, EMULATOR_KEYS["moonshot"])
    names = list(provider.auth_env)
    if secrets.get(provider.id):
        return secrets[provider.id]
    found = find_key(names)
    if found:
        return found[1]
    raise UsageProblem(
        missing_key_reason(names, provider.id) + (f" (or apiKey in {args.catalog})" if args.catalog else "")
    )


def _user_config(args):
    from harness.catalog.user_config import UserConfig, parse

    return parse(args.catalog) if args.catalog else UserConfig(Path("-"), {})


# ------------------------------------------------------------------------------ websearch
def websearch_main(args, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    import httpx

    from harness import websearch
    from harness.live import WireClient
    from harness.live_keys import missing_key_reason
    from harness.wire.websearch_cost import WebSearchPricing

    cat = load_catalog(args.catalog)
    ws = websearch.settings(cat)
    cfg = _user_config(args)
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
            found = websearch.live_key(cfg.secrets.get("webSearch"), os.environ, ws.get("authEnv", ()))
            if found is None:
                raise UsageProblem(missing_key_reason(ws.get("authEnv", ()), "moonshot (web search)"))
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


# ------------------------------------------------------------------------------ smoke
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

    from harness.cassettes import scrub
    from harness.live import WireClient
    from harness.live_budget import BudgetExceeded, budget_prices
    from harness.reference import transform
    from harness.reference.t9_usage_cost import usage_and_cost

    base = base_url(settings, model)
    body = transform(smoke_case(model), catalog)["body"]
    fact: dict[str, Any] = {"provider": model.provider.id, "model": model.id, "endpoint": base}
    health = getattr(settings, "upstream_health", None)  # the wire run's: a gone upstream is not asked again
    if health is not None and health.not_run_reason(base):
        fact["skipped"] = health.not_run_reason(base)
        return fact
    transport = health.transport(base) if health is not None else None
    anthropic = model.api == "anthropic-messages"  # Kimi Coding's Messages surface
    prices = budget_prices(model, catalog) if settings.budget else None
    try:
        with WireClient(base, key, budget=settings.budget, timeout=timeout, transport=transport) as client:
            if anthropic:
                fixed = model.provider.endpoint_for(model.base_url).get("headers") or {}
                r = client.messages(body, prices=prices, headers=fixed)
            else:
                r = client.chat(body, prices=prices)
    except BudgetExceeded as e:  # not a failure of the API: the run stops spending
        fact["skipped"] = str(e)
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

    from harness.live_budget import Budget

    cat = load_catalog(args.catalog)
    models = [cat.resolve(ref) for ref in args.model] if args.model else default_models(cat)
    secrets = _user_config(args).secrets
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
                key = key_for(model.provider, args, secrets)
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


def add_parsers(sub) -> None:
    p = sub.add_parser("websearch", help="one Kimi $web_search round trip: answer, citations, cost")
    p.add_argument("query", help="what to search for (sent as the user message)")
    p.add_argument("--model", help="a Moonshot model with $web_search (default: the catalog's webSearch.defaultModel)")
    _online_options(p)
    p.set_defaults(func=lambda a: websearch_main(a))

    p = sub.add_parser("smoke", help="'Reply exactly: KIMI_LIVE_OK' to each provider's default model")
    p.add_argument(
        "--model",
        action="append",
        metavar="REF",
        help="these model refs instead of each provider's default (repeatable)",
    )
    p.add_argument(
        "--budget-usd",
        type=float,
        default=0.05,
        metavar="USD",
        help="estimated-spend limit of the run (default 0.05); a request that could pass it is skipped",
    )
    _online_options(p)
    p.set_defaults(func=lambda a: smoke_main(a))


def _online_options(p) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--upstream", metavar="URL", help="a Moonshot stand-in base URL (e.g. http://127.0.0.1:PORT/v1)")
    where.add_argument("--live", action="store_true", help="the real APIs (keys: environment, then --config)")
    p.add_argument(
        "--catalog",
        "--config",
        dest="catalog",
        metavar="PATH",
        help="a catalog or OpenClaw / nix-openclaw config (JSON or JSON5)",
    )
    p.add_argument(
        "--endpoint",
        default="international",
        choices=("international", "china"),
        help="Moonshot endpoint of --live runs (china = https://api.moonshot.cn/v1)",
    )
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="per-request timeout (default 60)")
