"""`--target litellm`: LiteLLM's Moonshot provider, in process (`pip install 'kimi-conformance[litellm]'`).

Each case is sent through the real `litellm.completion(model="moonshot/<api id>", ...)` — the
whole path a LiteLLM user's request takes: `get_optional_params` and
`MoonshotChatConfig.map_openai_params`, `MoonshotChatConfig.transform_request`
(litellm/llms/moonshot/chat/transformation.py), the OpenAI SDK client LiteLLM builds — whose
httpx client is LiteLLM's documented `litellm.client_session`, over an in-process capture
transport (harness/targets/capture_transport.py) that records the request as serialized for the
wire and answers a minimal Moonshot completion. Nothing leaves the machine (the `api_base` given
to LiteLLM is a closed loopback port, should a later LiteLLM ignore the session). The captured URL
is put back on the real base the case implies (LiteLLM's own default when the case names none).

How a case maps to LiteLLM's API (LiteLLM has no OpenClaw config layer):

- model ref -> `moonshot/<canonical api id>` (OpenClaw aliases / legacy refs are resolved by the
  catalog first: a LiteLLM user writes the API id). `kimi/*` (Kimi Coding) has no LiteLLM
  provider: those models are not applicable.
- the `/think` level -> `reasoning_effort`, LiteLLM's one thinking control (`off` -> `"none"`,
  the other levels are OpenAI's own effort names). When LiteLLM refuses the parameter for a
  model (`UnsupportedParamsError`: it only takes `reasoning_effort` on models its cost map marks
  `supports_reasoning`), the case is not expressible on that model.
- the request's own `thinking`, and a configured `params.thinking` object -> the body's
  `thinking`, through the `extra_body` kwarg (LiteLLM rejects a bare `thinking` kwarg for
  moonshot); the configured one wins. OpenClaw's other spellings of `params.thinking`
  (booleans, "on"/"off" strings) have no LiteLLM counterpart: not expressible.
- configured sampling params (`params.temperature`, ...) -> the same kwargs (a deployment's
  `litellm_params`), over the request's; `params.extra_body` -> merged into `extra_body`.
- a custom provider -> `api_base=<baseUrl>`; its id means nothing to LiteLLM, `compat` flags
  and `sanitizeToolCallIds: true` cannot be expressed.
- every other request field -> the kwarg of the same name (LiteLLM forwards unknown ones).

What is judged is the request LiteLLM sent. When `litellm.completion` raises *after* the request
reached the capture, the captured request is still judged (not reported as a crash): LiteLLM's
user has sent it. The one known case is an extra body's `stream: true` on a non-streamed call:
LiteLLM sends a streamed request, then reads the SSE answer as JSON and raises
`InternalServerError: Empty or invalid response` — the call fails for LiteLLM's user too (divergence
litellm-extra-body-stream). A failure before anything was sent stays a target error — unless the
case is malformed (the `errors` rule): the driver does not check a case against the case schema, a
malformed one reaches `litellm.completion` as written (`messages="hi"`, `temperature="hot"`, an
unknown `moonshot/` model name, an unknown level as `reasoning_effort`), and LiteLLM's exception
before sending is its rejection, a case error naming what it said (harness/targets/malformed.py).
No model at all is not expressible (`model` is a required argument).
"""

from __future__ import annotations

import copy
import dataclasses
import os
from functools import cache
from typing import Any

from harness.errors import CaseError, TargetError, TargetUnavailable
from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities, NotExpressible, Target, check_outbound
from harness.targets.malformed import malformed, model_as_written, rejection

INSTALL_HINT = "litellm not installed: pip install 'kimi-conformance[litellm]'"
KIMI_CODING = "LiteLLM has no Kimi Coding provider (api.kimi.com/coding): kimi/* refs cannot be expressed"
PARAM_KWARGS = ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty", "max_tokens", "stop", "seed")
# Transport-level headers the capture sees but no rule is about.
HOP_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding"})
EFFORT_FEATURES = frozenset({"thinking_level", "reasoning_effort"})
# Never listened on: the capture transport answers in process (see the module docstring).
CAPTURE_BASE = "http://127.0.0.1:9/v1"
LEVEL_TO_EFFORT = {
    "off": "none",
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "xhigh",
}


def _capabilities() -> Capabilities:
    from harness.catalog import builtin

    kimi = {m.ref: KIMI_CODING for m in builtin().models(include_retired=True) if m.ref.startswith("kimi/")}
    return Capabilities(
        rules=ALL_RULES - {"T9"},
        # compat: LiteLLM has no per-provider compat flags (nix-openclaw `compat`); its config has
        # no boolean or word spellings of params.thinking, no tool-call id sanitization switch.
        features=ALL_FEATURES - {"compat", "thinking_spellings", "sanitize_switch"},
        why_not={
            "T9": "LiteLLM's usage and cost parsing is not driven yet (the target only captures requests)",
        },
        models_not_applicable=kimi,
    )


def _no_effort_models(litellm) -> dict[str, frozenset[str]]:
    """Models LiteLLM refuses reasoning_effort for (UnsupportedParamsError: its cost map does not
    mark them supports_reasoning): no /think level and no request reasoning_effort is drawn there."""
    from harness.catalog import builtin

    return {
        m.ref: EFFORT_FEATURES
        for m in builtin().models(include_retired=True)
        if m.ref.startswith("moonshot/") and not litellm.supports_reasoning(model=f"moonshot/{m.id}")
    }


@cache
def _capture_session():
    """One capture transport and session per process, never closed: LiteLLM caches the SDK client
    it builds around the session (its cache key ignores the session), so every target instance must
    reach the same transport, and a cached client must never find its session closed."""
    import httpx

    from harness.targets.capture_transport import CaptureTransport

    transport = CaptureTransport()
    return transport, httpx.Client(transport=transport, follow_redirects=True)


