"""The `pydantic-ai` target: pydantic-ai's Moonshot provider driven in process (skipped without pydantic-ai).

The fidelity tests build what a pydantic-ai user writes — an `Agent` (or the direct API) on
`OpenAIChatModel` + `MoonshotAIProvider`, its message history as pydantic-ai objects, written out by
hand here and not by the driver's conversion — over an `httpx.MockTransport`, and check that the
driver's captured request for the equivalent case is the same request. Then the capability
refusals, the capture (no socket, no key), and that every entry of
harness/divergences/pydantic-ai.yaml still reproduces on its minimal case.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time

import pytest

if importlib.util.find_spec("pydantic_ai") is None:
    pytest.skip("pydantic-ai is not installed (tox -e pydantic-ai)", allow_module_level=True)

import httpx

from harness.divergences.model import Divergences
from harness.engine.replay import replay
from harness.targets import NotExpressible, create

HI = {"role": "user", "content": "hi"}
# The JSON schema pydantic-ai derives from `def read(q: str) -> str` (docstring "read tool"), so a
# case can carry the same tool an Agent user registers as a function.
READ = {
    "type": "function",
    "function": {
        "name": "read",
        "description": "read tool",
        "parameters": {
            "additionalProperties": False,
            "properties": {"q": {"type": "string"}},
            "required": ["q"],
            "type": "object",
        },
    },
}


@pytest.fixture(scope="module")
def target():
    t = create("pydantic-ai")
    yield t
    t.close()


class Recorder:
    """An independent capture: httpx.MockTransport answering a minimal chat completion."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = json.loads(request.content)
        base = {"id": "chatcmpl-test", "created": int(time.time()), "model": body["model"]}
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        if body.get("stream"):
            chunk = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
            }
            last = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}
            sse = "".join(f"data: {json.dumps(c)}\n\n" for c in (chunk, last)) + "data: [DONE]\n\n"
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse.encode())
        message = {"role": "assistant", "content": "OK"}
        completion = {
            **base,
            "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": usage,
        }
        return httpx.Response(200, json=completion)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))

    def only(self) -> tuple[str, dict]:
        assert len(self.requests) == 1, [r.url for r in self.requests]
        return str(self.requests[0].url), json.loads(self.requests[0].content)


def _model(recorder: Recorder, model_id: str, base_url: str | None = None):
    from openai import AsyncOpenAI
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.moonshotai import MoonshotAIProvider

    if base_url:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test", http_client=recorder.client())
        return OpenAIChatModel(model_id, provider=MoonshotAIProvider(openai_client=client))
    return OpenAIChatModel(model_id, provider=MoonshotAIProvider(api_key="sk-test", http_client=recorder.client()))


def _read(q: str) -> str:
    """read tool"""
    return q


def _same(driver_out: dict, url: str, body: dict) -> None:
    assert driver_out["url"] == url
    assert json.dumps(driver_out["body"], sort_keys=True) == json.dumps(body, sort_keys=True)


def test_fidelity_agent_with_a_thinking_level(target):
    from pydantic_ai import Agent

    rec = Recorder()
    agent = Agent(_model(rec, "kimi-k2.6"), model_settings={"thinking": "high", "temperature": 0.6, "max_tokens": 64})
    agent.run_sync("hi")
    url, body = rec.only()
    case = {
        "model": "moonshot/kimi-k2.6",
        "thinking": "high",
        "request": {"messages": [HI], "temperature": 0.6, "max_tokens": 64},
    }
    _same(target.transform(case), url, body)


