"""Load the wire JSON Schemas once and validate bodies against them.

Errors carry a JSONPath-style location (``$.choices[0].delta.tool_calls[0].id``)
so a failing capture names the exact field. Beyond the schemas, usage objects get
cross-field checks JSON Schema cannot express (total = prompt + completion, ...).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).with_name("schemas")
KINDS = (
    "request",
    "response",
    "chunk",
    "error",
    "models",
    "usage",
    # Kimi Coding's Anthropic Messages surface (POST /coding/v1/messages)
    "anthropic-request",
    "anthropic-response",
    "anthropic-event",
    "anthropic-error",
)
_BASE = "https://kimi-conformance.invalid/wire/"


@dataclass(frozen=True)
class WireError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class WireSchemaError(ValueError):
    """Raised by validate(); ``path``/``message`` describe the first error, ``errors`` all."""

    def __init__(self, kind: str, errors: list[WireError]):
        self.kind = kind
        self.errors = errors
        self.path = errors[0].path
        self.message = errors[0].message
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{kind}: {self.path}: {self.message}{more}")


def json_path(parts: Iterable[Any], root: str = "$") -> str:
    out = root
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


@functools.cache
def _documents() -> tuple[dict, ...]:
    """Every wire schema document, read once (jsonschema's registry and the compiled check)."""
    return tuple(json.loads(f.read_text(encoding="utf-8")) for f in sorted(SCHEMA_DIR.glob("*.schema.json")))


@functools.cache
def _registry() -> Registry:
    return Registry().with_resources([(doc["$id"], Resource.from_contents(doc)) for doc in _documents()])


@functools.cache
def load_schema(kind: str) -> dict:
    if kind not in KINDS:
        raise KeyError(f"unknown wire kind {kind!r}; expected one of {KINDS}")
    return _registry().contents(f"{_BASE}{kind}.schema.json")


@functools.cache
def _validator(kind: str) -> Draft202012Validator:
    schema = load_schema(kind)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


@functools.cache
def _fast(kind: str) -> Callable[[Any], bool] | None:
    """A compiled yes/no for `kind` (harness.util.fastschema): most bodies are valid, and jsonschema
    then only runs to say where and why. None where the schema has no fast path."""
    from harness.util.fastschema import compile_check

    _validator(kind)  # the schema itself is checked once either way
    try:
        return compile_check(load_schema(kind), _documents())
    except ValueError:
        return None


def _leaf(error):
    # oneOf/anyOf wrap the useful message: descend into the branch whose type matched
    # the instance (drop "is not of type"), deepest first, so the report names the field.
    while error.context:
        branches = [e for e in error.context if e.validator != "type"] or list(error.context)
        error = max(branches, key=lambda e: len(e.absolute_path))
    return error


def _usage_invariants(usage: Any, parts: list) -> Iterator[WireError]:
    if not isinstance(usage, dict):
        return
    ints = {k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)}
    p, c, t = (ints.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens"))
    if p is not None and c is not None and t is not None and p + c != t:
        yield WireError(
            json_path(parts + ["total_tokens"]), f"total_tokens {t} != prompt_tokens {p} + completion_tokens {c}"
        )
    details = usage.get("prompt_tokens_details") or {}
    for name, val in (
        ("cached_tokens", ints.get("cached_tokens")),
        ("prompt_tokens_details.cached_tokens", details.get("cached_tokens") if isinstance(details, dict) else None),
    ):
        if isinstance(val, int) and p is not None and val > p:
            yield WireError(json_path(parts + name.split(".")), f"{val} cached tokens exceed prompt_tokens {p}")
    cdet = usage.get("completion_tokens_details") or {}
    r = cdet.get("reasoning_tokens") if isinstance(cdet, dict) else None
    if isinstance(r, int) and c is not None and r > c:
        yield WireError(
            json_path(parts + ["completion_tokens_details", "reasoning_tokens"]),
            f"reasoning_tokens {r} exceed completion_tokens {c}",
        )


def _semantic_errors(kind: str, obj: Any) -> Iterator[WireError]:
    if kind == "usage":
        yield from _usage_invariants(obj, [])
    elif kind in ("response", "chunk") and isinstance(obj, dict):
        yield from _usage_invariants(obj.get("usage"), ["usage"])
        for i, ch in enumerate(obj.get("choices") or []):
            if isinstance(ch, dict):
                yield from _usage_invariants(ch.get("usage"), ["choices", i, "usage"])


def iter_errors(kind: str, obj: Any, root: str = "$") -> Iterator[WireError]:
    """All schema + invariant errors, ordered by location. ``root`` prefixes the paths."""
    found = []
    fast = _fast(kind)
    if fast is None or not fast(obj):  # a valid body (most are) skips jsonschema's walk
        for err in _validator(kind).iter_errors(obj):
            leaf = _leaf(err)
            found.append(WireError(json_path(leaf.absolute_path, root), leaf.message))
    if not found:  # invariants are only meaningful on a schema-valid body
        found = [WireError(root + e.path[1:], e.message) for e in _semantic_errors(kind, obj)]
    seen = set()
    for e in sorted(found, key=lambda e: e.path):
        if e not in seen:
            seen.add(e)
            yield e


def validate(kind: str, obj: Any) -> None:
    errors = list(iter_errors(kind, obj))
    if errors:
        raise WireSchemaError(kind, errors)
