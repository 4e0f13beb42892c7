"""`--target pydantic-ai`: pydantic-ai's Moonshot provider, in process (`pip install 'kimi-conformance[pydantic-ai]'`).

Each case is sent through pydantic-ai's public model request path: `pydantic_ai.direct.model_request`
(or `model_request_stream` for `stream: true`) on an `OpenAIChatModel(<api id>,
provider=MoonshotAIProvider(...))` — the provider's own model profile (`MoonshotAIProvider.
model_profile`: `thinking_always_enabled` on its reasoning models, no forced tool choice,
`reasoning_content` as the thinking field sent back), `Model.prepare_request` (the unified
`thinking` setting, the JSON-schema transformer), `OpenAIChatModel._completions_create` and the
OpenAI SDK client the provider builds. The provider's `httpx.AsyncClient` (its documented
`http_client` argument) has an in-process transport around the capture transport
(harness/targets/capture_transport.py) that records the request as serialized for the wire and
answers a minimal Moonshot completion: no socket is opened, and the captured URL is the one
pydantic-ai aimed at (`https://api.moonshot.ai/v1`, the provider's fixed base). This is the
request an `Agent` run sends too (an Agent adds its own instructions and output tools on top; the
direct API is what the docs name for one request without an agent loop).

How a case maps to pydantic-ai's API (pydantic-ai has no OpenClaw config layer):

- model ref -> `OpenAIChatModel("<canonical api id>", provider=MoonshotAIProvider(api_key=...,
  http_client=...))`. `kimi/*` (Kimi Coding) has no pydantic-ai provider: not applicable. A custom
  provider -> `MoonshotAIProvider(openai_client=AsyncOpenAI(base_url=<baseUrl>, ...))` (the
  provider's own base URL is fixed); its id means nothing to pydantic-ai, `compat` flags,
  `sanitizeToolCallIds: true` and the `anthropic-messages` surface cannot be expressed.
- messages -> pydantic-ai's message history: `system` -> `SystemPromptPart`; `user` ->
  `UserPromptPart` (text parts -> a list of strings, `image_url` parts -> `ImageUrl`); `assistant`
  -> a `ModelResponse` with `ThinkingPart(reasoning_content, id="reasoning_content",
  provider_name="moonshotai")` (what pydantic-ai itself stores for a Moonshot answer), `TextPart`,
  `ToolCallPart`s (arguments kept as the JSON text); `tool` -> `ToolReturnPart` (its tool name from
  the call). One `ModelRequest` per system/user/tool message. `developer` messages, message fields
  pydantic-ai has no place for, and non-text content where pydantic-ai takes only text, are not
  expressible.
- tools -> `ModelRequestParameters.function_tools` (`ToolDefinition(name, parameters_json_schema,
  description, strict)`); only `{"type": "function"}` tools (Moonshot's `$web_search`
  builtin_function has no counterpart: pydantic-ai's WebSearchTool is refused on OpenAIChatModel).
- tool_choice -> `ModelSettings.tool_choice`: `auto` / `none` / `required` as is, a pinned
  function -> `[name]`. pydantic-ai refuses `required` and a pinned tool for Moonshot (`UserError`:
  the profile says `openai_supports_tool_choice_required=False`): such cases are not expressible.
- the `/think` level -> the unified `ModelSettings.thinking` (`off` -> `False`, the other levels
  as is); the request's own `reasoning_effort` -> `openai_reasoning_effort`, which pydantic-ai lets
  win over the unified setting.
- the request's own `thinking`, and a configured `params.thinking` object -> the body's `thinking`
  through `ModelSettings.extra_body` (pydantic-ai has no Moonshot thinking object: its provider says
  "the native off switch is a thinking={'type': 'disabled'} body object we don't send"); the
  configured one wins. OpenClaw's other spellings of `params.thinking` have no counterpart.
- request fields with a setting -> that setting: temperature, top_p, presence_penalty,
  frequency_penalty, seed, logit_bias, parallel_tool_calls, `max_tokens` / `max_completion_tokens`
  -> `max_tokens`, `stop` (a list) -> `stop_sequences`, user / store / logprobs / top_logprobs /
  service_tier / prediction / prompt_cache_key -> the `openai_*` setting of the same name.
  `stream: true` -> `model_request_stream`; `stream_options` is pydantic-ai's own
  (`{"include_usage": true}` on every stream): a request asking for anything else cannot be
  expressed. Every other field (n, response_format, a string `stop`, unknown keys) ->
  `ModelSettings.extra_body`, pydantic-ai's documented way to send what it has no setting for.
- configured params (`params.temperature`, ..., `params.extra_body`) -> the same settings, over the
  request's (see SIMULATED); `params.extra_body` is merged into `extra_body` last.
- a malformed case (the `errors` rule) is not checked against the case schema: it reaches
  pydantic-ai in the closest form its user writes (messages that are no list as the `messages`
  argument, an unknown level as the untyped `thinking` setting, a `ToolReturnPart` without an id,
  an unknown `moonshot/` model name), and pydantic-ai's exception before sending is its rejection, a
  case error naming what it said (harness/targets/malformed.py). A role or tool call pydantic-ai has
  no part for, and no model (a required argument), are not expressible.
"""