def test_fidelity_agent_with_tools_history_and_extra_body(target):
    from pydantic_ai import Agent
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

    rec = Recorder()
    agent = Agent(_model(rec, "kimi-k2.5"), tools=[_read])
    history = [
        ModelRequest(parts=[SystemPromptPart("You are Kimi."), UserPromptPart("weather?")]),
        ModelResponse(
            parts=[
                ThinkingPart("look it up", id="reasoning_content", provider_name="moonshotai"),
                TextPart("let me look"),
                ToolCallPart("_read", '{"q": "x"}', tool_call_id="functions._read:0"),
            ],
            provider_name="moonshotai",
        ),
        ModelRequest(parts=[ToolReturnPart("_read", "sunny", tool_call_id="functions._read:0")]),
    ]
    settings = {"seed": 7, "stop_sequences": ["END"], "extra_body": {"thinking": {"type": "disabled"}, "n": 1}}
    agent.run_sync("go on", message_history=history, model_settings=settings)
    url, body = rec.only()
    tool = json.loads(json.dumps(READ).replace('"read"', '"_read"'))
    case = {
        "model": "moonshot/kimi-k2.5",
        "request": {
            "messages": [
                {"role": "system", "content": "You are Kimi."},
                {"role": "user", "content": "weather?"},
                {
                    "role": "assistant",
                    "content": "let me look",
                    "reasoning_content": "look it up",
                    "tool_calls": [
                        {
                            "id": "functions._read:0",
                            "type": "function",
                            "function": {"name": "_read", "arguments": '{"q": "x"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "functions._read:0", "content": "sunny"},
                {"role": "user", "content": "go on"},
            ],
            "tools": [tool],
            "seed": 7,
            "stop": ["END"],
            "thinking": {"type": "disabled"},
            "n": 1,
        },
    }
    out = target.transform(case)
    _same(out, url, body)
    assert body["tools"][0]["function"]["name"] == "_read"  # the Agent really registered the function


def test_fidelity_direct_stream_on_a_custom_base(target):
    from pydantic_ai.direct import model_request_stream
    from pydantic_ai.messages import ModelRequest

    rec = Recorder()
    model = _model(rec, "kimi-k2-turbo", "https://api.moonshot.cn/v1")

    async def run():
        messages = [ModelRequest.user_text_prompt("hi")]
        async with model_request_stream(model, messages, model_settings={"openai_user": "u1"}) as stream:
            async for _ in stream:
                pass

    asyncio.run(run())
    url, body = rec.only()
    case = {
        "model": "moonshot/kimi-k2-turbo",
        "provider": {"id": "moonshot-cn", "baseUrl": "https://api.moonshot.cn/v1"},
        "request": {"messages": [HI], "stream": True, "user": "u1"},
    }
    _same(target.transform(case), url, body)
    assert url == "https://api.moonshot.cn/v1/chat/completions"


def test_no_socket_and_no_key(target, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the pydantic-ai target opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("MOONSHOTAI_API_KEY", "sk-from-the-environment")
    for stream in (False, True):
        out = target.transform({"model": "moonshot/kimi-k2.6", "request": {"messages": [HI], "stream": stream}})
        assert out["url"] == "https://api.moonshot.ai/v1/chat/completions"  # the provider's own base
        assert out["headers"]["authorization"] == "Bearer <redacted>"
        text = json.dumps(out)
        assert "sk-conformance" not in text and "sk-from-the-environment" not in text
        assert out["body"]["stream"] is stream


def test_versions(target):
    assert target.versions() == {"pydantic-ai-slim": "2.31.1"}


@pytest.mark.parametrize(
    "case",
    [
        {"model": "kimi/kimi-for-coding", "request": {"messages": [HI]}},
        {"model": "moonshot/kimi-k2.6", "params": {"thinking": "on"}, "request": {"messages": [HI]}},
        {
            "model": "moonshot/kimi-k2.6",
            "provider": {"id": "my-kimi", "baseUrl": "https://api.moonshot.ai/v1", "sanitizeToolCallIds": True},
            "request": {"messages": [HI]},
        },
        {
            "model": "moonshot/kimi-k2.6",
            "provider": {"id": "my-kimi", "compat": {"supportsStore": False}},
            "request": {"messages": [HI]},
        },
        {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "developer", "content": "x"}, HI]}},
        # pydantic-ai itself refuses forced tool use for Moonshot (UserError from its profile)
        {"model": "moonshot/kimi-k2.6", "request": {"messages": [HI], "tools": [READ], "tool_choice": "required"}},
        {
            "model": "moonshot/kimi-k2.6",
            "request": {
                "messages": [HI],
                "tools": [READ],
                "tool_choice": {"type": "function", "function": {"name": "read"}},
            },
        },
        {
            "model": "moonshot/kimi-k2.6",
            "request": {"messages": [HI], "tools": [{"type": "builtin_function", "function": {"name": "$web_search"}}]},
        },
        {"model": "moonshot/kimi-k2.6", "request": {"messages": [HI], "max_tokens": 5, "max_completion_tokens": 6}},
        {"model": "moonshot/kimi-k2.6", "request": {"messages": [HI], "stream": True, "stream_options": {}}},
    ],
    ids=[
        "kimi-coding",
        "openclaw-spelling",
        "sanitize-switch",
        "compat",
        "developer-role",
        "required-refused",
        "pinned-refused",
        "builtin-tool",
        "two-limits",
        "stream-options",
    ],
)
def test_not_expressible(target, case):
    with pytest.raises(NotExpressible):
        target.transform(case)


def test_capabilities_say_why(target):
    caps = target.capabilities
    assert "kimi/kimi-for-coding" in caps.models_not_applicable
    assert "moonshot/kimi-k2.6" not in caps.models_not_applicable
    for rule in ("T9", "T10"):
        assert rule not in caps.rules and caps.why_not[rule]
    assert "errors" in caps.rules and "errors" not in caps.why_not  # malformed cases reach pydantic-ai itself
    assert {"compat", "developer_role", "thinking_spellings", "sanitize_switch"}.isdisjoint(caps.features)
    assert caps.simulated


ENTRIES = [d for d in Divergences.for_target("pydantic-ai") if d.observer == "harness"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_known_divergence_still_reproduces(target, entry):
    result = replay(entry, target)
    assert result.still_diverges, f"{entry.id}: the minimal case no longer diverges: remove or update the entry"
    assert not result.coverage.uncovered, f"{entry.id}: violations no entry covers: {result.coverage.uncovered}"


# ------------------------------------------------------------------------- the `errors` rule (bad cases)
def test_a_malformed_case_reaches_pydantic_ai_as_written(target, monkeypatch):
    """No case-schema check in the driver: pydantic-ai's direct API itself gets messages="hi" and
    settings thinking="max"; its refusal becomes a case error naming what it said."""
    import harness.targets.pydantic_ai_target as driver
    from harness.errors import CaseError

    seen = {}

    async def fake(model, call):
        seen.update(call)
        raise driver_user_error("messages must be a list of ModelMessage")

    from pydantic_ai.exceptions import UserError as driver_user_error

    monkeypatch.setattr(driver, "_request", fake)
    with pytest.raises(CaseError, match="pydantic-ai rejected the case: UserError: messages must be a list"):
        target.transform({"model": "moonshot/kimi-k2.6", "thinking": "max", "request": {"messages": "hi"}})
    assert seen["messages"] == "hi" and seen["settings"]["thinking"] == "max"


def test_a_tool_result_without_id_goes_to_pydantic_ai_without_one(target):
    call = target.call_for(
        {"model": "moonshot/kimi-k9", "request": {"messages": [HI, {"role": "tool", "content": "x"}]}}
    )
    assert call["model_id"] == "kimi-k9"  # the user's model name, as written
    part = call["messages"][1].parts[0]
    assert type(part).__name__ == "ToolReturnPart" and part.tool_call_id.startswith("pyd_ai_")  # pydantic-ai's own id
    with pytest.raises(NotExpressible, match="no model"):
        target.call_for({"request": {"messages": [HI]}})


def test_a_driver_that_sends_anyway_fails_the_errors_rule(target):
    """The broken variant, as data: a transform that swallows the refusal and returns a request
    is errors.accepted; the real driver passes the same bad case."""
    from harness.rules import errors

    bad = next(b for b in errors.bad_cases() if b["id"] == "messages-not-a-list")
    assert errors.violations(bad["case"], target.transform, (NotExpressible,)) == []

    from tests.mutants import sending_anyway

    found = errors.violations(bad["case"], sending_anyway(target.transform), (NotExpressible,))
    assert [(v.check, v.path, v.actual) for v in found] == [("errors.accepted", "/body/messages", "hi")]
