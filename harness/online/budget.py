"""The session's cost budget for live runs: every request reserves its worst case first.

The worst case is a prompt estimate plus max_tokens at the catalog's prices; a placeholder or
example price is budgeted at the catalog's highest real rates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

DEFAULT_BUDGET_USD = Decimal("0.50")
DEFAULT_MAX_OUTPUT = 4096  # assumed completion tokens of a request that sets no max_tokens
IMAGE_TOKENS = 1500  # generous per-image prompt estimate


class BudgetExceeded(Exception):
    pass


@dataclass
class Budget:
    """Session-wide estimated spend, in USD. `reserve` refuses a request whose worst case
    would pass the limit; once refused, the budget stays closed (the run stops spending)."""

    limit: Decimal
    spent: Decimal = Decimal(0)
    requests: int = 0
    closed_reason: str | None = None

    def __post_init__(self):
        self.limit = Decimal(str(self.limit))

    def reserve(self, worst_case: Decimal, what: str = "request") -> None:
        if self.closed_reason:
            raise BudgetExceeded(self.closed_reason)
        if self.spent + worst_case > self.limit:
            self.closed_reason = (
                f"cost budget reached: {what} could cost up to ${worst_case:.6f}, ${self.spent:.6f} of "
                f"${self.limit} already spent (--kimi-budget-usd); no further live requests in this run"
            )
            raise BudgetExceeded(self.closed_reason)

    def spend(self, cost: Decimal) -> None:
        self.spent += Decimal(cost)
        self.requests += 1


def budget_prices(model, catalog) -> dict[str, Any]:
    """Prices usable for estimate_cost (usage.py key names, per MTok). A placeholder or example
    price (0 or per-1K example) is not a price: budget it at the catalog's highest real rates."""
    cost = model.cost
    if cost.get("placeholder") or cost.get("example"):
        real = [
            m.cost
            for m in catalog
            if not (m.cost.get("placeholder") or m.cost.get("example")) and m.cost.get("unit") == "usd_per_mtok"
        ]
        cost = {
            "unit": "usd_per_mtok",
            "input": max((c["input"] for c in real), default=3.0),
            "output": max((c["output"] for c in real), default=15.0),
            "cacheRead": max((c.get("cacheRead", 0) for c in real), default=0.3),
        }
    return catalog_prices(cost)


def catalog_prices(cost: Mapping[str, Any]) -> dict[str, Any]:
    """Catalog `cost` block -> the key names harness.wire.usage.estimate_cost reads."""
    return {
        "unit": cost["unit"],
        "input": cost["input"],
        "output": cost["output"],
        "cache_read": cost.get("cacheRead", 0),
        "cache_write": cost.get("cacheWrite", 0),
    }


def worst_case_cost(body: Mapping[str, Any], prices: Mapping[str, Any]) -> Decimal:
    from harness.wire.usage import Usage, estimate_cost

    text = json.dumps(body, ensure_ascii=False)
    images = text.count('"image_url"')
    prompt = math.ceil(len(text) / 2) + IMAGE_TOKENS * images
    completion = body.get("max_tokens") or body.get("max_completion_tokens") or DEFAULT_MAX_OUTPUT
    n = body["n"] if isinstance(body.get("n"), int) else 1
    return estimate_cost(Usage(prompt, completion * n, prompt + completion * n), prices).total
