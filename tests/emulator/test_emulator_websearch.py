"""The emulator plays Moonshot's $web_search round trip (docs/contract.md#t10-web-search) deterministically."""

from __future__ import annotations

import copy
import json

import httpx
import pytest

from harness.emulator import Emulator
from harness.emulator import websearch as ews
from harness.reference import transform
from harness.rules.websearch_checks import round_trip_violations

KEY = "sk-test-key"
TOOL = {"type": "builtin_function", "function": {"name": "$web_search"}}


@pytest.fixture(scope="module")
def emu():
    with Emulator() as e:
        yield e


def post(emu, body, stream=False):
    r = httpx.post(
        f"{emu.base_url}/chat/completions",
        json={**body, **({"stream": True} if stream else {})},
        headers={"authorization": f"Bearer {KEY}"},
        timeout=10,
        verify=False,
    )
    if stream:
        return r.status_code, [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
    return r.status_code, r.json()


def first_and_follow_up(emu, model="kimi-k2.6", thinking=None, query="kimi news"):
    body = {"model": model, "messages": [{"role": "user", "content": query}], "tools": [TOOL]}
    if thinking:
        body["thinking"] = {"type": thinking}
    status, first = post(emu, body)
    assert status == 200, first
    msg = first["choices"][0]["message"]
    call = msg["tool_calls"][0]
    follow = copy.deepcopy(body)
    follow["messages"] += [
        {k: v for k, v in msg.items()},
        {"role": "tool", "tool_call_id": call["id"], "name": "$web_search", "content": call["function"]["arguments"]},
    ]
    return body, first, follow


def test_round_trip_ends_with_stop_and_counts_search_tokens_as_prompt(emu):
    _body, first, follow = first_and_follow_up(emu)
    choice = first["choices"][0]
    call = choice["message"]["tool_calls"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert call == {
        "index": 0,
        "id": "$web_search:0",
        "type": "builtin_function",
        "function": {"name": "$web_search", "arguments": ews.arguments(0, "kimi news")},
    }
    args = json.loads(call["function"]["arguments"])
    assert set(args) == {"search_result", "usage"} and 2000 <= args["usage"]["total_tokens"] < 9000
    assert choice["message"]["reasoning_content"]  # kimi-k2.6 thinks by default, also while searching
    assert round_trip_violations(follow["messages"]) == []
    status, final = post(emu, follow)
    assert status == 200 and final["choices"][0]["finish_reason"] == "stop"
    assert "kimi news" in final["choices"][0]["message"]["content"]
    # same follow-up without the search content: the difference is exactly the search tokens
    from harness.emulator.responses import prompt_tokens

    plain = prompt_tokens(follow["messages"], follow["tools"])
    assert final["usage"]["prompt_tokens"] == plain + args["usage"]["total_tokens"]


def test_deterministic_ids_and_counts(emu):
    _, a, _ = first_and_follow_up(emu, query="same query")
    _, b, _ = first_and_follow_up(emu, query="same query")
    _, c, _ = first_and_follow_up(emu, query="other query")

    def args(r):
        return r["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]

    assert args(a) == args(b) != args(c)
    assert ews.search_id(1, "q") != ews.search_id(0, "q")


def test_thinking_off_returns_no_reasoning(emu):
    _, first, follow = first_and_follow_up(emu, model="kimi-k2.5", thinking="disabled")
    assert "reasoning_content" not in first["choices"][0]["message"]
    assert post(emu, follow)[1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("tamper", ["content", "search_id"])
def test_a_tool_message_that_is_not_the_arguments_is_rejected(emu, tamper):
    _, _, follow = first_and_follow_up(emu)
    args = json.loads(follow["messages"][-1]["content"])
    if tamper == "content":
        follow["messages"][-1]["content"] = json.dumps(args, indent=2)  # re-serialized: not byte for byte
    else:
        args["search_result"]["search_id"] = "forged"
        text = json.dumps(args, separators=(",", ":"))
        follow["messages"][-1]["content"] = follow["messages"][-2]["tool_calls"][0]["function"]["arguments"] = text
    status, err = post(emu, follow)
    assert status == 400 and err["error"]["type"] == "invalid_request_error"
    assert "$web_search tool message at index 2" in err["error"]["message"]


def test_streamed_call_is_builtin_and_reference_history_is_accepted(emu):
    body, _first, follow = first_and_follow_up(emu)
    status, chunks = post(emu, body, stream=True)
    assert status == 200
    typed = [tc for c in chunks for ch in c["choices"] for tc in ch["delta"].get("tool_calls") or [] if "type" in tc]
    assert typed and all(tc["type"] == "builtin_function" for tc in typed)
    # the reference rewrites $web_search:0 -> websearch0 (T6 strict) in call and result alike
    out = transform({"model": "moonshot/kimi-k2.6", "request": {k: v for k, v in follow.items() if k != "model"}})
    assert out["body"]["messages"][-1]["tool_call_id"] == "websearch0"
    status, final = post(emu, out["body"])
    assert status == 200 and final["choices"][0]["finish_reason"] == "stop"


def test_without_the_builtin_nothing_changes(emu):
    status, r = post(emu, {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Reply exactly: X"}]})
    assert status == 200 and r["choices"][0]["message"]["content"] == "X"
