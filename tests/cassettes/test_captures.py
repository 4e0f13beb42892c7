"""Capture readers for every format, validate_path, and the validate-captures CLI."""

from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path

import yaml

from harness.cassettes.captures import SHIPPED as CAPTURES
from harness.cassettes.captures import (
    load_units,
    parse_sse_lines,
    validate_file,
    validate_path,
)
from harness.cli.wire import validate_captures_main
from harness.util import yamlio


def cap(name: str) -> Path:
    return next(CAPTURES.rglob(name))


def lines(name: str) -> list[dict]:
    return [json.loads(x) for x in cap(name).read_text().splitlines() if x.strip()]


def write_lines(path: Path, chunks: list) -> Path:
    path.write_text("".join((c if isinstance(c, str) else json.dumps(c)) + "\n" for c in chunks))
    return path


def fail_paths(res) -> list[str]:
    assert res.ok is False and res.status == "FAIL", res
    return [e.path for e in res.errors]


# --- real captures --------------------------------------------------------------------


def test_every_real_capture_passes_and_non_captures_are_skipped():
    results = validate_path(CAPTURES)
    by_name = {r.file.name: r for r in results}
    assert by_name["README.md"].status == "SKIP" and by_name["README.md"].ok is None
    assert by_name["_commits.json"].status == "SKIP" and "metadata" in by_name["_commits.json"].reason
    failed = [(r.file.name, [str(e) for e in r.errors]) for r in results if r.status == "FAIL"]
    assert failed == []
    kinds = {r.kind.split("[")[0] for r in results if r.ok}
    assert {"response", "error", "chunk", "stream", "go-vcr"} <= kinds
    assert sum(r.ok is True for r in results) >= 30


def test_plain_json_kind_is_decided_by_shape():
    assert load_units(cap("moonshotai-usage-live.json"))[0] == "response"
    assert load_units(cap("moonshotai-error-live-message-only.json"))[0] == "error"
    assert load_units(cap("kimi-k2-turbo-preview-final-chunk.json"))[0] == "chunk"


def test_vercel_chunks_and_jsonl_streams():
    kind, (unit,) = load_units(cap("moonshotai-metadata-live.chunks.txt"))
    assert kind == "stream" and unit.payload[-1]["choices"] == [] and "usage" in unit.payload[-1]
    kind, (unit,) = load_units(cap("moonshot-v1-128k-n2-toolcall-stream.chunks.jsonl"))
    assert {c["choices"][0]["index"] for c in unit.payload} == {0, 1}


def test_go_vcr_cassette_bodies():
    kind, units = load_units(cap("multi_tool_streaming_kimi-k2_moonshotai.yaml"))
    assert kind == "go-vcr" and [u.kind for u in units] == ["request", "stream", "request", "stream"]
    assert units[0].payload["stream_options"] == {"include_usage": True}
    ids = [
        tc["id"]
        for c in units[1].payload
        for ch in c["choices"]
        for tc in ch["delta"].get("tool_calls") or []
        if "id" in tc
    ]
    assert ids == ["add:0", "multiply:1"]
    assert units[1].root == "$.interactions[0].response.body"


def test_sse_parser_drops_done_comments_and_flags_bad_lines():
    unit = parse_sse_lines(': keepalive\n\ndata: {"a": 1}\nevent: x\ndata: {"b": \ndata: [DONE]\n')
    assert unit.payload == [{"a": 1}, None]
    assert [e.path for e in unit.problems] == ["$[1]"]


# --- corrupted copies in tmp_path ----------------------------------------------------------


def test_response_without_choices_fails_naming_file_and_path(tmp_path):
    body = json.loads(cap("moonshotai-metadata-live.json").read_text())
    del body["choices"]
    bad = tmp_path / "no-choices.json"
    bad.write_text(json.dumps(body))
    res = validate_file(bad)
    assert res.file == bad and fail_paths(res) == ["$"] and "'choices' is a required" in res.errors[0].message