from __future__ import annotations

import asyncio
import copy
import json
import warnings
from typing import Any

from harness.errors import CaseError, TargetError, TargetUnavailable
from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities, NotExpressible, Target, check_outbound
from harness.targets.malformed import malformed, model_as_written, rejection

INSTALL_HINT = "pydantic-ai not installed: pip install 'kimi-conformance[pydantic-ai]'"
DIST = "pydantic-ai-slim"
KIMI_CODING = "pydantic-ai has no Kimi Coding provider (api.kimi.com/coding): kimi/* refs cannot be expressed"
NATIVE_BASE = "https://api.moonshot.ai/v1"
# Never a real key: the capture redacts the Authorization header it carries, and the provider is
# always given it, so MOONSHOTAI_API_KEY from the environment is never read.
API_KEY = "sk-conformance-test"
# Transport-level headers the capture sees but no rule is about.
HOP_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding"})
LEVEL_TO_THINKING: dict[str, bool | str] = {
    "off": False,
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "xhigh",
}
# request field -> ModelSettings key (OpenAIChatModelSettings for the openai_* ones)
SETTINGS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "seed": "seed",
    "logit_bias": "logit_bias",
    "parallel_tool_calls": "parallel_tool_calls",
    "user": "openai_user",
    "store": "openai_store",
    "logprobs": "openai_logprobs",
    "top_logprobs": "openai_top_logprobs",
    "reasoning_effort": "openai_reasoning_effort",
    "service_tier": "openai_service_tier",
    "prediction": "openai_prediction",
    "prompt_cache_key": "openai_prompt_cache_key",
}
# OpenClaw's configured sampling params (agents.defaults.models[ref].params) the contract knows.
PARAM_KEYS = ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty", "max_tokens", "stop", "seed")
OWNED = frozenset({"model", "messages", "tools", "tool_choice", "stream", "stream_options", "thinking"})
MESSAGE_FIELDS = {
    "system": {"role", "content"},
    "user": {"role", "content"},
    "assistant": {"role", "content", "tool_calls", "reasoning_content"},
    "tool": {"role", "content", "tool_call_id", "name"},
}
THINKING_FIELD = "reasoning_content"  # MoonshotAIProvider.model_profile: openai_chat_thinking_field

NO_WEB_SEARCH = (
    "pydantic-ai's OpenAIChatModel takes function tools only: Moonshot's `$web_search` builtin_function has no "
    "counterpart (its WebSearchTool is refused on OpenAIChatModel for moonshotai)"
)
# What the driver still does in pydantic-ai's place (docs/guides/real-targets.md); the fidelity test
# (tests/targets/test_pydantic_ai.py) pins the driver's request against an independent pydantic-ai run.
SIMULATED = {
    "message history": (
        "the case's OpenAI messages become the pydantic-ai message history a caller would hold "
        "(ModelRequest / ModelResponse parts; reasoning_content as the ThinkingPart pydantic-ai stores for a "
        "Moonshot answer, a null one as no ThinkingPart): pydantic-ai maps that history back to the wire itself"
    ),
    "configured params": (
        "OpenClaw's per-model params (params.temperature, params.thinking, params.extra_body) are merged over "
        "the request's settings into the one ModelSettings of the call, configured values winning and "
        "params.extra_body last, as the contract's config layer does; pydantic-ai's own per-model `settings` "
        "merge shallowly under run settings (the run wins, a run extra_body replaces the model's whole)"
    ),
}


