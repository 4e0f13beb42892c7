"""The wire schemas accept every real capture and reject targeted corruptions by JSON path."""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema import Draft202012Validator

from harness.cassettes.captures import SHIPPED as CAPTURES
from harness.cassettes.captures import capture_files, load_units
from harness.wire.schemas import (
    KINDS,
    SCHEMA_DIR,
    WireSchemaError,
    iter_errors,
    load_schema,
    validate,
)


def units_of(kind: str):
    """(file, unit) for every body of this kind in the real captures."""
    return [(f, u) for f in capture_files(CAPTURES) for u in load_units(f)[1] if u.kind == kind]


def _one(name: str) -> dict:
    return json.loads(next(CAPTURES.rglob(name)).read_text())


def _ids(pairs):
    return [f"{f.name}:{u.root}" for f, u in pairs]


# --- the schemas themselves ---------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_draft_2020_12(kind):
    schema = load_schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$comment" in schema, "each schema documents its additionalProperties decision"


def test_schemas_are_loaded_once():
    assert load_schema("response") is load_schema("response")
    with pytest.raises(KeyError):
        load_schema("nope")


def test_usage_schema_is_shared_by_reference():
    for kind in ("response", "chunk"):
        text = (SCHEMA_DIR / f"{kind}.schema.json").read_text()
        assert '"$ref": "usage.schema.json"' in text


# --- every real capture is accepted ---------------------------------------------------


@pytest.mark.parametrize("kind", ["response", "error", "chunk", "request"])
def test_real_captures_validate(kind):
    pairs = units_of(kind)
    assert pairs, f"no {kind} bodies among the captures"
    for f, u in pairs:
        assert list(iter_errors(kind, u.payload)) == [], f"{f.name} {u.root}"


def test_every_real_stream_chunk_validates():
    streams = units_of("stream")
    assert len(streams) >= 6
    for f, u in streams:
        assert u.problems == ()
        for n, chunk in enumerate(u.payload):
            errs = list(iter_errors("chunk", chunk, f"$[{n}]"))
            assert errs == [], f"{f.name}: {errs}"


# --- corruptions are rejected, naming the field -------------------------------------------


def _mutated(obj, path, value=KeyError):
    """Copy of obj with path set to value, or deleted when value is KeyError."""
    obj = copy.deepcopy(obj)
    cur = obj
    for p in path[:-1]:
        cur = cur[p]
    if value is KeyError:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return obj


RESPONSE_CASES = [
    (["choices"], KeyError, "$", "'choices' is a required property"),
    (["id"], KeyError, "$", "'id' is a required property"),
    (["object"], "chat.completion.chunk", "$.object", "was expected"),
    (["created"], "1787762060", "$.created", "not of type 'integer'"),
    (["choices"], [], "$.choices", "should be non-empty"),
    (["choices", 0, "finish_reason"], "done", "$.choices[0].finish_reason", "is not one of"),
    (["choices", 0, "message", "role"], "user", "$.choices[0].message.role", "was expected"),
    (["usage", "prompt_tokens"], -1, "$.usage.prompt_tokens", "less than the minimum"),
    (["usage", "completion_tokens"], 1.5, "$.usage.completion_tokens", "not of type 'integer'"),
    (
        ["usage", "completion_tokens_details", "reasoning_tokens"],
        -3,
        "$.usage.completion_tokens_details.reasoning_tokens",
        "minimum",
    ),
    (["usage", "total_tokens"], 1, "$.usage.total_tokens", "!= prompt_tokens"),
    (["usage", "total_tokens"], KeyError, "$.usage", "'total_tokens' is a required property"),
    (
        ["choices", 0, "message", "tool_calls", 0, "id"],
        KeyError,
        "$.choices[0].message.tool_calls[0]",
        "'id' is a required",
    ),
    (
        ["choices", 0, "message", "tool_calls", 0, "function"],
        KeyError,
        "$.choices[0].message.tool_calls[0]",
        "'function' is a required",
    ),
    (
        ["choices", 0, "message", "tool_calls", 0, "function", "name"],
        "",
        "$.choices[0].message.tool_calls[0].function.name",
        "non-empty",
    ),
    (
        ["choices", 0, "message", "tool_calls", 0, "type"],
        "tool",
        "$.choices[0].message.tool_calls[0].type",
        "is not one of",
    ),
    (
        ["choices", 0, "message", "tool_calls", 0, "extra"],
        1,
        "$.choices[0].message.tool_calls[0]",
        "Additional properties",
    ),
]


@pytest.mark.parametrize("path,value,where,msg", RESPONSE_CASES)
def test_corrupted_response_is_rejected(path, value, where, msg):
    good = _one("moonshotai-k2.7-tool-choice-omitted.json")
    assert list(iter_errors("response", good)) == []
    errors = list(iter_errors("response", _mutated(good, path, value)))
    assert any(e.path == where and msg in e.message for e in errors), errors
    with pytest.raises(WireSchemaError) as info:
        validate("response", _mutated(good, path, value))
    assert info.value.path.startswith("$") and info.value.errors == errors


def _stream(name: str) -> list:
    return [json.loads(line) for line in next(CAPTURES.rglob(name)).read_text().splitlines() if line.strip()]


