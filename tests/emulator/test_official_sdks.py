"""The official SDKs, as shipped (pinned in the `sdk` extra), against a started emulator: `openai` on
Moonshot (/v1) and on Kimi Coding's OpenAI surface (/coding/v1), `anthropic` on Kimi Coding's
Anthropic surface (/coding + /v1/messages). Plain, tools, streaming, typed errors carrying the
emulator's message, count_tokens. The `anthropic` client sends `api_key=` and `auth_token=` both as
`Authorization: Bearer`; `x-api-key` is what other clients (and Claude Code's ANTHROPIC_API_KEY) send:
all three are accepted (docs/contract.md#d6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harness.emulator import Emulator

if TYPE_CHECKING:
    import anthropic
    import openai

MOONSHOT_KEY = "sk-moonshot-sdk-test"
KIMI_KEY = "sk-kimi-sdk-test"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ANTHROPIC_WEATHER = {
    "name": "get_weather",
    "description": "weather",
    "input_schema": WEATHER["function"]["parameters"],
}


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch):
    # the SDKs read credentials and base URLs from the environment: only what a test passes counts
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ANTHROPIC_CUSTOM_HEADERS", raising=False)


@pytest.fixture(scope="module")
def emu():
    with Emulator() as e:
        yield e


# The SDKs are imported where a test uses them, not at collection: every xdist worker collects this
# file, and importing both cost each ~1-2 CPU-s, most of them in workers that never run these tests.
def _openai():
    import openai

    return openai


def _anthropic():
    import anthropic

    return anthropic


def openai_client(emu, surface: str) -> openai.OpenAI:
    openai = _openai()
    base, key = (emu.base_url, MOONSHOT_KEY) if surface == "moonshot" else (emu.coding_base_url, KIMI_KEY)
    return openai.OpenAI(base_url=base, api_key=key, max_retries=0, timeout=10)


def anthropic_client(emu, auth: str) -> anthropic.Anthropic:
    anthropic = _anthropic()
    root = emu.coding_base_url[: -len("/v1")]  # the SDK appends /v1/messages, as to https://api.kimi.com/coding
    if auth == "api_key":
        return anthropic.Anthropic(base_url=root, api_key=KIMI_KEY, max_retries=0, timeout=10)
    if auth == "auth_token":
        return anthropic.Anthropic(base_url=root, auth_token=KIMI_KEY, max_retries=0, timeout=10)
    return anthropic.Anthropic(base_url=root, default_headers={"x-api-key": KIMI_KEY}, max_retries=0, timeout=10)


OPENAI_SURFACES = {"moonshot": "kimi-k2.6", "kimi-coding": "kimi-for-coding"}


# --- openai ---------------------------------------------------------------------------------


@pytest.mark.parametrize("surface", sorted(OPENAI_SURFACES))
def test_openai_plain_and_models(emu, surface):
    client = openai_client(emu, surface)
    model = OPENAI_SURFACES[surface]
    done = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Reply exactly: PONG"}])
    assert done.choices[0].message.content == "PONG" and done.choices[0].finish_reason == "stop"
    assert done.model == model and done.usage is not None and done.usage.prompt_tokens > 0
    assert model in {m.id for m in client.models.list()}


@pytest.mark.parametrize("surface", sorted(OPENAI_SURFACES))
def test_openai_tools_round_trip(emu, surface):
    client = openai_client(emu, surface)
    model = OPENAI_SURFACES[surface]
    messages: list = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model=model, messages=messages, tools=[WEATHER])
    msg = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls" and msg.tool_calls
    call = msg.tool_calls[0]
    assert call.function.name == "get_weather" and call.function.arguments == '{"city": "example"}'
    assistant = msg.model_dump(exclude_none=True)
    assistant.setdefault("reasoning_content", getattr(msg, "reasoning_content", None) or "")  # T5 on Moonshot
    messages += [assistant, {"role": "tool", "tool_call_id": call.id, "content": "18 C"}]
    second = client.chat.completions.create(model=model, messages=messages, tools=[WEATHER])
    assert "18 C" in (second.choices[0].message.content or "")


@pytest.mark.parametrize("surface", sorted(OPENAI_SURFACES))
def test_openai_streaming_with_usage(emu, surface):
    client = openai_client(emu, surface)
    stream = client.chat.completions.create(
        model=OPENAI_SURFACES[surface],
        messages=[{"role": "user", "content": "Reply exactly: STREAMED"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "STREAMED"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


@pytest.mark.parametrize(
    "surface,kwargs,error,status,message",
    [
        (
            "moonshot",
            {"model": "kimi-k2.6", "temperature": 0.3},
            "BadRequestError",
            400,
            "invalid temperature: only 1 is allowed for this model",
        ),
        (
            "moonshot",
            {"model": "kimi-k2.6", "reasoning_effort": "high", "extra_body": {"thinking": {"type": "enabled"}}},
            "BadRequestError",
            400,
            "cannot specify both 'thinking' and 'reasoning_effort'",
        ),
        (
            "moonshot",
            {"model": "kimi-k2-thinking"},
            "NotFoundError",
            404,
            "Not found the model kimi-k2-thinking or Permission denied",
        ),
        (
            "kimi-coding",
            {"model": "kimi-k2.6"},
            "NotFoundError",
            404,
            "Not found the model kimi-k2.6 or Permission denied",
        ),
    ],
)
def test_openai_errors_are_typed_with_the_emulators_message(emu, surface, kwargs, error, status, message):
    with pytest.raises(getattr(_openai(), error)) as info:
        openai_client(emu, surface).chat.completions.create(messages=[{"role": "user", "content": "hi"}], **kwargs)
    assert info.value.status_code == status
    assert info.value.body == {"message": message, "type": info.value.body["type"]}  # type: ignore[index]


def test_openai_keys_do_not_cross_services(emu):
    openai = _openai()
    wrong = openai.OpenAI(base_url=emu.coding_base_url, api_key=MOONSHOT_KEY, max_retries=0, timeout=10)
    with pytest.raises(openai.AuthenticationError) as info:
        wrong.chat.completions.create(model="kimi-for-coding", messages=[{"role": "user", "content": "hi"}])
    assert info.value.body == {"message": "Invalid Authentication", "type": "invalid_authentication_error"}


# --- anthropic ------------------------------------------------------------------------------

AUTHS = ["api_key", "auth_token", "x-api-key"]


@pytest.mark.parametrize("auth", AUTHS)
def test_anthropic_plain_in_every_accepted_auth(emu, auth):
    before = len(emu.requests)
    msg = anthropic_client(emu, auth).messages.create(
        model="kimi-for-coding", max_tokens=200, messages=[{"role": "user", "content": "Reply exactly: HELLO"}]
    )
    assert msg.content[0].type == "text" and msg.content[0].text == "HELLO"
    assert msg.stop_reason == "end_turn" and msg.usage.input_tokens > 0
    sent = {k.lower() for k in emu.requests[before]["headers"]}
    # what the SDK puts on the wire for each way of passing the key
    assert ("x-api-key" in sent) is (auth == "x-api-key") and ("authorization" in sent) is (auth != "x-api-key")


def test_anthropic_tools_round_trip(emu):
    client = anthropic_client(emu, "auth_token")
    first = client.messages.create(
        model="k3",
        max_tokens=500,
        tools=[ANTHROPIC_WEATHER],
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    )
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.name == "get_weather" and call.input == {"city": "example"}
    second = client.messages.create(
        model="k3",
        max_tokens=500,
        tools=[ANTHROPIC_WEATHER],
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18 C"}]},
        ],
    )
    assert second.content[0].type == "text" and second.content[0].text == "The tool returned: 18 C"


def test_anthropic_streaming_with_thinking(emu):
    with anthropic_client(emu, "api_key").messages.stream(
        model="kimi-for-coding",
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "Reply exactly: STREAMED"}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "STREAMED"
    assert [b.type for b in final.content] == ["thinking", "text"] and final.content[0].signature  # type: ignore[union-attr]
    assert final.usage.output_tokens > 0


def test_anthropic_count_tokens_matches_the_message_usage(emu):
    client = anthropic_client(emu, "auth_token")
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    counted = client.messages.count_tokens(model="kimi-for-coding", messages=messages, tools=[ANTHROPIC_WEATHER])
    used = client.messages.create(model="kimi-for-coding", max_tokens=300, messages=messages, tools=[ANTHROPIC_WEATHER])
    assert counted.input_tokens == used.usage.input_tokens > 0


@pytest.mark.parametrize(
    "call,error,status,etype,message",
    [
        (
            lambda c: c.messages.create(model="kimi-k2.6", max_tokens=10, messages=[{"role": "user", "content": "hi"}]),
            "NotFoundError",
            404,
            "not_found_error",
            "model: kimi-k2.6",
        ),
        (
            lambda c: c.messages.count_tokens(model="kimi-k2-thinking", messages=[{"role": "user", "content": "hi"}]),
            "NotFoundError",
            404,
            "not_found_error",
            "model: kimi-k2-thinking",
        ),
        (
            lambda c: c.messages.create(
                model="kimi-for-coding", max_tokens=10, messages=[{"role": "system", "content": "x"}]
            ),
            "BadRequestError",
            400,
            "invalid_request_error",
            "messages.0.role: Input should be 'user' or 'assistant'",
        ),
    ],
)
def test_anthropic_errors_are_typed_with_the_emulators_message(emu, call, error, status, etype, message):
    with pytest.raises(getattr(_anthropic(), error)) as info:
        call(anthropic_client(emu, "x-api-key"))
    assert info.value.status_code == status
    body = info.value.body
    assert isinstance(body, dict) and body["type"] == "error" and body["error"]["type"] == etype
    assert body["error"]["message"] == message


def test_anthropic_refuses_a_moonshot_key_in_either_header(emu):
    anthropic = _anthropic()
    root = emu.coding_base_url[: -len("/v1")]
    for client in (
        anthropic.Anthropic(base_url=root, auth_token=MOONSHOT_KEY, max_retries=0, timeout=10),
        anthropic.Anthropic(base_url=root, default_headers={"x-api-key": MOONSHOT_KEY}, max_retries=0, timeout=10),
    ):
        with pytest.raises(anthropic.AuthenticationError) as info:
            client.messages.create(model="kimi-for-coding", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        assert info.value.body == {
            "type": "error",
            "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        }