def test_truncated_stream_line_fails_at_its_index(tmp_path):
    raw = cap("moonshotai-usage-live.chunks.txt").read_text().splitlines()
    raw[3] = raw[3][: len(raw[3]) // 2]
    bad = tmp_path / "truncated.chunks.txt"
    bad.write_text("\n".join(raw) + "\n")
    res = validate_file(bad)
    assert fail_paths(res) == ["$[3]"] and "invalid JSON" in res.errors[0].message


def test_stream_corruptions(tmp_path):
    name = "moonshotai-stream-explicit-tool-call-index.chunks.txt"
    cases = {
        "no-tool-id": (
            lambda c: c[2]["choices"][0]["delta"]["tool_calls"][0].pop("id"),
            "$[2].choices[0].delta.tool_calls[0].id",
        ),
        "no-tool-name": (
            lambda c: c[2]["choices"][0]["delta"]["tool_calls"][0]["function"].pop("name"),
            "$[2].choices[0].delta.tool_calls[0].function.name",
        ),
        "neg-tokens": (
            lambda c: c[-2]["choices"][0]["usage"].__setitem__("completion_tokens", -19),
            "$[10].choices[0].usage.completion_tokens",
        ),
        "bad-finish": (
            lambda c: c[-2]["choices"][0].__setitem__("finish_reason", "tool_use"),
            "$[10].choices[0].finish_reason",
        ),
        "mixed-ids": (lambda c: c[4].__setitem__("id", "chatcmpl-other"), "$"),
        "usage-mismatch": (lambda c: c[-1]["usage"].update(prompt_tokens=60, total_tokens=79), "$"),
        "trailing-no-usage": (lambda c: c[-1].pop("usage"), "$[11]"),
    }
    for label, (mutate, where) in cases.items():
        chunks = lines(name)
        mutate(chunks)
        res = validate_file(write_lines(tmp_path / f"{label}.chunks.txt", chunks))
        assert where in fail_paths(res), (label, res.errors)


def test_jsonl_stream_corruption(tmp_path):
    chunks = lines("moonshot-v1-128k-n2-toolcall-stream.chunks.jsonl")
    chunks[-1]["choices"][0]["usage"]["prompt_tokens"] = "146"
    res = validate_file(write_lines(tmp_path / "n2.chunks.jsonl", chunks))
    assert fail_paths(res) == [f"$[{len(chunks) - 1}].choices[0].usage.prompt_tokens"]


def _cassette(name: str) -> dict:
    return yamlio.safe_load(cap(name).read_text())


def test_go_vcr_corruptions_name_interaction_and_chunk(tmp_path):
    doc = _cassette("multi_tool_streaming_kimi-k2_moonshotai.yaml")
    body = doc["interactions"][1]["response"]["body"]
    doc["interactions"][1]["response"]["body"] = body.replace('"prompt_tokens":236', '"prompt_tokens":-236', 1)
    res = validate_file(_dump(tmp_path / "stream.yaml", doc))
    (path,) = set(fail_paths(res))
    assert path.startswith("$.interactions[1].response.body[") and path.endswith("].usage.prompt_tokens")

    doc = _cassette("tool_kimi-k2_moonshotai.yaml")
    resp = json.loads(doc["interactions"][0]["response"]["body"])
    del resp["choices"][0]["message"]["tool_calls"][0]["id"]
    doc["interactions"][0]["response"]["body"] = json.dumps(resp)
    req = json.loads(doc["interactions"][1]["request"]["body"])
    req["messages"][3]["tool_call_id"] = ""
    doc["interactions"][1]["request"]["body"] = json.dumps(req)
    res = validate_file(_dump(tmp_path / "tool.yaml", doc))
    assert fail_paths(res) == [
        "$.interactions[0].response.body.choices[0].message.tool_calls[0]",
        "$.interactions[1].request.body.messages[3].tool_call_id",
    ]


def _dump(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


def _vcrpy(
    request: dict, body, status=200, content_type="application/json", url="https://api.moonshot.ai/v1/chat/completions"
) -> dict:
    return {
        "interactions": [
            {
                "request": {
                    "body": json.dumps(request),
                    "headers": {"Content-Type": ["application/json"]},
                    "method": "POST",
                    "uri": url,
                },
                "response": {
                    "body": body,
                    "headers": {"Content-Type": [content_type]},
                    "status": {"code": status, "message": "x"},
                },
            }
        ],
        "version": 1,
    }


def test_vcrpy_cassettes_all_body_shapes(tmp_path):
    request = {
        "model": "kimi-k2.6",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "thinking": {"type": "enabled", "keep": "all"},
    }
    sse = (
        "".join(f"data: {line}\n\n" for line in cap("moonshotai-usage-live.chunks.txt").read_text().splitlines())
        + "data: [DONE]\n\n"
    )
    response = json.loads(cap("moonshotai-file-reference-live.json").read_text())
    error = json.loads(cap("moonshotai-required-tool-choice-error.json").read_text())
    models = {"object": "list", "data": [{"id": "kimi-k2.6", "object": "model", "created": 1, "owned_by": "moonshot"}]}
    variants = {
        "sse": (_vcrpy(request, {"string": sse}, content_type="text/event-stream"), "vcrpy[request,stream]"),
        "json": (_vcrpy(request, {"string": json.dumps(response)}), "vcrpy[request,response]"),
        "parsed": (_vcrpy(request, {"parsed": response}), "vcrpy[request,response]"),
        "gzip": (_vcrpy(request, {"string": gzip.compress(json.dumps(response).encode())}), "vcrpy[request,response]"),
        "error": (_vcrpy(request, {"string": json.dumps(error)}, status=400), "vcrpy[request,error]"),
        "models": (
            _vcrpy(request, {"string": json.dumps(models)}, url="https://api.moonshot.ai/v1/models"),
            "vcrpy[request,models]",
        ),
    }
    for label, (doc, kind) in variants.items():
        res = validate_file(_dump(tmp_path / f"{label}.yaml", doc))
        assert (res.status, res.kind) == ("PASS", kind), (label, res.errors)

    bad = _vcrpy(
        request,
        {
            "string": sse.replace(
                '"index":0,"delta":{},"finish_reason":"stop"', '"index":0,"delta":{},"finish_reason":"eos"'
            )
        },
        content_type="text/event-stream",
    )
    res = validate_file(_dump(tmp_path / "bad.yaml", bad))
    (path,) = fail_paths(res)
    assert path.startswith("$.interactions[0].response.body.string[") and path.endswith("].choices[0].finish_reason")
    error_without_type = _vcrpy(request, {"string": json.dumps({"error": {"message": "x"}})}, status=429)
    assert fail_paths(validate_file(_dump(tmp_path / "err.yaml", error_without_type))) == [
        "$.interactions[0].response.body.string.error"
    ]


def test_unreadable_and_unrecognized_files_fail(tmp_path):
    (tmp_path / "shape.json").write_text('{"hello": 1}')
    (tmp_path / "broken.json").write_text('{"id": ')
    (tmp_path / "notes.yaml").write_text("a: 1\n")
    (tmp_path / "bad.yaml").write_text("a: [\n")
    results = {r.file.name: r for r in validate_path(tmp_path)}
    assert all(r.status == "FAIL" for r in results.values())
    assert "unrecognized" in results["shape.json"].errors[0].message
    assert "invalid JSON" in results["broken.json"].errors[0].message
    assert "interactions" in results["notes.yaml"].errors[0].message


# --- CLI -------------------------------------------------------------------------------------


def run_cli(*argv) -> tuple[int, str]:
    out = io.StringIO()
    return validate_captures_main(list(argv), out=out), out.getvalue()


def test_cli_on_real_captures():
    rc, out = run_cli(str(CAPTURES))
    results = validate_path(CAPTURES)
    passed = sum(r.status == "PASS" for r in results)
    skipped = sum(r.status == "SKIP" for r in results)
    assert rc == 0
    assert out.splitlines()[-1] == f"validate-captures: {passed} passed, 0 failed, {skipped} skipped"
    assert any(line.startswith("SKIP  ") and "README.md" in line for line in out.splitlines())
    assert len(out.splitlines()) == len(results) + 1


def test_cli_defaults_to_the_shipped_captures_and_each_source_has_provenance():
    rc, out = run_cli()
    assert rc == 0 and out == run_cli(str(CAPTURES))[1]
    sources = sorted(p for p in CAPTURES.iterdir() if p.is_dir())
    assert [p.name for p in sources] == ["fantasy-openrouter", "kimi-cli-kosong", "moonpalace", "vercel-ai-moonshotai"]
    for src in sources:
        notes = (src / "PROVENANCE.md").read_text()
        for field in ("Source repository", "Licence", "What answered"):
            assert f"**{field}" in notes, f"{src.name}/PROVENANCE.md lacks {field}"
        assert "github.com/" in notes and ("commit" in notes.lower())


def test_cli_reports_failures_with_file_and_json_path(tmp_path):
    shutil.copy(cap("moonshotai-usage-live.json"), tmp_path / "good.json")
    shutil.copy(cap("README.md"), tmp_path / "README.md")
    body = json.loads(cap("moonshotai-usage-live.json").read_text())
    body["usage"]["prompt_tokens"] = -90
    (tmp_path / "bad.json").write_text(json.dumps(body))
    rc, out = run_cli(str(tmp_path))
    assert rc == 1
    fail = next(line for line in out.splitlines() if line.startswith("FAIL"))
    assert str(tmp_path / "bad.json") in fail and "$.usage.prompt_tokens" in fail and "minimum" in fail
    assert out.splitlines()[-1] == "validate-captures: 1 passed, 1 failed, 1 skipped"
    rc, out = run_cli("--all-errors", str(tmp_path / "bad.json"))
    assert rc == 1


def test_cli_exit_2_when_missing_or_nothing_validated(tmp_path):
    assert run_cli(str(tmp_path / "nope"))[0] == 2
    (tmp_path / "README.md").write_text("# notes\n")
    rc, out = run_cli(str(tmp_path))
    assert rc == 2 and out.splitlines()[-1] == "validate-captures: 0 passed, 0 failed, 1 skipped"