def test_corrupted_chunks_are_rejected():
    chunks = _stream("moonshotai-metadata-live.chunks.txt")
    finish, trailing, tool = chunks[-2], chunks[-1], chunks[-4]
    assert tool["choices"][0]["delta"]["tool_calls"][0]["id"] == "get_weather_0"
    cases = [
        (trailing, ["usage"], KeyError, "$", "'usage' is a required property"),
        (trailing, ["usage", "cached_tokens"], -1, "$.usage.cached_tokens", "minimum"),
        (
            trailing,
            ["usage", "prompt_tokens_details", "cached_tokens"],
            999,
            "$.usage.prompt_tokens_details.cached_tokens",
            "exceed prompt_tokens",
        ),
        (finish, ["choices", 0, "usage", "prompt_tokens"], "213", "$.choices[0].usage.prompt_tokens", "not of type"),
        (finish, ["choices", 0, "finish_reason"], "end_turn", "$.choices[0].finish_reason", "is not one of"),
        (finish, ["choices", 0, "delta"], KeyError, "$.choices[0]", "'delta' is a required"),
        (tool, ["choices", 0, "delta", "tool_calls", 0, "id"], "", "$.choices[0].delta.tool_calls[0].id", "non-empty"),
        (
            tool,
            ["choices", 0, "delta", "tool_calls", 0, "index"],
            KeyError,
            "$.choices[0].delta.tool_calls[0]",
            "'index' is a required",
        ),
        (tool, ["object"], "chat.completion", "$.object", "was expected"),
        (tool, ["choices"], KeyError, "$", "'choices' is a required property"),
    ]
    for chunk, path, value, where, msg in cases:
        assert list(iter_errors("chunk", chunk)) == []
        errors = list(iter_errors("chunk", _mutated(chunk, path, value)))
        assert any(e.path == where and msg in e.message for e in errors), (path, errors)


def test_corrupted_error_bodies_are_rejected():
    good = _one("moonshotai-required-tool-choice-error.json")
    cases = [
        (["error", "type"], KeyError, "$.error", "'type' is a required"),
        (["error", "message"], 400, "$.error.message", "not of type 'string'"),
        (["error", "type"], "Invalid Request", "$.error.type", "does not match"),
        (["error", "code"], [1], "$.error.code", "not of type"),
        (["status"], 400, "$", "Additional properties"),
        (["error"], KeyError, "$", "'error' is a required"),
    ]
    for path, value, where, msg in cases:
        errors = list(iter_errors("error", _mutated(good, path, value)))
        assert any(e.path == where and msg in e.message for e in errors), (path, errors)


def test_corrupted_requests_are_rejected():
    (f, unit), *_ = [p for p in units_of("request") if "tool_calls" in json.dumps(p[1].payload)]
    good = unit.payload
    idx = next(i for i, m in enumerate(good["messages"]) if m.get("tool_calls"))
    tool_idx = next(i for i, m in enumerate(good["messages"]) if m["role"] == "tool")
    cases = [
        (["messages"], KeyError, "$", "'messages' is a required"),
        (["model"], 5, "$.model", "not of type"),
        (["messages", 0, "role"], "developer", "$.messages[0].role", "is not one of"),
        (["messages", tool_idx, "tool_call_id"], KeyError, f"$.messages[{tool_idx}]", "'tool_call_id' is a required"),
        (["messages", idx, "tool_calls", 0, "id"], KeyError, f"$.messages[{idx}].tool_calls[0]", "'id' is a required"),
        (["stream_options"], {"include_usage": "yes"}, "$.stream_options.include_usage", "not of type 'boolean'"),
        (["thinking"], {"type": "enabled", "keep": "ALL"}, "$.thinking.keep", "is not one of"),
        (["thinking"], True, "$.thinking", "not of type 'object'"),
        (["tool_choice"], "any", "$.tool_choice", "is not one of"),
        (["max_tokens"], 0, "$.max_tokens", "minimum"),
    ]
    for path, value, where, msg in cases:
        errors = list(iter_errors("request", _mutated(good, path, value)))
        assert any(e.path == where and msg in e.message for e in errors), (path, errors)


MODELS = {
    "object": "list",
    "data": [
        {
            "id": "kimi-k2.6",
            "object": "model",
            "created": 1787685000,
            "owned_by": "moonshot",
            "root": "kimi-k2.6",
            "parent": None,
            "permission": [{"allow_sampling": True}],
            "context_length": 262144,
        },
        {"id": "moonshot-v1-8k", "object": "model", "created": 1709149158, "owned_by": "moonshot"},
    ],
}


def test_models_list_schema():
    validate("models", MODELS)
    cases = [
        (["data"], KeyError, "$", "'data' is a required"),
        (["object"], "models", "$.object", "was expected"),
        (["data", 1, "id"], KeyError, "$.data[1]", "'id' is a required"),
        (["data", 0, "object"], "engine", "$.data[0].object", "was expected"),
        (["data", 0, "context_length"], 0, "$.data[0].context_length", "minimum"),
    ]
    for path, value, where, msg in cases:
        errors = list(iter_errors("models", _mutated(MODELS, path, value)))
        assert any(e.path == where and msg in e.message for e in errors), (path, errors)


def test_unknown_token_counters_must_still_be_counts():
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5, "image_tokens": -1}
    (err,) = iter_errors("usage", usage)
    assert err.path == "$.image_tokens"
    validate("usage", {**usage, "image_tokens": 0, "cost": 0.1, "is_byok": False})