def _capabilities() -> Capabilities:
    from harness.catalog import builtin

    kimi = {m.ref: KIMI_CODING for m in builtin().models(include_retired=True) if m.ref.startswith("kimi/")}
    return Capabilities(
        rules=ALL_RULES - {"T9", "T10"},
        # compat / sanitize_switch: no per-provider compat flags or id sanitization switch;
        # thinking_spellings: no boolean or word spellings of params.thinking; developer_role: no
        # developer message (system prompts go out with the role the profile picks).
        features=ALL_FEATURES - {"compat", "thinking_spellings", "sanitize_switch", "developer_role"},
        why_not={
            "T9": "pydantic-ai's usage parsing is not driven yet (the target only captures requests)",
            "T10": NO_WEB_SEARCH,
        },
        models_not_applicable=kimi,
        simulated=SIMULATED,
    )


def _async_capture():
    """The capture transport behind an async client: pydantic-ai's provider takes an
    `httpx.AsyncClient`; the sync capture records and answers, the body read first."""
    import httpx

    from harness.targets.capture_transport import CaptureTransport

    class AsyncCapture(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.capture = CaptureTransport()
            self.urls: list[str] = []

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await request.aread()
            self.urls.append(str(request.url.copy_with(query=None)))
            response = self.capture.handle_request(request)
            return httpx.Response(
                response.status_code, headers=response.headers, content=response.content, request=request
            )

        def take(self):
            urls, self.urls = self.urls, []
            return list(zip(self.capture.take(), urls))

    return AsyncCapture()


class PydanticAITarget(Target):
    name = "pydantic-ai"
    capabilities = _capabilities()

    def __init__(self, version: str = ""):
        try:
            import pydantic_ai.direct  # noqa: F401
            from pydantic_ai.models.openai import OpenAIChatModel  # noqa: F401
            from pydantic_ai.providers.moonshotai import MoonshotAIProvider  # noqa: F401
        except ImportError as e:
            raise TargetUnavailable(f"{INSTALL_HINT} ({e})") from None
        from importlib.metadata import version as dist_version

        import httpx

        self._version = dist_version(DIST)
        if version and version != self._version:
            raise TargetUnavailable(f"pydantic-ai {version} asked for, {self._version} installed")
        self._transport = _async_capture()
        self._http = httpx.AsyncClient(transport=self._transport)
        self._loop = asyncio.new_event_loop()
        self._models: dict[tuple[str, str], Any] = {}

    # ------------------------------------------------------------------------- mapping
    def _model(self, model_id: str, base_url: str | None):
        """The model a pydantic-ai user builds for the case: the Moonshot provider, its own base
        unless the case names another (then through the provider's `openai_client` argument)."""
        key = (model_id, base_url or "")
        found = self._models.get(key)
        if found is None:
            from openai import AsyncOpenAI
            from pydantic_ai.models.openai import OpenAIChatModel
            from pydantic_ai.providers.moonshotai import MoonshotAIProvider

            if base_url:
                client = AsyncOpenAI(base_url=base_url, api_key=API_KEY, http_client=self._http, max_retries=0)
                provider = MoonshotAIProvider(openai_client=client)
            else:
                provider = MoonshotAIProvider(api_key=API_KEY, http_client=self._http)
            found = self._models[key] = OpenAIChatModel(model_id, provider=provider)
        return found

    def call_for(self, case: dict[str, Any]) -> dict[str, Any]:
        """What the driver hands pydantic-ai for a case: model id, base URL (None: the provider's
        own), message history, ModelSettings, function tools, and whether it streams."""
        from harness.contract.case import context

        if not isinstance(case, dict) or not isinstance(case.get("request"), dict):
            raise CaseError("case.request must be an object")
        provider = case.get("provider") or {}
        try:
            ctx = context(case)
            ref, model_id, api = ctx.model.ref, ctx.model.id, ctx.api
        except CaseError:
            # A malformed case (bad_cases.json) is not refused here: it reaches pydantic-ai in the
            # closest form its user can write, and pydantic-ai's own answer is judged (`errors`).
            ref, model_id = model_as_written(case, "OpenAIChatModel's model_name")
            api = provider.get("api") or "openai-completions"
        if ref.startswith("kimi/"):
            raise NotExpressible(KIMI_CODING)
        if provider.get("compat"):
            raise NotExpressible("pydantic-ai has no compat flags")
        if provider.get("sanitizeToolCallIds"):
            raise NotExpressible("pydantic-ai has no tool-call id sanitization switch")
        if api != "openai-completions":
            raise NotExpressible(f"provider api {api}: pydantic-ai's Moonshot provider speaks chat completions")
        request = copy.deepcopy(case["request"])
        params = case.get("params") or {}
        unknown = [k for k, v in params.items() if v is not None and k not in (*PARAM_KEYS, "thinking", "extra_body")]
        if unknown:
            raise NotExpressible(f"params.{', params.'.join(unknown)}: not a configured param pydantic-ai can take")
        stream = request.get("stream") is True
        asked = request.get("stream_options")
        if "stream_options" in request and asked != ({"include_usage": True} if stream else None):
            raise NotExpressible(
                f"stream_options is pydantic-ai's ({{'include_usage': true}} on every stream, none otherwise): "
                f"the request asks {json.dumps(asked)} with stream {json.dumps(request.get('stream'))}"
            )
        if "stream" in request and not isinstance(request["stream"], bool):
            raise NotExpressible(f"stream {json.dumps(request['stream'])}: pydantic-ai streams or it does not")

        settings: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in request.items():
            if key in OWNED:
                continue
            if key in SETTINGS:
                settings[SETTINGS[key]] = value
            elif key in ("max_tokens", "max_completion_tokens"):
                continue
            elif key == "stop" and isinstance(value, list):
                settings["stop_sequences"] = value
            else:
                extra[key] = value
        limits = [request[k] for k in ("max_tokens", "max_completion_tokens") if request.get(k) is not None]
        if len({json.dumps(v, sort_keys=True) for v in limits}) > 1:
            raise NotExpressible("max_tokens and max_completion_tokens differ: pydantic-ai has one max_tokens setting")
        if limits:
            settings["max_tokens"] = limits[0]
        if "thinking" in request:
            extra["thinking"] = request["thinking"]
        configured = params.get("thinking")
        if configured is not None:
            if not isinstance(configured, dict):
                raise NotExpressible(
                    f"params.thinking {configured!r}: an OpenClaw spelling with no pydantic-ai counterpart"
                )
            extra["thinking"] = copy.deepcopy(configured)
        for key in PARAM_KEYS:
            value = params.get(key)
            if value is None:
                continue
            if key == "max_tokens":
                settings["max_tokens"] = value
            elif key == "stop":
                if isinstance(value, list):
                    settings["stop_sequences"] = copy.deepcopy(value)
                    extra.pop("stop", None)
                else:
                    extra["stop"] = value
                    settings.pop("stop_sequences", None)
            elif key == "n":
                extra["n"] = value
            else:
                settings[key] = copy.deepcopy(value)
        extra.update(copy.deepcopy(params.get("extra_body") or {}))
        if extra:
            settings["extra_body"] = extra
        level = case.get("thinking")
        if level is not None:
            # an unknown level goes as written: ModelSettings is a TypedDict, untyped at runtime
            settings["thinking"] = LEVEL_TO_THINKING.get(level, level)
        tool_choice = request.get("tool_choice")
        if tool_choice is not None:
            settings["tool_choice"] = _tool_choice(tool_choice)
        messages = request.get("messages", [])
        return {
            "model_id": model_id,
            "base_url": provider.get("baseUrl") if provider else None,
            # messages that are no list go to pydantic-ai as they are (its `messages` argument)
            "messages": _history(messages) if isinstance(messages, list) else messages,
            "tools": _tools(request.get("tools")),
            "settings": settings,
            "stream": stream,
        }

    # ------------------------------------------------------------------------- running
    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        from pydantic_ai.exceptions import UserError

        call = self.call_for(case)
        model = self._model(call["model_id"], call["base_url"])
        self._transport.take()
        failed: Exception | None = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._loop.run_until_complete(_request(model, call))
        except Exception as e:  # judged below: a refusal before sending, or trouble with the answer
            failed = e
        got = [(c, url) for c, url in self._transport.take() if c.method == "POST"]
        if failed is not None and not got and malformed(case):
            raise rejection("pydantic-ai", failed) from None  # pydantic-ai's own refusal of a malformed case
        if not got and isinstance(failed, UserError):
            raise NotExpressible(f"pydantic-ai refuses: {str(failed)[:300]}") from None
        if len(got) != 1:
            why = f" ({type(failed).__name__}: {str(failed)[:400]})" if failed else ""
            raise TargetError(f"expected one request on the capture, got {len(got)}{why}")
        # The request left pydantic-ai: it is what is judged, even when pydantic-ai then cannot read
        # the capture's answer (an extra body's `stream: true` on a non-streamed call gets an SSE answer).
        captured, url = got[0]
        if not isinstance(captured.body, dict):
            raise TargetError(f"pydantic-ai sent a body that is not a JSON object: {captured.body!r:.200}")
        return check_outbound(
            {
                "method": captured.method,
                "url": url,
                "headers": {k: v for k, v in captured.headers.items() if k not in HOP_HEADERS},
                "body": captured.body,
            },
            self.name,
        )

    def versions(self) -> dict[str, str]:
        return {DIST: self._version}

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._http.aclose())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()


