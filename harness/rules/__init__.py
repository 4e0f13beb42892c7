"""The rule registry: one module per rule, each declaring `RULE = Rule(...)`.

Adding a rule is one new module here plus its suite file (`suites/<test_name>.py`); the
standard tests, the capabilities' rule set, matrix rows and report titles all come from here.

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from harness.rules._rule import ABSENT, Check, Rule

__all__ = ["ABSENT", "Check", "Rule", "advice", "all_rules", "get", "ids", "transform_rules"]


@cache
def _registry() -> dict[str, Rule]:
    found: list[Rule] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            found.append(rule)
    found.sort(key=lambda r: r.order)
    registry = {r.id: r for r in found}
    if len(registry) != len(found):
        raise RuntimeError("two rule modules declare the same rule id")
    return registry


def all_rules() -> list[Rule]:
    return list(_registry().values())


def ids() -> list[str]:
    return list(_registry())


def get(rule_id: str) -> Rule:
    try:
        return _registry()[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule {rule_id!r} (known: {', '.join(_registry())})") from None


def transform_rules() -> list[Rule]:
    """Rules judged on a case's outbound request (the property suites)."""
    return [r for r in all_rules() if r.kind == "transform"]


@cache
def _advice() -> dict[str, str]:
    from pathlib import Path

    from harness.util import yamlio

    return yamlio.safe_load((Path(__file__).with_name("advice.yaml")).read_text(encoding="utf-8")) or {}


def advice(check_id: str) -> str | None:
    """What to do when `check_id` fails: one line for the implementer (advice.yaml), or None."""
    return _advice().get(check_id)
