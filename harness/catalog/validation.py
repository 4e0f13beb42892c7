"""Validation of catalog data against catalog.schema.json, reported as one line naming where."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from harness.errors import CatalogError

SCHEMA_PATH = Path(__file__).parent / "catalog.schema.json"


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def validate(data: Any, origin: str = "catalog") -> None:
    import jsonschema  # lazy: importing the catalog package stays cheap

    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        # one line: the first few errors name where; the count says how much more is wrong
        shown = "; ".join(f"at {_json_path(e.path)}: {_short(e.message)}" for e in errors[:3])
        more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
        raise CatalogError(f"{origin} is not a valid catalog: {shown}{more}")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_path(path) -> str:
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out
