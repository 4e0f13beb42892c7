"""The real OpenClaw (npm openclaw@2026.9.6) driven through its persistent JSON-lines worker.

Checks the behaviours observed in shared/research/openclaw.md. Skips when the target is not
installed (``python -m harness.targets.node.install openclaw``).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest

from harness.targets.node import install as node_install

TARGET = "openclaw"
SKIP_REASON = "openclaw not installed, run: python -m harness.targets.node.install openclaw"

pytestmark = pytest.mark.integration  # every test talks to a real OpenClaw Node worker


class Worker:
    def __init__(self, cache_dir: Path, scratch: Path):
        node_install.sync_worker(TARGET, cache_dir)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [str(node_install.node_path(cache_dir)), "worker.mjs"],
            cwd=cache_dir,
            env=node_install.worker_env(scratch),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self.ready = json.loads(self.proc.stdout.readline())
        self.startup_s = time.monotonic() - t0
        self._id = 0

    def call(self, **msg) -> dict:
        from harness.targets.openclaw import catalog_row, with_row

        if "case" in msg:  # as OpenClawTarget sends it: with the catalog's row of the model
            msg["case"] = with_row(msg["case"])
        if msg.get("op") == "usage":
            msg["row"] = catalog_row({"model": f"moonshot/{msg.get('model')}"})
        self._id += 1
        msg["id"] = self._id
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "worker closed stdout"
        out = json.loads(line)
        assert out["id"] == self._id
        return out

    def transform(self, case: dict) -> dict:
        out = self.call(op="transform", case=case)
        assert out["ok"], out
        return out["result"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    cache_dir = node_install.default_cache_dir(TARGET)
    if not node_install.is_installed(TARGET, cache_dir):
        pytest.skip(SKIP_REASON)
    w = Worker(cache_dir, tmp_path_factory.mktemp("openclaw-scratch"))
    yield w
    w.close()


USER = [{"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {"name": "get_weather", "description": "w", "parameters": {"type": "object", "properties": {}}},
    }
]


def case(model="moonshot/kimi-k2.6", think=None, params=None, provider=None, **request):
    request.setdefault("messages", USER)
    request.setdefault("stream", True)
    return {"model": model, "thinking": think, "params": params, "provider": provider, "request": request}


def test_ready_line(worker):
    assert worker.ready["ready"] is True
    assert worker.ready["versions"]["openclaw"] == "2026.9.6"
    assert worker.ready["versions"]["node"].startswith("24.")


def test_outbound_shape(worker):
    out = worker.transform(case(think="off"))
    assert out["method"] == "POST"
    assert out["url"] == "https://api.moonshot.ai/v1/chat/completions"
    assert out["headers"]["authorization"] == "Bearer <redacted>"
    assert all(k == k.lower() for k in out["headers"])
    assert out["body"]["model"] == "kimi-k2.6"
    assert out["body"]["thinking"] == {"type": "disabled"}
    assert out["body"]["stream_options"] == {"include_usage": True}  # native host


def test_k27_strips_sampling_and_thinking(worker):
    body = worker.transform(
        case(
            "moonshot/kimi-k2.7-code",
            think="off",
            tools=TOOLS,
            temperature=0.3,
            top_p=0.9,
            presence_penalty=0.1,
            frequency_penalty=0.1,
            n=1,
            stop=["END"],
            seed=7,
            logprobs=True,
            max_tokens=50,
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
            params={"thinking": {"type": "disabled"}},
        )
    )["body"]
    for gone in ("thinking", "reasoning_effort", "temperature", "top_p", "n", "presence_penalty", "frequency_penalty"):
        assert gone not in body, gone
    assert body["stop"] == ["END"] and body["seed"] == 7 and body["logprobs"] is True and body["max_tokens"] == 50
    assert body["tool_choice"] == "auto"


TURBO = "moonshot/kimi-k2-thinking-turbo"  # binary thinking on a row with reasoning true: it takes /think levels


def test_binary_thinking_and_keep(worker):
    assert worker.transform(case(TURBO, think="high"))["body"]["thinking"] == {"type": "enabled"}
    assert worker.transform(case(TURBO, think="off"))["body"]["thinking"] == {"type": "disabled"}
    keep = worker.transform(case(params={"thinking": {"type": "enabled", "keep": "ALL"}}))
    assert keep["body"]["thinking"] == {"type": "enabled", "keep": "all"}
    k25 = worker.transform(case("moonshot/kimi-k2.5", params={"thinking": {"type": "enabled", "keep": "all"}}))
    assert k25["body"]["thinking"] == {"type": "enabled"}
    cfg_wins = worker.transform(case(TURBO, think="high", params={"thinking": {"type": "disabled"}}))
    assert cfg_wins["body"]["thinking"] == {"type": "disabled"}


def test_level_refused_where_the_row_has_reasoning_false(worker):
    """The catalog's K2.6 row has reasoning false: OpenClaw's thinking profile is off only, and the CLI answers
    'Thinking level "high" is not supported for moonshot/kimi-k2.6. Use one of: off.' (the fidelity test's
    doc-003-k26-low run); the worker refuses the case as not expressible."""
    out = worker.call(op="transform", case=case(think="high"))
    assert out["ok"] is False and out["error"]["type"] == "unsupported", out
    assert "OpenClaw refuses it" in out["error"]["message"]
    assert worker.transform(case(think="off"))["body"]["thinking"] == {"type": "disabled"}


def test_tool_choice_under_thinking(worker):
    req = worker.transform(case(TURBO, think="low", tools=TOOLS, tool_choice="required"))["body"]
    assert req["tool_choice"] == "auto" and req["thinking"] == {"type": "enabled"}
    pinned = {"type": "function", "function": {"name": "get_weather"}}
    pin = worker.transform(case(TURBO, think="low", tools=TOOLS, tool_choice=pinned))["body"]
    assert pin["tool_choice"] == pinned and pin["thinking"] == {"type": "disabled"}


def test_extra_body_applied_after_prepass(worker):
    """Known divergence from T6b: extra_body re-adds keep / tool_choice 'required' on K2.6."""
    body = worker.transform(
        case(
            tools=TOOLS,
            params={
                "thinking": {"type": "enabled"},
                "extra_body": {"thinking": {"type": "enabled", "keep": "all"}, "tool_choice": "required"},
            },
        )
    )["body"]
    assert body["thinking"] == {"type": "enabled", "keep": "all"}
    assert body["tool_choice"] == "required"
    k27 = worker.transform(
        case(
            "moonshot/kimi-k2.7-code",
            params={"extra_body": {"thinking": {"type": "enabled"}, "temperature": 0.2, "tool_choice": "required"}},
        )
    )["body"]
    assert "thinking" not in k27 and "temperature" not in k27 and k27["tool_choice"] == "auto"


def _assistant(*ids):
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": i, "type": "function", "function": {"name": "get_weather", "arguments": "{}"}} for i in ids
        ],
    }


def _tool(i):
    return {"role": "tool", "tool_call_id": i, "content": "sunny"}


def _wire_ids(body):
    out = []
    for m in body["messages"]:
        if m["role"] == "assistant" and m.get("tool_calls"):
            out.append(("A", [tc["id"] for tc in m["tool_calls"]]))
        elif m["role"] == "tool":
            out.append(("T", m["tool_call_id"]))
    return out


def test_tool_call_ids_moonshot_policy(worker):
    msgs = [
        {"role": "user", "content": "go"},
        _assistant("functions.get_weather:0", "get_weather:0"),
        _tool("functions.get_weather:0"),
        _tool("get_weather:0"),
        {"role": "user", "content": "again"},
        _assistant("functions.get_weather:0", "get_weather_0", "$web_search:1"),
        _tool("functions.get_weather:0"),
        _tool("get_weather_0"),
        _tool("$web_search:1"),
        {"role": "user", "content": "more"},
        _assistant("get_weather:0"),
        _tool("get_weather:0"),
        {"role": "user", "content": "end"},
    ]
    body = worker.transform(case(think="off", tools=TOOLS, messages=msgs))["body"]
    dup = "call_" + hashlib.sha256(b"functions.get_weather:0:2:0").hexdigest()[:24]
    wire = _wire_ids(body)
    assert wire[0] == ("A", ["functions.get_weather:0", "getweather0"])
    assert wire[3][1][0] == dup and wire[4] == ("T", dup)
    assert wire[3][1][1].startswith("getweather0") and len(wire[3][1][1]) == len("getweather0") + 8
    assert wire[3][1][2] == "websearch1"
    assert wire[7][1][0].startswith("call_")  # second get_weather:0


def test_reasoning_content_backfill(worker):
    msgs = [
        {"role": "user", "content": "go"},
        _assistant("functions.get_weather:0"),
        _tool("functions.get_weather:0"),
        {"role": "user", "content": "next"},
    ]
    body = worker.transform(case(tools=TOOLS, messages=msgs, params={"thinking": {"type": "enabled"}}))["body"]
    assistant = [m for m in body["messages"] if m["role"] == "assistant"][0]
    assert assistant["reasoning_content"] == ""


def test_custom_provider_compat_and_stream_usage(worker):
    native = worker.transform(
        case("my-kimi/kimi-k2.6", think="off", provider={"id": "my-kimi", "baseUrl": "https://api.moonshot.cn/v1"})
    )
    assert native["url"] == "https://api.moonshot.cn/v1/chat/completions"
    assert native["body"]["stream_options"] == {"include_usage": True}
    dev = worker.transform(
        case(
            "my-kimi/kimi-k2.7-code",
            think="off",
            max_tokens=77,
            messages=[{"role": "developer", "content": "SYS"}] + USER,
            provider={
                "id": "my-kimi",
                "baseUrl": "https://api.moonshot.ai/v1",
                "compat": {
                    "supportsDeveloperRole": True,
                    "supportsStore": True,
                    "maxTokensField": "max_completion_tokens",
                },
            },
        )
    )["body"]
    assert dev["messages"][0]["role"] == "developer"  # a reasoning model (the catalog's K2.7 Code row)
    assert dev["max_completion_tokens"] == 77 and "max_tokens" not in dev
    # buildOpenAICompletionsRequest: developer only for `model.reasoning && compat.supportsDeveloperRole`;
    # the catalog's K2.6 row has reasoning false
    k26 = case("my-kimi/kimi-k2.6", messages=[{"role": "developer", "content": "SYS"}] + USER)
    k26["provider"] = {
        "id": "my-kimi",
        "baseUrl": "https://api.moonshot.ai/v1",
        "compat": {"supportsDeveloperRole": True},
    }
    assert worker.transform(k26)["body"]["messages"][0]["role"] == "system"


def test_unsupported_is_reported(worker):
    out = worker.call(op="transform", case=case(stream=False))
    assert out["ok"] is False and out["error"]["type"] == "unsupported"
    for field in ("thinking", "store"):  # OpenClaw takes them from its config only
        out = worker.call(op="transform", case=case(**{field: {"type": "enabled"} if field == "thinking" else True}))
        assert out["ok"] is False and out["error"]["type"] == "unsupported", field


def test_kimi_provider_is_nix_openclaws_openai_completions_provider(worker):
    out = worker.transform(case("kimi/kimi-k2p5", think="low", tools=TOOLS, tool_choice="required"))
    assert out["url"] == "https://api.kimi.com/coding/v1/chat/completions"
    # unowned by any plugin: no Moonshot thinking wrapper, tool_choice as asked
    assert "thinking" not in out["body"] and out["body"]["tool_choice"] == "required"


def test_custom_id_is_unowned_strict_ids_and_no_thinking_wrapper(worker):
    calls = [
        {"id": "functions.get_weather:0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    ] * 2
    msgs = USER + [
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "functions.get_weather:0", "content": "a"},
        {"role": "tool", "tool_call_id": "functions.get_weather:0", "content": "b"},
    ]
    body = worker.transform(
        case(
            TURBO,
            think="high",
            tools=TOOLS,
            messages=msgs,
            provider={"id": "my-kimi", "baseUrl": "https://api.moonshot.ai/v1"},
        )
    )["body"]
    ids = [c["id"] for c in body["messages"][1]["tool_calls"]]
    assert len(set(ids)) == 2  # buildUnownedProviderTransportReplayFallback: strict, duplicates made unique
    assert "thinking" not in body  # the Moonshot wrapper belongs to the moonshot plugin only


def test_tools_keep_their_own_description(worker):
    bare = [{"type": "function", "function": {"name": "read", "parameters": {"type": "object", "properties": {}}}}]
    body = worker.transform(case(tools=bare + TOOLS))["body"]
    sent = {t["function"]["name"]: t["function"] for t in body["tools"]}
    assert "description" not in sent["read"]  # none invented
    assert sent["get_weather"]["description"] == "w"


def test_unknown_model_is_openclaws_own_case_error(worker):
    """No catalog row, no models[] entry: OpenClaw's resolver answers, as it would a user."""
    out = worker.call(op="transform", case=case("moonshot/gpt-4o-mini"))
    assert out["ok"] is False and out["error"]["type"] == "case_error", out
    assert "Unknown model: moonshot/gpt-4o-mini" in out["error"]["message"]


