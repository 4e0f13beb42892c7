"""What a replayed real cassette must show: the contract's wire facts, as `Violation`s.

Each check reads one exchange (the request sent, the `WireResponse` replayed) and returns the
violations it found, with JSON pointers into the response (`/response/choices/0/usage`). The
checks a cassette runs are listed in harness/cassettes/real_cassettes.yaml:

- `error`: an error body with the status the entry names, valid against the error schema; with
  `expect_error`, the harness's own error table (scenarios.json `errors`, used to judge emulator and
  live runs) must give the same status, type and text (docs/contract.md#errors).
- `response` / `stream`: valid bodies, usage where the contract puts it (docs/contract.md#t9): in a
  stream on each choice's finish chunk, and a trailing usage-only chunk exactly when the request asked
  for `include_usage` (docs/contract.md#t8); cached tokens never exceed the prompt.
- `schema`: every body valid against the wire schemas, nothing more (answers relayed by a proxy).
- `tool_call_ids`: the API's own tool-call ids are of the forms docs/contract.md#t6 lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from harness.contract.verdict import Violation, pointer

# functions.<name>:<n> (native), <name>:<n>, <name>_<n>, $web_search:<n> — docs/contract.md#t6
TOOL_ID_FORM = re.compile(r"^(functions\.)?\$?[A-Za-z_][A-Za-z0-9_.-]*[:_][0-9]+$")


def _v(rule: str, check: str, path: str, expected: Any, actual: Any, message: str) -> Violation:
    return Violation(rule, f"{rule}.{check}", path, expected, actual, message)


def _as_pointer(json_path: str) -> str:
    """`$.choices[0].usage` -> `/choices/0/usage`."""
    return pointer(*[p for p in re.sub(r"\[(\d+)\]", r".\1", json_path.removeprefix("$")).split(".") if p])


def _schema(kind: str, body: Any, at: str) -> list[Violation]:
    from harness.wire.schemas import iter_errors

    return [_v("errors" if kind == "error" else "T9", f"{kind}-schema", at + _as_pointer(e.path), None, None,
               f"{kind} schema: {e.message}") for e in iter_errors(kind, body)]


def check_error(e: dict, x) -> list[Violation]:
    from harness.cassettes import scenarios

    r, out = x.response, []
    if r.status != e["status"]:
        out.append(_v("errors", "status", "/response/status", e["status"], r.status, "unexpected status"))
    out += _schema("error", r.json, "/response")
    key = e.get("expect_error")
    if key and isinstance(r.json, dict) and isinstance(r.json.get("error"), dict):
        want = scenarios.data()["errors"][key]
        text = want["message"].format(model=x.request.get("model")) if "{model}" in want["message"] else want["message"]
        got = r.json["error"]
        for field, exp, act in (("status", want["status"], r.status), ("type", want["type"], got.get("type")),
                                ("message", text, got.get("message"))):
            if exp != act:
                out.append(_v("errors", f"table-{field}", "/response/error/" + field, exp, act,
                              f"the harness's error table ({key}) disagrees with the real answer"))
    return out


def _usage_sane(usage: dict | None, at: str) -> list[Violation]:
    from harness.wire.usage import parse_usage

    u = parse_usage(usage) if isinstance(usage, dict) else None
    if u is None:
        return [_v("T9", "usage-present", at, "usage", usage, "no usage where the contract puts it")]
    if u.cached_tokens > u.prompt_tokens:
        return [_v("T9", "cached-within-prompt", at, f"<= {u.prompt_tokens}", u.cached_tokens,
                   "cached tokens exceed the prompt: they would be billed twice")]
    return []


def check_response(e: dict, x) -> list[Violation]:
    r = x.response
    if r.streamed or r.status != 200:
        return [_v("T9", "non-streamed-200", "/response/status", 200, r.status, "expected a non-streamed 200")]
    return _schema("response", r.json, "/response") + _usage_sane((r.json or {}).get("usage"), "/response/usage")


def check_stream(e: dict, x) -> list[Violation]:
    r, out = x.response, []
    if not r.streamed or r.status != 200:
        return [_v("T9", "streamed-200", "/response/status", 200, r.status, "expected a streamed 200")]
    if not r.events or r.events[-1] != "[DONE]":
        out.append(_v("T9", "done", "/response/events", "[DONE]", (r.events or [None])[-1], "a stream ends with [DONE]"))
    for i, chunk in enumerate(r.chunks):
        out += _schema("chunk", chunk, f"/response/chunks/{i}")
    finish: dict[int, tuple[int, dict]] = {}
    for i, chunk in enumerate(r.chunks):
        for c in chunk.get("choices") or []:
            if c.get("finish_reason"):
                finish[c.get("index", 0)] = (i, c)
    if not finish:
        out.append(_v("T9", "finish", "/response/chunks", "a finish_reason", None, "no chunk carries a finish_reason"))
    for idx, (i, c) in sorted(finish.items()):
        n = (r.chunks[i]["choices"]).index(c)
        out += _usage_sane(c.get("usage"), pointer("response", "chunks", i, "choices", n, "usage"))
    trailing = [c for c in r.chunks if c.get("choices") == [] and isinstance(c.get("usage"), dict)]
    if not e.get("fragment"):
        asked = (x.request.get("stream_options") or {}).get("include_usage") is True
        if bool(trailing) != asked:
            out.append(_v("T8", "trailing-usage", "/response/chunks", asked, bool(trailing),
                          "a trailing usage chunk arrives exactly when include_usage was sent"))
    if trailing and len(finish) == 1:
        (_, (_, c)), = finish.items()
        if c.get("usage") != trailing[-1]["usage"]:
            out.append(_v("T9", "trailing-equals-choice", "/response/chunks", c.get("usage"), trailing[-1]["usage"],
                          "with one choice the trailing usage repeats the finish chunk's"))
    return out


def check_schema(e: dict, x) -> list[Violation]:
    r = x.response
    if r.streamed:
        return [v for i, c in enumerate(r.chunks) for v in _schema("chunk", c, f"/response/chunks/{i}")]
    return _schema("response" if r.status == 200 else "error", r.json, "/response")


def body_of(response) -> Any:
    """What an answer carried: the list of chunks of a stream, else the parsed body."""
    return response.chunks if response.streamed else response.json


def tool_call_ids(body: Any) -> list[tuple[str, str]]:
    """(JSON pointer, id) of every tool-call id in an answer's body (`body_of`)."""
    found = []
    if isinstance(body, list):
        for i, chunk in enumerate(body):
            for n, c in enumerate(chunk.get("choices") or []):
                for t, tc in enumerate((c.get("delta") or {}).get("tool_calls") or []):
                    if tc.get("id"):
                        found.append((pointer("response", "chunks", i, "choices", n, "delta", "tool_calls", t, "id"),
                                      tc["id"]))
    elif isinstance(body, dict):
        for n, c in enumerate(body.get("choices") or []):
            for t, tc in enumerate((c.get("message") or {}).get("tool_calls") or []):
                found.append((pointer("response", "choices", n, "message", "tool_calls", t, "id"), tc.get("id")))
    return found


