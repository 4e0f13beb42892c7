"""The real OpenClaw (npm `openclaw`, pinned in harness/targets/node/openclaw/package.json).

`--target openclaw` (or `openclaw:2026.9.6`; `KIMI_CONFORMANCE_OPENCLAW_VERSION` also names
it): each case becomes an OpenClaw config (`models.providers` for the case's provider,
`agents.defaults` with the model and its params) and goes through OpenClaw's own code — its
model resolver, the replay policy of the plugin that owns the provider (or the unowned-provider
fallback), `sanitizeSessionHistory`, `applyExtraParamsToAgent` (which applies the owning plugin's
stream wrapper) and the managed openai-completions transport — in a persistent Node worker
(harness/targets/node/openclaw/worker.mjs) that captures the outbound request on a loopback
server. tests/targets/test_openclaw_fidelity.py pins the worker against full `openclaw agent --local`
runs. Install with `tox -e openclaw` or `python -m harness.targets.node.install openclaw`.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities, NotExpressible
from harness.targets.node_worker import NodeWorkerTarget, cost_per_mtok

# Providers the worker configures without a case.provider (their built-in base URL).
BUILT_IN = ("moonshot/", "kimi/")
KIMI_REFS = (
    "kimi/kimi-for-coding",
    "kimi/kimi-for-coding-highspeed",
    "kimi/k3",
    "kimi/k3-256k",
    "kimi/kimi-k2p5",
    "kimi/kimi-k2-0711-preview",
    "kimi/kimi-k2-thinking",
    "kimi/kimi-k2-thinking-turbo",
    "kimi/kimi-latest",
)
# The catalog's Kimi Coding models that speak Anthropic Messages (api anthropic-messages): that
# surface is OpenClaw's own Kimi plugin, which is not on npm. The other kimi/ refs are
# nix-openclaw's openai-completions models and run through OpenClaw as the `kimi` provider.
KIMI_CODING = (
    "OpenClaw's Kimi Coding plugin (@openclaw/kimi-provider) speaks Anthropic Messages and is not on npm: "
    "the catalog's Anthropic-surface kimi/ models cannot be driven through the npm package (nix-openclaw's "
    "openai-completions kimi/ models can)"
)
KIMI_ANTHROPIC_REFS = ("kimi/kimi-for-coding", "kimi/kimi-for-coding-highspeed", "kimi/k3", "kimi/k3-256k")

SIMULATED = {
    "moonshot plugin": (
        "@openclaw/moonshot-provider (the plugin that owns provider `moonshot`) is not on npm: the worker "
        "attaches the hooks its index.ts consists of — its replay policy (the SDK's buildOpenAICompatibleReplayPolicy: "
        "strict ids, OpenAI-style duplicates, reasoning kept) and the SDK's MOONSHOT_THINKING_STREAM_HOOKS — as the "
        "model's runtime plugin handle (not its catalog, onboarding or native streaming-usage compat); "
        "harness/targets/node/openclaw/moonshot-plugin is the same as a loadable plugin, which the fidelity test "
        "runs through a full OpenClaw; every other provider is unowned. Nor its thinking profile (OpenClaw's source, "
        "extensions/moonshot/provider-policy-api.ts: K2.7 Code takes only low, shown as on; K3 only max; others off/on): "
        "a row with reasoning true takes OpenClaw's base levels here, one with reasoning false only off, as in a full "
        "run with the stand-in"
    ),
    "kimi provider": (
        "kimi/* refs run as nix-openclaw configures them: an ordinary openai-completions provider `kimi` at "
        "https://api.kimi.com/coding/v1; the catalog's Anthropic-surface kimi/ models (OpenClaw's own "
        "@openclaw/kimi-provider, not on npm) are not applicable"
    ),
    "request fields": (
        "a case's sampling fields (temperature, top_p, max_tokens, tool_choice, stop, seed, response_format, "
        "reasoning_effort, penalties) reach OpenClaw as the transport's stream options; fields OpenClaw has no "
        "input for (n, logprobs, user, unknown keys) are set on the payload where the transport builds it, "
        "before every OpenClaw wrapper"
    ),
    "model rows": (
        "models.providers[<provider>].models[] holds one row, the catalog's for the case's model (name, reasoning, "
        "input, contextWindow, maxTokens, cost in USD/MTok, and the model's own compat: K3's, nix-openclaw's "
        "kimi-k2p5 compat from doc 000) with the case's provider compat written over it, under models.mode "
        '"replace" (doc 003 writes "merge"; no other provider is configured); a model the catalog does not know '
        "gets no row, so OpenClaw's resolver rejects it (a case error). The catalog has no thinkingLevelMap for any "
        "model, so no row carries one (its effortLevels are the contract's mapping, not an OpenClaw field)"
    ),
    "default max tokens": (
        "a case without max_tokens gets what the transport derives from the row (its maxTokens clamped to the "
        "context left); a full `openclaw agent` turn may send the agent's own default instead (the fidelity "
        "corpus passes the agent's value as the case's)"
    ),
}

CAPABILITIES = Capabilities(
    rules=ALL_RULES - {"T10"},
    # stream: OpenClaw always streams and decides stream_options itself (compat), so neither
    # `stream: false` nor a caller's own stream_options can be expressed.
    # developer_role: OpenClaw has one system prompt without a role; the role it goes out with
    # is OpenClaw's choice (compat.supportsDeveloperRole), so a `developer` message is not an input.
    # request_thinking / store: OpenClaw takes them only from its config (params.thinking,
    # params.extra_body, compat.supportsStore), never from a request a caller builds.
    # model_aliases: the case carries no alias table (agents.defaults.models[ref].alias) to resolve one with.
    features=ALL_FEATURES - {"stream", "developer_role", "request_thinking", "store", "model_aliases"},
    why_not={
        # `errors` (malformed cases rejected, never sent) runs; OpenClaw's handling of upstream error answers is
        # not driven (the worker captures the outbound request) and is no rule of the registry
        "T10": "OpenClaw's web search is a tool of its own (tools.web.search), not a $web_search builtin in a "
        "request: the worker hands tools over as function tools, so the builtin cannot be expressed",
    },
    request_defaults={"stream": True},
    models_not_applicable={ref: KIMI_CODING for ref in KIMI_ANTHROPIC_REFS},
    simulated=SIMULATED,
)


# The fields of an OpenClaw models.providers[].models[] row the catalog gives (doc 003's rows, doc 000's
# for nix-openclaw's kimi provider); OpenClaw's config schema names them the same.
ROW_FIELDS = ("name", "reasoning", "input", "contextWindow", "maxTokens", "thinkingLevelMap", "compat")


def _level_fixed_models() -> dict[str, frozenset[str]]:
    """Models whose row says `reasoning: false` (doc 003's K2.6, K2.5, K2 Turbo): OpenClaw accepts no
    /think level but off for them ("Thinking level "low" is not supported … Use one of: off"), so
    generation draws no level there (thinking comes from params.thinking) instead of cases the
    worker then refuses one by one."""
    from harness.catalog import builtin

    return {m.ref: frozenset({"thinking_level"}) for m in builtin().models() if m.data.get("reasoning") is False}


def catalog_row(case: dict[str, Any]) -> dict[str, Any] | None:
    """The row a user copies from the catalog for the case's model, or None for a model the catalog
    does not know (the worker then writes none, and OpenClaw's resolver rejects the ref itself).
    A custom provider's ref (`my-kimi/kimi-k2.6`) takes the row of the catalog model with that id."""
    from harness.catalog import builtin
    from harness.errors import HarnessError

    model = case.get("model")
    if not isinstance(model, str) or "/" not in model:
        return None
    found = None
    for ref in (model, model.split("/", 1)[1]) if case.get("provider") else (model,):
        try:
            found = builtin().resolve(ref)
            break
        except (HarnessError, KeyError, ValueError):
            continue
    if found is None:
        return None
    row = {k: copy.deepcopy(found.data[k]) for k in ROW_FIELDS if k in found.data}
    # OpenClaw's cost is USD per million tokens; the catalog's schema allows no unit cost_per_mtok lacks
    row["cost"] = cost_per_mtok(found.cost)
    return {"id": model.split("/", 1)[1], **row}


def _catalog_ref(model: str) -> str | None:
    from harness.catalog import builtin
    from harness.errors import HarnessError

    try:
        return builtin().resolve(model).ref
    except (HarnessError, KeyError, ValueError):
        return None


def with_row(case: dict[str, Any]) -> dict[str, Any]:
    """The case with the catalog's row of its model (`__row`), for the worker's config."""
    if not isinstance(case, dict) or "__row" in case:
        return case
    row = catalog_row(case)
    return {**case, "__row": row} if row else case


class OpenClawTarget(NodeWorkerTarget):
    node_target = "openclaw"
    package = "openclaw"
    capabilities = CAPABILITIES

    version_env = "KIMI_CONFORMANCE_OPENCLAW_VERSION"
    not_moonshot_reason = "only moonshot/ and kimi/ refs have a built-in provider config; others need case.provider"
    alias_reason = "the case carries no alias table for OpenClaw's agents.defaults.models[ref].alias"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.capabilities = dataclasses.replace(CAPABILITIES, model_features_removed=_level_fixed_models())

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        return super().transform(with_row(case))

    def config(self, case: dict[str, Any]) -> dict[str, Any]:
        """The OpenClaw config the worker writes for a case ({cfg, providerId, modelId, params})."""
        result: dict[str, Any] = self._call("config", "a case", case=with_row(case))
        return result

    def _call(self, op: str, what: str, **fields: Any) -> Any:
        if op == "usage":  # OpenClaw prices usage with the row of the model it resolved
            fields["row"] = catalog_row({"model": f"moonshot/{fields.get('model')}"})
        return super()._call(op, what, **fields)

    def precheck(self, case: dict[str, Any]) -> None:
        model = case.get("model")
        raw = case.get("provider")
        provider: dict[str, Any] = raw if isinstance(raw, dict) else {}
        own = not provider or provider.get("id") == "kimi"
        if model in KIMI_ANTHROPIC_REFS and own and provider.get("api") != "openai-completions":
            raise NotExpressible(f"{self.name}: {model}: {KIMI_CODING}")
        canonical = _catalog_ref(model) if isinstance(model, str) and "/" in model else None
        if canonical and isinstance(model, str) and canonical.split("/", 1)[1] != model.split("/", 1)[1]:
            raise NotExpressible(  # e.g. kimi/kimi-k2.5, the catalog's alias of kimi/kimi-k2p5
                f"{self.name}: {model!r} is the catalog's alias of {canonical!r}: the worker's config would list "
                "the alias as a model of its own; resolving it is the user's OpenClaw config's, not the case's"
            )
        if isinstance(model, str) and model.startswith("kimi/") and not case.get("provider"):
            case = {
                **case,
                "provider": {"id": "kimi"},
            }  # the worker's built-in kimi base URL
        super().precheck(case)
        request = case.get("request") or {}
        for key in ("thinking", "store"):
            if isinstance(request, dict) and key in request:
                raise NotExpressible(
                    f"{self.name}: request.{key}: OpenClaw takes it only from its config, not from a request"
                )