async def _request(model, call: dict[str, Any]) -> None:
    """The public direct API: one request, streamed to its end when the case streams."""
    from pydantic_ai.direct import model_request, model_request_stream
    from pydantic_ai.models import ModelRequestParameters

    parameters = ModelRequestParameters(function_tools=call["tools"])
    settings = call["settings"] or None
    if call["stream"]:
        async with model_request_stream(
            model, call["messages"], model_settings=settings, model_request_parameters=parameters, instrument=False
        ) as response:
            async for _ in response:
                pass
    else:
        await model_request(
            model, call["messages"], model_settings=settings, model_request_parameters=parameters, instrument=False
        )


def _tool_choice(value: Any) -> Any:
    if value in ("auto", "none", "required"):
        return value
    if (
        isinstance(value, dict)
        and value.get("type") == "function"
        and isinstance(value.get("function"), dict)
        and isinstance(value["function"].get("name"), str)
        and set(value) == {"type", "function"}
        and set(value["function"]) == {"name"}
    ):
        return [value["function"]["name"]]
    raise NotExpressible(f"tool_choice {json.dumps(value)}: pydantic-ai takes auto, none, required or tool names")


def _tools(tools: Any) -> list[Any]:
    from pydantic_ai.tools import ToolDefinition

    if tools is None:
        return []
    if not isinstance(tools, list):
        raise CaseError("request.tools must be an array")
    out = []
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(fn, dict):
            raise NotExpressible(f"tools[{i}]: only function tools can be expressed ({NO_WEB_SEARCH})")
        if set(tool) != {"type", "function"} or not set(fn) <= {"name", "description", "parameters", "strict"}:
            raise NotExpressible(f"tools[{i}]: fields pydantic-ai's ToolDefinition has no place for")
        if not isinstance(fn.get("name"), str) or not isinstance(fn.get("parameters"), dict):
            raise NotExpressible(f"tools[{i}]: a ToolDefinition needs a name and a JSON-schema object")
        if "description" in fn and not isinstance(fn["description"], str):
            raise NotExpressible(f"tools[{i}].function.description: pydantic-ai takes a string")
        if "strict" in fn and not isinstance(fn["strict"], bool):
            raise NotExpressible(f"tools[{i}].function.strict: pydantic-ai takes a boolean")
        out.append(
            ToolDefinition(
                name=fn["name"],
                parameters_json_schema=copy.deepcopy(fn["parameters"]),
                description=fn.get("description"),
                strict=fn.get("strict"),
            )
        )
    return out


