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
from harness.scenarios.expect import as_pointer

# functions.<name>:<n> (native), <name>:<n>, <name>_<n>, $web_search:<n> — docs/contract.md#t6
TOOL_ID_FORM = re.compile(r"^(functions\.)?\$?[A-Za-z_][A-Za-z0-9_.-]*[:_][0-9]+$")
# check id -> the line people read (code reads only rule, check, path, expected, actual)
MESSAGES = {
    "errors.status": "unexpected status",
    "errors.table": "the harness's error table disagrees with the real answer",
    "T9.schema": "a body the wire schemas reject",
    "errors.schema": "an error body the wire schema rejects",
    "T9.usage-present": "no usage where the contract puts it",
    "T9.cached-within-prompt": "cached tokens exceed the prompt: they would be billed twice",
    "T9.non-streamed-200": "expected a non-streamed 200",
    "T9.streamed-200": "expected a streamed 200",
    "T9.done": "a stream ends with [DONE]",
    "T9.finish": "no chunk carries a finish_reason",
    "T8.trailing-usage": "a trailing usage chunk arrives exactly when include_usage was sent",
    "T9.trailing-equals-choice": "with one choice the trailing usage repeats the finish chunk's",
    "T6.upstream-id-form": "a tool-call id of a form the contract does not list",
    "T6.upstream-ids-present": "listed as tool-call evidence but carries no tool call",
}


def _v(check: str, path: str, expected: Any, actual: Any, note: str = "") -> Violation:
    message = MESSAGES[check] + (f" ({note})" if note else "")
    return Violation(check.split(".")[0], check, path, expected, actual, message)


def _schema(kind: str, body: Any, at: str) -> list[Violation]:
    from harness.wire.schemas import iter_errors

    check = "errors.schema" if kind == "error" else "T9.schema"
    return [_v(check, at + as_pointer(e.path), kind, None, e.message) for e in iter_errors(kind, body)]


def check_error(e: dict, x) -> list[Violation]:
    from harness.scenarios import definitions as scenarios

    r, out = x.response, []
    if r.status != e["status"]:
        out.append(_v("errors.status", "/response/status", e["status"], r.status))
    out += _schema("error", r.json, "/response")
    key = e.get("expect_error")
    if key and isinstance(r.json, dict) and isinstance(r.json.get("error"), dict):
        want = scenarios.data()["errors"][key]
        text = want["message"].replace("{model}", str(x.request.get("model")))
        got = r.json["error"]
        for field, exp, act in (
            ("status", want["status"], r.status),
            ("type", want["type"], got.get("type")),
            ("message", text, got.get("message")),
        ):
            if exp != act:
                out.append(_v("errors.table", f"/response/error/{field}", exp, act, key))
    return out


def _usage_sane(usage: dict | None, at: str) -> list[Violation]:
    from harness.wire.usage import parse_usage

    u = parse_usage(usage) if isinstance(usage, dict) else None
    if u is None:
        return [_v("T9.usage-present", at, "usage", usage)]
    if u.cached_tokens > u.prompt_tokens:
        limit = f"<= {u.prompt_tokens}"
        return [_v("T9.cached-within-prompt", at, limit, u.cached_tokens)]
    return []


def check_response(e: dict, x) -> list[Violation]:
    r = x.response
    if r.streamed or r.status != 200:
        return [_v("T9.non-streamed-200", "/response/status", 200, r.status)]
    usage = (r.json or {}).get("usage")
    return _schema("response", r.json, "/response") + _usage_sane(usage, "/response/usage")


def _finish_chunks(chunks: list[dict]) -> dict[int, tuple[int, int, dict]]:
    """choice index -> (chunk number, position in choices, choice) of its finish chunk."""
    finish = {}
    for i, chunk in enumerate(chunks):
        for n, c in enumerate(chunk.get("choices") or []):
            if c.get("finish_reason"):
                finish[c.get("index", 0)] = (i, n, c)
    return finish


def check_stream(e: dict, x) -> list[Violation]:
    r, out = x.response, []
    if not r.streamed or r.status != 200:
        return [_v("T9.streamed-200", "/response/status", 200, r.status)]
    if not r.events or r.events[-1] != "[DONE]":
        out.append(_v("T9.done", "/response/events", "[DONE]", (r.events or [None])[-1]))
    for i, chunk in enumerate(r.chunks):
        out += _schema("chunk", chunk, f"/response/chunks/{i}")
    finish = _finish_chunks(r.chunks)
    if not finish:
        out.append(_v("T9.finish", "/response/chunks", "a finish_reason", None))
    for i, n, c in finish.values():
        at = pointer("response", "chunks", i, "choices", n, "usage")
        out += _usage_sane(c.get("usage"), at)
    trailing = [c for c in r.chunks if c.get("choices") == [] and isinstance(c.get("usage"), dict)]
    if not e.get("fragment"):
        asked = (x.request.get("stream_options") or {}).get("include_usage") is True
        if bool(trailing) != asked:
            out.append(_v("T8.trailing-usage", "/response/chunks", asked, bool(trailing)))
    if trailing and len(finish) == 1:
        ((_, _, c),) = finish.values()
        want, got = c.get("usage"), trailing[-1]["usage"]
        if want != got:
            out.append(_v("T9.trailing-equals-choice", "/response/chunks", want, got))
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
                        at = pointer("chunks", i, "choices", n, "delta", "tool_calls", t, "id")
                        found.append((at, tc["id"]))
    elif isinstance(body, dict):
        for n, c in enumerate(body.get("choices") or []):
            for t, tc in enumerate((c.get("message") or {}).get("tool_calls") or []):
                at = pointer("choices", n, "message", "tool_calls", t, "id")
                found.append((at, tc.get("id")))
    return found


def check_tool_call_ids(e: dict, x) -> list[Violation]:
    return [
        _v("T6.upstream-id-form", "/response" + at, TOOL_ID_FORM.pattern, tid)
        for at, tid in tool_call_ids(body_of(x.response))
        if not isinstance(tid, str) or not TOOL_ID_FORM.match(tid)
    ]


CHECKS: dict[str, Callable[[dict, Any], list[Violation]]] = {
    "error": check_error,
    "response": check_response,
    "stream": check_stream,
    "schema": check_schema,
    "tool_call_ids": check_tool_call_ids,
}


def run(e: dict, exchanges: list) -> list[Violation]:
    """Every check the entry names over every exchange; `tool_call_ids` must find an id."""
    out: list[Violation] = []
    for name in e["checks"]:
        for n, x in enumerate(exchanges):
            for v in CHECKS[name](e, x):
                path = f"/exchanges/{n}{v.path}"
                out.append(Violation(v.rule, v.check, path, v.expected, v.actual, v.message))
        ids = [i for x in exchanges for i in tool_call_ids(body_of(x.response))]
        if name == "tool_call_ids" and not ids:
            out.append(_v("T6.upstream-ids-present", "/exchanges", "a tool-call id", None))
    return out
