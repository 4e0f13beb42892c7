"""`kimi-conformance drift --live | --upstream URL`: has the upstream drifted from the catalog and the
emulator's rules? GET /models against the catalog, then one control-variable probe per body rule of
harness/emulator/rules.json; a dated JSON + Markdown report under reports/drift/. Exit 0 same,
1 drifted, 3 undecidable (the work is harness.online.drift)."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from harness.cli.inputs import UsageProblem, add_catalog_option

PROVIDER = "moonshot"  # the probes are Moonshot's body rules; Kimi Coding has no probe yet


def add_drift_command(sub) -> None:
    p = sub.add_parser(
        "drift",
        help="has the upstream drifted? GET /models vs the catalog, a probe pair per emulator rule",
        description=__doc__,
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--live", action="store_true", help="the real Moonshot API (key: MOONSHOT_API_KEY)")
    where.add_argument("--upstream", metavar="URL", help="a Moonshot stand-in base URL, e.g. an emulator's .../v1")
    add_catalog_option(p)
    p.add_argument(
        "--out", metavar="DIR", default="reports/drift", help="where the report goes (default reports/drift)"
    )
    p.add_argument(
        "--probe-budget-usd",
        default="0.02",
        metavar="USD",
        help="estimated-spend limit of each probe pair (default 0.02); past it the probe is undecidable",
    )
    p.add_argument(
        "--max-retries",
        type=int,
        default=None,
        metavar="N",
        help="retries of a 429 / 5xx answer (default: the live mode's, 4)",
    )
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="per-request timeout (default 60)")
    p.add_argument(
        "--allow-list",
        metavar="FILE",
        default=None,
        help="known model-list differences with reasons (default harness/catalog/drift-allow.yaml)",
    )
    p.set_defaults(func=cmd_drift)


def cmd_drift(args) -> int:
    from harness.catalog.drift import load_allow
    from harness.cli.endpoints import EMULATOR_KEYS, load_catalog
    from harness.emulator.rules import load_rules
    from harness.online import drift
    from harness.online.keys import key_owner, missing_key_reason, provider_key
    from harness.online.retry import RetryPolicy

    if not args.live and not args.upstream:
        raise UsageProblem("give --live (the real API, MOONSHOT_API_KEY) or --upstream URL (e.g. an emulator)")
    try:
        budget = Decimal(str(args.probe_budget_usd))
    except InvalidOperation:
        budget = Decimal(-1)
    if not budget > 0:
        raise UsageProblem(f"--probe-budget-usd {args.probe_budget_usd!r}: expected a positive amount in USD")
    if args.max_retries is not None and args.max_retries < 0:
        raise UsageProblem(f"--max-retries {args.max_retries}: expected 0 or more")
    cat = load_catalog(args.catalog)
    provider = cat.providers[PROVIDER]
    if args.live:
        found = provider_key(provider, cat)
        if found is None:
            own = [n for n in provider.auth_env if key_owner(cat, n) == provider.id]
            raise UsageProblem("skipped: " + missing_key_reason(own, provider.id) + " (or use --upstream URL)")
        base, key, mode = provider.base_url, found[1], "live"
    else:
        # a stand-in never gets a real key: the emulator takes any sk- key
        base, key, mode = args.upstream, EMULATOR_KEYS[PROVIDER], "upstream"
    retry = RetryPolicy() if args.max_retries is None else RetryPolicy(max_retries=args.max_retries)
    allow = load_allow(args.allow_list)

    def progress(check) -> None:
        what = check.name if check.kind == "models" else f"{check.name} ({check.model}, {check.field})"
        detail = f": {check.detail}" if check.detail else ""
        print(f"{check.verdict:<11} {what}{detail}", flush=True)

    try:
        result = drift.run(
            base,
            key,
            cat,
            load_rules(),
            allow,
            mode=mode,
            probe_budget_usd=budget,
            retry=retry,
            timeout=args.timeout,
            progress=progress,
        )
    except drift.ProbeError as e:
        raise UsageProblem(f"harness/emulator/rules.json: {e}") from None
    json_path, md_path = drift.write_report(result, Path(args.out))
    counts = result.to_json()["counts"]
    print(
        f"\ndrift {result.verdict}: {counts['same']} same, {counts['drifted']} drifted, "
        f"{counts['undecidable']} undecidable against {result.upstream}; report {json_path} and {md_path}",
        file=sys.stdout,
    )
    return result.exit_code