def _text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    raise NotExpressible(f"{where}: pydantic-ai takes a string here")


def _user_content(content: Any, where: str) -> Any:
    from pydantic_ai.messages import ImageUrl

    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise NotExpressible(f"{where}: content must be a string or an array of parts")
    items: list[Any] = []
    for j, part in enumerate(content):
        if isinstance(part, dict) and part.get("type") == "text" and set(part) == {"type", "text"}:
            items.append(_text(part["text"], f"{where}[{j}].text"))
        elif isinstance(part, dict) and part.get("type") == "image_url" and set(part) == {"type", "image_url"}:
            image = part["image_url"]
            if not (isinstance(image, dict) and set(image) == {"url"} and isinstance(image["url"], str)):
                raise NotExpressible(f"{where}[{j}]: only an image_url with a url alone can be expressed")
            items.append(ImageUrl(url=image["url"]))
        else:
            raise NotExpressible(f"{where}[{j}]: a part pydantic-ai has no user content for")
    return items


def _history(messages: list[Any]) -> list[Any]:
    """The OpenAI messages as the pydantic-ai message history a caller would hold."""
    from pydantic_ai.messages import (
        ModelRequest,
        ModelResponse,
        SystemPromptPart,
        TextPart,
        ThinkingPart,
        ToolCallPart,
        ToolReturnPart,
        UserPromptPart,
    )

    out: list[Any] = []
    names: dict[str, str] = {}
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise CaseError(f"{where} is not an object")
        role = m.get("role")
        allowed = MESSAGE_FIELDS.get(role)  # type: ignore[arg-type]
        if allowed is None:
            raise NotExpressible(f"{where}.role {json.dumps(role)}: pydantic-ai has no such message")
        extra = sorted(set(m) - allowed)
        if extra:
            raise NotExpressible(f"{where} ({role}) fields {', '.join(extra)}: pydantic-ai has no place for them")
        if role == "system":
            out.append(ModelRequest(parts=[SystemPromptPart(content=_text(m.get("content"), f"{where}.content"))]))
        elif role == "user":
            out.append(
                ModelRequest(parts=[UserPromptPart(content=_user_content(m.get("content"), f"{where}.content"))])
            )
        elif role == "tool":
            call_id = m.get("tool_call_id")
            if "tool_call_id" not in m:  # a malformed case: the part a user writes without an id
                out.append(
                    ModelRequest(parts=[ToolReturnPart(tool_name=m.get("name") or "tool", content=m.get("content"))])
                )
                continue
            if not isinstance(call_id, str) or not call_id:
                raise NotExpressible(f"{where}.tool_call_id: pydantic-ai replaces an empty id with a random one")
            given = m.get("name")
            tool_name = given if isinstance(given, str) else names.get(call_id, "tool")
            part = ToolReturnPart(
                tool_name=tool_name, content=_text(m.get("content"), f"{where}.content"), tool_call_id=call_id
            )
            out.append(ModelRequest(parts=[part]))
        else:
            parts: list[Any] = []
            reasoning = m.get("reasoning_content")
            if reasoning is not None:
                parts.append(
                    ThinkingPart(
                        content=_text(reasoning, f"{where}.reasoning_content"),
                        id=THINKING_FIELD,
                        provider_name="moonshotai",
                    )
                )
            content = m.get("content")
            if content is not None:
                parts.append(TextPart(content=_text(content, f"{where}.content")))
            calls = m.get("tool_calls") or []
            if not isinstance(calls, list):
                raise CaseError(f"{where}.tool_calls must be an array")
            for j, call in enumerate(calls):
                fn = call.get("function") if isinstance(call, dict) else None
                if not isinstance(call, dict) or call.get("type", "function") != "function" or not isinstance(fn, dict):
                    raise NotExpressible(f"{where}.tool_calls[{j}]: only function tool calls can be expressed")
                if set(call) - {"id", "type", "function"} or set(fn) - {"name", "arguments"}:
                    raise NotExpressible(f"{where}.tool_calls[{j}]: fields pydantic-ai's ToolCallPart has no place for")
                call_id, name, arguments = call.get("id"), fn.get("name"), fn.get("arguments")
                if not isinstance(call_id, str) or not call_id:
                    raise NotExpressible(
                        f"{where}.tool_calls[{j}].id: pydantic-ai replaces an empty id with a random one"
                    )
                if not isinstance(name, str) or not isinstance(arguments, str):
                    raise NotExpressible(
                        f"{where}.tool_calls[{j}]: a ToolCallPart needs a name and JSON-text arguments"
                    )
                names[call_id] = name
                parts.append(ToolCallPart(tool_name=name, args=arguments, tool_call_id=call_id))
            out.append(ModelResponse(parts=parts, provider_name="moonshotai"))
    return out
