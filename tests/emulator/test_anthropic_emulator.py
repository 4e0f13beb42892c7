"""The emulator's Kimi Coding Anthropic surface (POST /coding/v1/messages) and the separation of keys."""

import json

import httpx
import pytest

from harness.emulator import Emulator
from harness.emulator import anthropic as emu_anthropic
from harness.reference import transform
from harness.wire import schemas

KIMI_KEY = "sk-kimi-test-key"
MOONSHOT_KEY = "sk-moonshot-test-key"
HEADERS = {"anthropic-version": "2023-06-01", "user-agent": "claude-code/0.1.0"}
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
def emu():
    with Emulator() as e:
        yield e


def messages_url(emu) -> str:
    return emu.coding_base_url[: -len("/v1")] + "/v1/messages"  # .../coding + /v1/messages


def post(emu, body, key=KIMI_KEY, **headers):
    return httpx.post(
        messages_url(emu), json=body, headers={**HEADERS, "x-api-key": key, **headers}, timeout=10, verify=False
    )


def body_for(text="Reply exactly: HELLO", **request):
    c = {"model": "kimi/kimi-for-coding", "request": {"messages": [{"role": "user", "content": text}], **request}}
    level = request.pop("level", None)
    c["request"].pop("level", None)
    if level:
        c["thinking"] = level
    return transform(c)["body"]


def sse_events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_a_kimi_key_gets_an_anthropic_message(emu):
    r = post(emu, body_for())
    assert r.status_code == 200
    schemas.validate("anthropic-response", r.json())
    assert r.json()["content"] == [{"type": "text", "text": "HELLO"}] and r.json()["stop_reason"] == "end_turn"
    assert r.json()["usage"]["input_tokens"] > 0


@pytest.mark.parametrize("headers", [{"x-api-key": MOONSHOT_KEY}, {"x-api-key": "not-a-key"}, {}])
def test_a_moonshot_key_or_none_is_a_401_in_anthropic_shape(emu, headers):
    r = httpx.post(messages_url(emu), json=body_for(), headers={**HEADERS, **headers}, timeout=10, verify=False)
    assert r.status_code == 401
    schemas.validate("anthropic-error", r.json())
    assert r.json()["error"]["type"] == "authentication_error"


def raw_post(emu, headers, body=None, path="/v1/messages"):
    url = emu.coding_base_url[: -len("/v1")] + path
    return httpx.post(url, json=body or body_for(), headers={**HEADERS, **headers}, timeout=10, verify=False)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-api-key": KIMI_KEY},
        {"authorization": f"Bearer {KIMI_KEY}"},  # Kimi's own Claude Code setup, the official anthropic client
        {"x-api-key": KIMI_KEY, "authorization": f"Bearer {KIMI_KEY}"},  # both, the same key
    ],
)
def test_a_kimi_key_in_either_header_is_accepted(emu, headers):
    assert raw_post(emu, headers).status_code == 200


@pytest.mark.parametrize(
    "headers,message",
    [
        ({"authorization": f"Bearer {MOONSHOT_KEY}"}, "invalid x-api-key"),  # a Moonshot key, as Bearer
        ({"authorization": KIMI_KEY}, "invalid x-api-key"),  # not 'Bearer <key>'
        (
            {"x-api-key": KIMI_KEY, "authorization": "Bearer sk-kimi-another-key"},
            "x-api-key and Authorization: Bearer hold different keys",
        ),
    ],
)
def test_a_refused_key_is_a_401_in_anthropic_shape(emu, headers, message):
    r = raw_post(emu, headers)
    assert r.status_code == 401
    assert r.json() == {"type": "error", "error": {"type": "authentication_error", "message": message}}


def test_the_claude_code_user_agent_is_required_only_when_asked():
    agents = {"user-agent": "Anthropic/Python 2.17.0", "x-api-key": KIMI_KEY}
    with Emulator() as emu:
        assert raw_post(emu, agents).status_code == 200  # off by default: the official client passes
    with Emulator(require_agent_user_agent=True) as emu:
        r = raw_post(emu, agents)
        assert r.status_code == 403 and r.json()["error"]["type"] == "permission_error"
        assert r.json()["error"]["message"].startswith("Kimi For Coding is currently only available for Coding Agents")
        assert raw_post(emu, {**agents, "user-agent": "claude-code/0.1.0"}).status_code == 200
        assert raw_post(emu, {**agents, "x-api-key": MOONSHOT_KEY}).status_code == 401  # auth first


def test_count_tokens_answers_like_anthropic(emu):
    body = body_for("Weather in Paris?", tools=[TOOL])
    counted = raw_post(emu, {"x-api-key": KIMI_KEY}, {k: v for k, v in body.items() if k != "max_tokens"}, COUNT)
    assert counted.status_code == 200 and counted.json() == {
        "input_tokens": post(emu, body).json()["usage"]["input_tokens"]
    }
    assert raw_post(emu, {"authorization": f"Bearer {KIMI_KEY}"}, body, COUNT).status_code == 200
    assert raw_post(emu, {"x-api-key": MOONSHOT_KEY}, body, COUNT).status_code == 401
    r = raw_post(emu, {"x-api-key": KIMI_KEY}, {**body, "model": "kimi-k2.6"}, COUNT)
    assert r.status_code == 404 and r.json()["error"] == {"type": "not_found_error", "message": "model: kimi-k2.6"}
    r = raw_post(emu, {"x-api-key": KIMI_KEY}, {**body, "messages": []}, COUNT)
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


