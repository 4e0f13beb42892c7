"""Wire scenarios judge an exchange into structured violations (rule, check id, JSON pointer),
as the rules' checks do: a broken answer names the check that caught it, never only a message."""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace

import pytest

from harness.catalog import builtin
from harness.scenarios import chat
from harness.scenarios.expect import ScenarioFailure, as_pointer, expect, expect_schema

MODEL = builtin().resolve("moonshot/kimi-k2.6")
BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "kimi-k2.6",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}


def response(body=BODY, status=200, streamed=False):
    return SimpleNamespace(
        status=status,
        json=body,
        text=json.dumps(body),
        streamed=streamed,
        headers={"content-type": "application/json"},
        chunks=[],
        events=[],
        byte_chunks=1,
    )


def checks(e: pytest.ExceptionInfo) -> list[tuple[str, str]]:
    return [(v.check, v.path) for v in e.value.violations]


def test_a_good_answer_passes_and_says_what_it_found():
    facts = chat.check_ok(MODEL, {"model": "kimi-k2.6"}, response(), replay=False)
    assert facts["finish_reason"] == "stop" and facts["usage"].prompt_tokens == 5


@pytest.mark.parametrize(
    ("broken", "want"),
    [
        (lambda r: setattr(r, "status", 500), [("wire.status", "/response/status")]),
        (lambda r: setattr(r, "streamed", True), [("wire.stream", "/response/headers/content-type")]),
        (lambda r: r.json.pop("usage"), [("T9.usage-missing", "/response/body/usage")]),
        (lambda r: r.json["choices"][0].pop("message"), [("wire.schema", "/response/body/choices/0")]),
    ],
    ids=["status", "stream", "usage", "schema"],
)
def test_a_broken_answer_names_its_check_and_place(broken, want):
    r = response(copy.deepcopy(BODY))
    broken(r)
    with pytest.raises(ScenarioFailure) as e:
        chat.check_ok(MODEL, {"model": "kimi-k2.6"}, r, replay=False)
    assert checks(e) == want
    assert all(v.rule == v.check.split(".")[0] for v in e.value.violations)


def test_a_stream_without_done_is_its_own_check():
    r = response(streamed=True)
    r.events = ["{}"]
    with pytest.raises(ScenarioFailure) as e:
        chat.check_ok(MODEL, {"model": "kimi-k2.6", "stream": True}, r, replay=False)
    assert checks(e) == [("wire.stream-end", "/response/events/-1")]
    assert e.value.violations[0].expected == "[DONE]" and e.value.violations[0].actual == "{}"


def test_expect_passes_quietly_and_fails_with_data():
    expect(True, "wire.x", "/a", 1, 1, "fine")
    with pytest.raises(ScenarioFailure) as e:
        expect(0, "T9.cost", "/response/usage", "1", "2", "differs")
    (v,) = e.value.violations
    assert (v.rule, v.check, v.path, v.expected, v.actual) == ("T9", "T9.cost", "/response/usage", "1", "2")
    assert isinstance(e.value, AssertionError)  # pytest reports it as a failure, not an error


def test_schema_errors_become_violations_at_their_place():
    assert as_pointer("$.choices[0].usage") == "/choices/0/usage"
    with pytest.raises(ScenarioFailure) as e:
        expect_schema("error", {"error": {"type": 1}}, "/response/body")
    assert e.value.violations and {v.check for v in e.value.violations} == {"wire.schema"}
    assert all(v.path.startswith("/response/body") for v in e.value.violations)