def check_tool_call_ids(e: dict, x) -> list[Violation]:
    return [_v("T6", "upstream-id-form", at, TOOL_ID_FORM.pattern, tid, "a tool-call id of a form the contract does not list")
            for at, tid in tool_call_ids(body_of(x.response)) if not isinstance(tid, str) or not TOOL_ID_FORM.match(tid)]


CHECKS: dict[str, Callable[[dict, Any], list[Violation]]] = {
    "error": check_error, "response": check_response, "stream": check_stream, "schema": check_schema,
    "tool_call_ids": check_tool_call_ids,
}


def run(e: dict, exchanges: list) -> list[Violation]:
    """Every check the entry names over every exchange; `tool_call_ids` must find at least one id."""
    out: list[Violation] = []
    for name in e["checks"]:
        for n, x in enumerate(exchanges):
            out += [Violation(v.rule, v.check, f"/exchanges/{n}{v.path}", v.expected, v.actual, v.message)
                    for v in CHECKS[name](e, x)]
        if name == "tool_call_ids" and not any(tool_call_ids(body_of(x.response)) for x in exchanges):
            out.append(_v("T6", "upstream-ids-present", "/exchanges", "at least one tool-call id", None,
                          "the cassette is listed as tool-call evidence but carries no tool call"))
    return out
