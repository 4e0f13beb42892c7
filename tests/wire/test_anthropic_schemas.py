"""The Anthropic Messages wire schemas accept valid bodies and reject corrupted ones, naming the field."""

import copy

import pytest

from harness.wire import schemas

REQUEST = {
    "model": "kimi-for-coding",
    "max_tokens": 1024,
    "system": "You are terse.",
    "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "call the tool", "signature": ""},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "18 C"}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "thanks", "cache_control": {"type": "ephemeral"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}},
            ],
        },
    ],
    "tools": [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object", "properties": {}}}],
    "tool_choice": {"type": "auto"},
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "stream": True,
}
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "kimi-for-coding",
    "content": [{"type": "text", "text": "hi"}, {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 0},
}
EVENTS = [
    {"type": "message_start", "message": {**MESSAGE, "content": [], "stop_reason": None}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{}"}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "thinking_delta", "thinking": "x"}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 3},
    },
    {"type": "message_stop"},
    {"type": "ping"},
]
ERROR = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}


def _errors(kind, obj):
    return [str(e) for e in schemas.iter_errors(kind, obj)]


@pytest.mark.parametrize(
    "kind,obj",
    [("anthropic-request", REQUEST), ("anthropic-response", MESSAGE), ("anthropic-error", ERROR)]
    + [("anthropic-event", e) for e in EVENTS],
)
def test_valid_bodies_pass(kind, obj):
    assert _errors(kind, obj) == []


def _mutate(obj, path, value):
    out = copy.deepcopy(obj)
    target = out
    for p in path[:-1]:
        target = target[p]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


REQUEST_BREAKS = [
    (("max_tokens",), KeyError, "max_tokens"),  # Anthropic requires it
    (("messages", 0, "role"), "system", "role"),  # no system role inside messages
    (("messages",), [], "messages"),
    (("messages", 1, "content", 1, "id"), "functions.get_weather:0", "id"),  # Anthropic's id alphabet
    (("messages", 1, "content", 1, "input"), "{}", "input"),  # arguments are an object, not JSON text
    (("messages", 2, "content", 0, "tool_use_id"), KeyError, "tool_use_id"),
    (("tools", 0, "input_schema"), KeyError, "input_schema"),
    (("tools", 0, "parameters"), {"type": "object"}, None),  # tools stay open (eager_input_streaming, ...)
    (("tool_choice",), "required", "tool_choice"),  # an OpenAI spelling
    (("tool_choice",), {"type": "function", "function": {"name": "f"}}, "tool_choice"),
    (("thinking",), {"type": "enabled"}, "thinking"),  # enabled needs budget_tokens
    (("thinking", "budget_tokens"), 100, "budget_tokens"),  # at least 1024
    (("temperature",), 1.5, "temperature"),  # Anthropic's range is 0..1
    (("n",), 2, "n"),  # an OpenAI-only field
    (("stream_options",), {"include_usage": True}, "stream_options"),
]


@pytest.mark.parametrize("path,value,field", REQUEST_BREAKS, ids=[str(b[:2]) for b in REQUEST_BREAKS])
def test_corrupted_requests_are_rejected_naming_the_field(path, value, field):
    errors = _errors("anthropic-request", _mutate(REQUEST, path, value))
    if field is None:
        assert errors == []
        return
    assert errors, f"{path} = {value!r} was accepted"
    assert any(field in e for e in errors), errors


@pytest.mark.parametrize(
    "kind,obj,path,value",
    [
        ("anthropic-response", MESSAGE, ("type",), "chat.completion"),
        ("anthropic-response", MESSAGE, ("usage", "input_tokens"), -1),
        ("anthropic-response", MESSAGE, ("stop_reason",), "stop"),  # OpenAI's finish_reason spelling
        ("anthropic-response", MESSAGE, ("content", 1, "input"), None),
        ("anthropic-error", ERROR, ("error", "type"), "invalid_authentication_error"),  # Moonshot's type
        ("anthropic-error", ERROR, ("type",), "err"),
        ("anthropic-event", EVENTS[2], ("delta", "type"), "content_delta"),
        ("anthropic-event", EVENTS[6], ("usage",), KeyError),
        ("anthropic-event", EVENTS[0], ("message", "role"), "user"),
        ("anthropic-event", {"type": "message_start"}, ("type",), "message_start"),  # no message
    ],
)
def test_corrupted_responses_events_and_errors_are_rejected(kind, obj, path, value):
    assert _errors(kind, _mutate(obj, path, value))


def test_a_chat_completions_body_is_not_an_anthropic_one():
    body = {
        "model": "kimi-for-coding",
        "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "hi"}],
        "max_tokens": 10,
        "stream_options": {"include_usage": True},
    }
    assert _errors("anthropic-request", body)
    schemas.validate("request", body)  # ... while it is a valid chat-completions request