def test_config_rows_come_from_the_catalog(worker):
    cfg = worker.call(op="config", case=case())["result"]["cfg"]
    (row,) = cfg["models"]["providers"]["moonshot"]["models"]
    assert row["reasoning"] is False and row["input"] == ["text", "image"]
    assert (row["contextWindow"], row["maxTokens"]) == (262144, 262144)
    assert row["cost"] == {"input": 0.95, "output": 4.0, "cacheRead": 0.16, "cacheWrite": 0.0}
    assert "compat" not in row and "thinkingLevelMap" not in row
    # the case's provider compat is written over the model's own (K3: supportsReasoningEffort)
    k3 = case("moonshot/kimi-k3", provider={"id": "moonshot", "compat": {"supportsStore": True}})
    (row,) = worker.call(op="config", case=k3)["result"]["cfg"]["models"]["providers"]["moonshot"]["models"]
    assert row["compat"] == {"supportsReasoningEffort": True, "supportsStore": True}


def test_nix_kimi_k2p5_takes_doc_000s_compat(worker):
    """doc 000: kimi-k2p5 has supportsReasoningEffort and maxTokensField max_tokens, maxTokens 8192."""
    body = worker.transform(case("kimi/kimi-k2p5", think="high"))["body"]
    assert body["reasoning_effort"] == "high"
    assert body["max_tokens"] == 8192 and "max_completion_tokens" not in body


