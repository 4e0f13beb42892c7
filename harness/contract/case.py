"""Cases: validation, and the facts the catalog fixes about a case (its `Context`).

The context is what the contract knows before any rule runs: which model, which endpoint,
which compat flags and which tool-call-id policy apply. Both the reference and the
implementation-agnostic properties read it, so it must not depend on any target.
"""

from __future__ import annotations

import copy
import json
import weakref
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from harness.catalog import SCHEMA_PATH as CATALOG_SCHEMA_PATH
from harness.catalog import Catalog, Model, builtin
from harness.errors import CaseError, CatalogError

SCHEMA_PATH = Path(__file__).with_name("case.schema.json")
LEVELS = ("off", "minimal", "low", "medium", "high", "xhigh")


@cache
def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """The case schema and the catalog schema it refers to, read once for both validators."""
    return json.loads(SCHEMA_PATH.read_text()), json.loads(CATALOG_SCHEMA_PATH.read_text())


@cache
def _validator():
    import jsonschema
    from referencing import Registry, Resource

    case_schema, catalog_schema = _schemas()
    registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in (case_schema, catalog_schema)])
    return jsonschema.Draft202012Validator(case_schema, registry=registry)


@cache
def _is_valid():
    from harness.util.fastschema import compile_check

    case_schema, catalog_schema = _schemas()
    return compile_check(case_schema, [catalog_schema])


_VALID: dict[str, None] = {}  # canonical JSON of recently validated cases (insertion-ordered)
# id(case) -> (the case, a copy of it as it was validated). A suite hands the same case object to
# the target, the reference and the properties: comparing it with its copy (C-level dict
# equality) is much cheaper than serializing it again to look it up in _VALID.
_SEEN: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
_KEEP = 512


def validate_case(case: Any) -> None:
    """Raise CaseError naming the JSON path of the first problem."""
    if not isinstance(case, dict):
        raise CaseError(f"a case is a JSON object, got {type(case).__name__}")
    seen = _SEEN.get(id(case))
    if seen is not None and seen[0] is case and seen[1] == case:
        return  # this very object, unchanged since it was validated
    # A suite checks each case several times (target, reference, properties): validate once.
    try:
        key = json.dumps(case, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise CaseError(f"a case must be plain JSON: {e}") from None
    if key not in _VALID:
        _check(case)
        _VALID[key] = None
        if len(_VALID) > _KEEP:
            del _VALID[next(iter(_VALID))]
    _SEEN[id(case)] = (case, plain_copy(case))  # holding the case keeps its id from being reused
    if len(_SEEN) > _KEEP:
        del _SEEN[next(iter(_SEEN))]


def validated_copy(case: Any) -> dict[str, Any]:
    """Validate the case and return a deep copy of it that the caller may change."""
    validate_case(case)
    return plain_copy(case)


_ATOMS = (str, int, float, bool, type(None))


def plain_copy(value: Any) -> Any:
    """copy.deepcopy for JSON data, several times faster: dicts and lists are rebuilt, JSON
    scalars shared (immutable); anything else goes to copy.deepcopy."""
    kind = type(value)
    if kind is dict:
        return {k: plain_copy(v) for k, v in value.items()}
    if kind is list:
        return [plain_copy(v) for v in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


def _check(case: dict) -> None:
    if _is_valid()(case):  # the compiled yes/no; jsonschema only for the message (harness.util.fastschema)
        return
    errors = sorted(_validator().iter_errors(case), key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        e = errors[0]
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.path)
        raise CaseError(f"invalid case at {path}: {e.message}")


@dataclass(frozen=True)
class Context:
    model: Model
    provider_id: str
    base_url: str
    custom_provider: bool
    compat: dict[str, Any]
    tool_call_ids: str  # T6 policy: moonshot | strict | unique (D1) | none
    streaming_usage: bool  # T8: the endpoint declares streaming-usage compatibility
    api: str = "openai-completions"  # the surface: openai-completions | anthropic-messages
    # The base URL is an endpoint of a catalog provider whose thinking rules apply (Moonshot's own
    # API, either region), whatever the provider id: D3 (amended, field reports) matches on it.
    moonshot_host: bool = False

    @property
    def thinking_mode(self) -> str:
        return self.model.thinking_mode

    @property
    def url(self) -> str:
        path = "/v1/messages" if self.api == "anthropic-messages" else "/chat/completions"
        return self.base_url.rstrip("/") + path


# catalog -> (model ref, custom provider as JSON) -> Context: a suite resolves the same few
# combinations for every case. Only what `_resolve` reads is in the key.
_CONTEXTS: weakref.WeakKeyDictionary[Catalog, dict[tuple[Any, str], Context]] = weakref.WeakKeyDictionary()


def context(case: dict[str, Any], catalog: Catalog | None = None, *, validated: bool = False) -> Context:
    """Validate the case (unless the caller just did) and resolve everything the catalog says about it."""
    if not validated:
        validate_case(case)
    catalog = catalog or builtin()
    known = _CONTEXTS.get(catalog)
    if known is None:
        known = _CONTEXTS[catalog] = {}
    provider = case.get("provider")
    key = (case["model"], repr(provider) if provider else "")  # repr: exact for JSON data, and cheap
    found = known.get(key)
    if found is None:
        found = known[key] = _resolve(case, catalog)
        if len(known) > 4096:
            del known[next(iter(known))]
    return found


def _resolve(case: dict[str, Any], catalog: Catalog) -> Context:
    try:
        model = catalog.resolve(case["model"])
    except CatalogError as e:
        raise CaseError(str(e)) from None
    custom = case.get("provider") or {}
    provider = model.provider
    is_custom = bool(custom) and custom["id"] != provider.id
    # A custom provider is an OpenAI-compatible one unless it says otherwise; the catalog's own
    # provider reaches each model through the model's surface (Kimi Coding: Anthropic Messages).
    api = custom.get("api") or ("openai-completions" if is_custom else model.api)
    own_base = model.base_url if api == model.api else provider.base_url
    base_url = custom.get("baseUrl") or own_base
    native = catalog.provider_for_url(base_url)
    # T8 matches on the endpoint, not on the provider id [doc/oc].
    streaming_usage = bool(native and native[1].get("streamingUsage"))
    compat = {**model.compat, **custom.get("compat", {})}
    if "supportsUsageInStreaming" in compat:
        streaming_usage = compat["supportsUsageInStreaming"]
    if is_custom:
        # D1: a duplicated id never reaches a native Moonshot endpoint (matched by endpoint, as
        # T8); the strict character reduction stays the provider's own choice.
        policy = "strict" if custom.get("sanitizeToolCallIds") else ("unique" if native else "none")
    else:
        policy = provider.tool_call_ids
    return Context(
        model=model,
        provider_id=custom.get("id", provider.id),
        base_url=base_url,
        custom_provider=is_custom,
        compat=compat,
        tool_call_ids=policy,
        streaming_usage=streaming_usage,
        api=api,
        moonshot_host=bool(native and native[0].thinking_rules),
    )
