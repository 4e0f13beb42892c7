"""Known divergences: where a real implementation (or the upstream API) disagrees with the
contract, written down as data with its evidence (`harness/divergences/<target>.json`).

A listed divergence turns a matching failure into an expected one; a separate strict test
replays each entry's minimal case and fails when it stops diverging, so the files stay true.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DIR = Path(__file__).resolve().parent.parent / "divergences"
SCHEMA = DIR / "known-divergences.schema.json"
_MISSING = object()


def _resolve(obj: Any, parts: list[str]) -> list[Any]:
    """Values at a dotted path; `[]` after a key fans out over a list."""
    if not parts:
        return [obj]
    head, rest = parts[0], parts[1:]
    fan = head.endswith("[]")
    key = head[:-2] if fan else head
    value = obj.get(key, _MISSING) if isinstance(obj, dict) else _MISSING
    if value is _MISSING:
        return [_MISSING] if not rest else []
    if fan:
        return [v for item in (value if isinstance(value, list) else []) for v in _resolve(item, rest)]
    return _resolve(value, rest)


def _holds(cond: dict[str, Any], case: dict[str, Any]) -> bool:
    values = _resolve(case, cond["path"].split("."))
    op, want = cond.get("op", "present"), cond.get("value")
    if op == "absent":
        return all(v is _MISSING for v in values)
    present = [v for v in values if v is not _MISSING]
    tests = {
        "present": lambda v: True,
        "equals": lambda v: v == want,
        "in": lambda v: v in want,
        "matches": lambda v: isinstance(v, str) and re.search(want, v) is not None,
        "lower-equals": lambda v: isinstance(v, str) and v.strip().lower() == want,
    }
    return any(tests[op](v) for v in present)


@dataclass(frozen=True)
class Divergence:
    id: str
    rule: str
    data: dict[str, Any]

    def matches(self, rule: str, case: dict[str, Any], failure: str) -> bool:
        if rule != self.rule and rule not in self.data.get("also_rules", []):
            return False
        if not all(_holds(c, case) for c in self.data.get("when", [])):
            return False
        pattern = self.data.get("failure")
        return pattern is None or re.search(pattern, failure, re.S) is not None

    @property
    def case(self) -> dict[str, Any]:
        return self.data["case"]


class Divergences:
    def __init__(self, entries: list[Divergence]):
        self.entries = entries

    @classmethod
    def for_target(cls, target_name: str) -> "Divergences":
        return cls(list(_load(target_name.split(":", 1)[0])))

    def match(self, rule: str, case: dict[str, Any], failure: str) -> Divergence | None:
        return next((d for d in self.entries if d.matches(rule, case, failure)), None)

    def __iter__(self):
        return iter(self.entries)


@cache
def _load(name: str) -> tuple[Divergence, ...]:
    path = DIR / f"{name}.json"
    if not path.exists():
        return ()
    data = json.loads(path.read_text())
    import jsonschema

    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    return tuple(Divergence(e["id"], e["rule"], e) for e in data["divergences"])


def all_files() -> list[Path]:
    return sorted(p for p in DIR.glob("*.json") if p != SCHEMA)