def test_unknown_provider_without_base_url_is_unsupported(worker):
    out = worker.call(op="transform", case=case("acme/kimi-k2.6"))
    assert out["ok"] is False and out["error"]["type"] == "unsupported"


COST = {"input": 0.95, "output": 4, "cacheRead": 0.16, "cacheWrite": 0}


def _usage_chunks(usage, where="choice"):
    c1 = {"id": "x", "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": None}]}
    if where == "choice":
        return [c1, {"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "usage": usage}]}]
    return [
        c1,
        {"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"id": "x", "choices": [], "usage": usage},
    ]


def test_usage_prompt_tokens_details(worker):
    out = worker.call(
        op="usage",
        model="kimi-k2.6",
        cost=COST,
        chunks=_usage_chunks(
            {
                "prompt_tokens": 1000,
                "completion_tokens": 100,
                "total_tokens": 1100,
                "prompt_tokens_details": {"cached_tokens": 400},
            },
            where="chunk",
        ),
    )
    assert out["ok"], out
    u = out["result"]
    assert (u["input"], u["output"], u["cacheRead"]) == (600, 100, 400)
    assert u["cost"]["total"] == pytest.approx(0.001034)


def test_usage_ignores_top_level_cached_tokens(worker):
    """Known divergence (T9): Moonshot's top-level usage.cached_tokens is not read."""
    out = worker.call(
        op="usage",
        model="kimi-k2.6",
        cost=COST,
        chunks=_usage_chunks(
            {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100, "cached_tokens": 400}
        ),
    )
    u = out["result"]
    assert (u["input"], u["cacheRead"]) == (1000, 0)
    assert u["cost"]["total"] == pytest.approx(0.00135)


def test_many_cases_one_process(worker):
    t0 = time.monotonic()
    for _ in range(30):
        worker.transform(case(think="off"))
    per_case = (time.monotonic() - t0) / 30
    assert per_case < 1.0, per_case
