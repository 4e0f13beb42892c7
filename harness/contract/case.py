"""Cases: validation, and the facts the catalog fixes about a case (its `Context`).

The context is what the contract knows before any rule runs: which model, which endpoint,
which compat flags and which tool-call-id policy apply. Both the reference and the
implementation-agnostic properties read it, so it must not depend on any target.
"""

from __future__ import annotations

import json
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
def _validator():
    import jsonschema
    from referencing import Registry, Resource

    case_schema = json.loads(SCHEMA_PATH.read_text())
    catalog_schema = json.loads(CATALOG_SCHEMA_PATH.read_text())
    registry = Registry().with_resources(
        [(s["$id"], Resource.from_contents(s)) for s in (case_schema, catalog_schema)]
    )
    return jsonschema.Draft202012Validator(case_schema, registry=registry)


_VALID: dict[str, None] = {}  # canonical JSON of recently validated cases (insertion-ordered)


def validate_case(case: Any) -> None:
    """Raise CaseError naming the JSON path of the first problem."""
    if not isinstance(case, dict):
        raise CaseError(f"a case is a JSON object, got {type(case).__name__}")
    # A suite checks each case several times (target, reference, properties): validate once.
    try:
        key = json.dumps(case, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise CaseError(f"a case must be plain JSON: {e}") from None
    if key in _VALID:
        return
    _check(case)
    _VALID[key] = None
    if len(_VALID) > 512:
        del _VALID[next(iter(_VALID))]


def _check(case: dict) -> None:
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

    @property
    def thinking_mode(self) -> str:
        return self.model.thinking_mode

    @property
    def url(self) -> str:
        path = "/v1/messages" if self.api == "anthropic-messages" else "/chat/completions"
        return self.base_url.rstrip("/") + path


def context(case: dict[str, Any], catalog: Catalog | None = None) -> Context:
    """Validate the case and resolve everything the catalog says about it."""
    validate_case(case)
    catalog = catalog or builtin()
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
    )
