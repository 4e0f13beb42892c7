"""The options of `kimi-conformance websearch` and `kimi-conformance smoke`: one real (or emulated)
round trip each. The commands are `cli_websearch` and `cli_smoke`; where their requests go, and
with which key, is `harness.cli.endpoints`.
"""

from __future__ import annotations

from harness.cli.inputs import add_catalog_option
from harness.cli.smoke import smoke_main
from harness.cli.websearch import websearch_main


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
    add_catalog_option(p, help="a catalog or OpenClaw / nix-openclaw config (JSON or JSON5)")
    p.add_argument(
        "--endpoint",
        default="international",
        choices=("international", "china"),
        help="Moonshot endpoint of --live runs (china = https://api.moonshot.cn/v1)",
    )
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="per-request timeout (default 60)")