class LiteLLMTarget(Target):
    name = "litellm"
    capabilities = _capabilities()

    def __init__(self, version: str = ""):
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the cost map
        try:
            import litellm
        except ImportError:
            raise TargetUnavailable(INSTALL_HINT) from None
        from importlib.metadata import version as dist_version

        self._version = dist_version("litellm")
        if version and version != self._version:
            raise TargetUnavailable(f"litellm {version} asked for, {self._version} installed")
        import litellm

        self._litellm = litellm
        litellm.suppress_debug_info = True
        litellm.drop_params = False  # LiteLLM's default: refuse rather than silently drop
        import logging

        logging.getLogger("LiteLLM").setLevel(logging.ERROR)  # the reasoning_content backfill warns per call
        self.capabilities = dataclasses.replace(self.capabilities, model_features_removed=_no_effort_models(litellm))
        self._capture, self._session = _capture_session()
        self._previous_session = litellm.client_session
        litellm.client_session = self._session

    # ------------------------------------------------------------------------- mapping
    def kwargs_for(self, case: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The litellm.completion kwargs for a case, and the real api_base it implies (None: LiteLLM's default)."""
        # No case-schema check here: a malformed case (bad_cases.json) reaches LiteLLM as its user
        # would write it, and LiteLLM's own answer is judged (the `errors` rule).
        if not isinstance(case, dict) or not isinstance(case.get("request"), dict):
            raise CaseError("case.request must be an object (the litellm.completion kwargs)")
        ref, model_id = model_as_written(case, "litellm.completion's model")
        if ref.startswith("kimi/"):
            raise NotExpressible(KIMI_CODING)
        provider = case.get("provider") or {}
        if provider.get("compat"):
            raise NotExpressible("LiteLLM has no compat flags")
        if provider.get("sanitizeToolCallIds"):
            raise NotExpressible("LiteLLM has no tool-call id sanitization switch")
        request = copy.deepcopy(case["request"])
        request.pop("model", None)
        params = case.get("params") or {}
        kwargs: dict[str, Any] = {"model": f"moonshot/{model_id}"}
        extra: dict[str, Any] = {}
        if "thinking" in request:
            extra["thinking"] = request.pop("thinking")
        kwargs.update(request)
        configured = params.get("thinking")
        if configured is not None:
            if not isinstance(configured, dict):
                raise NotExpressible(
                    f"params.thinking {configured!r}: an OpenClaw spelling with no LiteLLM counterpart"
                )
            extra["thinking"] = copy.deepcopy(configured)
        for key in PARAM_KWARGS:
            if params.get(key) is not None:
                kwargs[key] = copy.deepcopy(params[key])
        extra.update(copy.deepcopy(params.get("extra_body") or {}))
        if extra:
            kwargs["extra_body"] = extra
        level = case.get("thinking")
        if level is not None:
            # an unknown level goes as written: reasoning_effort is an untyped kwarg at runtime
            kwargs["reasoning_effort"] = LEVEL_TO_EFFORT.get(level, level)
        base = provider.get("baseUrl") if provider else None
        return kwargs, base

    # ------------------------------------------------------------------------- running
    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        litellm = self._litellm
        kwargs, base = self.kwargs_for(case)
        self._capture.take()
        failed: Exception | None = None
        try:
            response = litellm.completion(
                api_base=CAPTURE_BASE,
                api_key="sk-conformance-test",
                num_retries=0,
                max_retries=0,
                timeout=30,
                **kwargs,
            )
            if kwargs.get("stream"):
                for _ in response:
                    pass
        except litellm.UnsupportedParamsError as e:
            raise NotExpressible(f"LiteLLM refuses: {e}") from None
        except Exception as e:  # judged below: trouble before sending is an error, after it the request stands
            failed = e
        got = [c for c in self._capture.take() if c.method == "POST"]
        if failed is not None and not got and malformed(case):
            raise rejection("LiteLLM", failed) from None  # LiteLLM's own refusal of a malformed case
        if len(got) != 1:
            why = f" (litellm.completion raised {type(failed).__name__}: {str(failed)[:500]})" if failed else ""
            raise TargetError(f"expected one request on the capture server, got {len(got)}{why}")
        # The request left LiteLLM: it is what is judged, even when LiteLLM then cannot read the
        # capture's answer (an extra body's `stream: true` on a non-streamed call gets an SSE answer
        # that LiteLLM parses as JSON: `InternalServerError: Empty or invalid response`; see the
        # module docstring and the divergence litellm-extra-body-stream).
        captured = got[0]
        if not isinstance(captured.body, dict):
            raise TargetError(f"LiteLLM sent a body that is not a JSON object: {captured.body!r:.200}")
        real_base = (base or self._default_base()).rstrip("/")
        # The capture base is ".../v1"; LiteLLM appended its own path to it.
        path = captured.path.removeprefix("/v1")
        return check_outbound(
            {
                "method": captured.method,
                "url": real_base + path,
                "headers": {k: v for k, v in captured.headers.items() if k not in HOP_HEADERS},
                "body": captured.body,
            },
            self.name,
        )

    def _default_base(self) -> str:
        from litellm.llms.moonshot.chat.transformation import MoonshotChatConfig

        base = MoonshotChatConfig()._get_openai_compatible_provider_info(None, None)[0]
        assert base, "litellm's Moonshot config always has a default api_base"
        return base

    def versions(self) -> dict[str, str]:
        return {"litellm": self._version}

    def close(self) -> None:
        if self._litellm.client_session is self._session:
            self._litellm.client_session = self._previous_session