COUNT = "/v1/messages/count_tokens"


def test_keys_are_not_interchangeable_on_either_surface(emu):
    chat = {"messages": [{"role": "user", "content": "hi"}]}

    def bearer(base, model, key):
        return httpx.post(
            base + "/chat/completions",
            json={"model": model, **chat},
            headers={"authorization": f"Bearer {key}"},
            timeout=10,
            verify=False,
        ).status_code

    assert bearer(emu.base_url, "kimi-k2.6", MOONSHOT_KEY) == 200
    assert bearer(emu.base_url, "kimi-k2.6", KIMI_KEY) == 401
    assert bearer(emu.coding_base_url, "kimi-k2p5", KIMI_KEY) == 200
    assert bearer(emu.coding_base_url, "kimi-k2p5", MOONSHOT_KEY) == 401
    restricted = Emulator(api_keys={"sk-kimi-only-this"})
    with restricted:
        r = httpx.post(
            messages_url(restricted), json=body_for(), headers={**HEADERS, "x-api-key": KIMI_KEY}, verify=False
        )
        assert r.status_code == 401


def test_the_key_never_reaches_the_request_log(emu):
    post(emu, body_for())
    assert KIMI_KEY not in json.dumps(emu.requests)
    assert emu.requests[-1]["headers"]["x-api-key"] == "[REDACTED]"


def test_a_stream_is_anthropic_events(emu):
    r = post(emu, body_for(stream=True, level="high"))
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
    events = sse_events(r.text)
    for name, data in events:
        assert name == data["type"]
        schemas.validate("anthropic-event", data)
    types = [t for t, _ in events]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    blocks = [d["content_block"]["type"] for t, d in events if t == "content_block_start"]
    assert blocks == ["thinking", "text"]
    text = "".join(d["delta"].get("text", "") for t, d in events if t == "content_block_delta")
    assert text == "HELLO"


def test_tool_use_and_its_result_round_trip(emu):
    first = post(emu, body_for("Weather in Paris?", tools=[TOOL]))
    msg = first.json()
    assert msg["stop_reason"] == "tool_use"
    call = msg["content"][0]
    assert call["type"] == "tool_use" and call["input"] == {"city": "example"}
    history = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": msg["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "18 C"}]},
    ]
    second = post(emu, {**body_for(tools=[TOOL]), "messages": history})
    assert second.status_code == 200 and second.json()["content"][0]["text"] == "The tool returned: 18 C"


@pytest.mark.parametrize(
    "mutate,status,etype",
    [
        (lambda b: b.pop("max_tokens"), 400, "invalid_request_error"),
        (lambda b: b.update(messages=[]), 400, "invalid_request_error"),
        (lambda b: b["messages"].insert(0, {"role": "system", "content": "x"}), 400, "invalid_request_error"),
        (
            lambda b: b["messages"].extend(
                [
                    {"role": "assistant", "content": "ok"},
                    {
                        "role": "user",
                        "content": [{"type": "tool_result", "tool_use_id": "toolu_orphan", "content": "x"}],
                    },
                ]
            ),
            400,
            "invalid_request_error",
        ),
        (lambda b: b.update(model="kimi-k2.6"), 404, "not_found_error"),  # a Moonshot model
        (lambda b: b.update(model="kimi-k2-thinking"), 404, "not_found_error"),  # retired
    ],
)
def test_bad_requests_get_anthropic_errors(emu, mutate, status, etype):
    body = body_for()
    mutate(body)
    r = post(emu, body)
    assert r.status_code == status
    schemas.validate("anthropic-error", r.json())
    assert r.json()["error"]["type"] == etype


def test_injected_and_rate_limit_errors_keep_anthropic_shape():
    with Emulator(rpm=1) as emu:
        assert post(emu, body_for()).status_code == 200
        r = post(emu, body_for())
        assert r.status_code == 429 and r.json()["error"]["type"] == "rate_limit_error"
        assert r.headers.get("retry-after") == "1"
    with Emulator() as emu:
        emu.inject(529, "engine_overloaded_error")
        r = post(emu, body_for())
        assert r.status_code == 529 and r.json() == {
            "type": "error",
            "error": {"type": "overloaded_error", "message": r.json()["error"]["message"]},
        }


def test_answers_are_deterministic():
    bodies = []
    for _ in range(2):
        with Emulator(seed=7) as emu:
            bodies.append(post(emu, body_for(stream=True)).text)
    assert bodies[0] == bodies[1]
    assert emu_anthropic.error_body("x", "y") == {"type": "error", "error": {"type": "x", "message": "y"}}
