"""Tests of the Moonshot emulator: rules (driven by rules.json), streaming, the Kimi Coding service.
Shapes and error texts against real answers: tests/cassettes/test_real_cassettes.py."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.emulator import Emulator, FixedClock
from harness.emulator.rules import load_rules

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-test-key"
KIMI_KEY = "sk-kimi-test-key"  # Kimi Coding keys are their own (rules.json services.kimi-coding.key_prefix)
RULES = {r["id"]: r for r in load_rules()["rules"]}
ACCEPTED = {a["id"] for a in load_rules()["accepted"]}


def user(text="Hello"):
    return [{"role": "user", "content": text}]


def tool(name="ping", required=(), props=None):
    props = props or {p: {"type": "string"} for p in required}
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": name,
            "parameters": {"type": "object", "properties": props, "required": list(required)},
        },
    }


def chat(model="kimi-k2.6", messages=None, **kw):
    return {"model": model, "messages": messages or user(), **kw}


def tool_history(rc=True, ids=("write:0", "write:1")):
    msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "write"}]
    for cid in ids:
        a = {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": cid, "type": "function", "function": {"name": "write", "arguments": "{}"}}],
        }
        if rc:
            a["reasoning_content"] = ""
        msgs += [a, {"role": "tool", "tool_call_id": cid, "content": "ok"}]
    return msgs


PNG = "data:image/png;base64,iVBORw0KGgo="
SVG_TEXT = "data:text/plain; charset=utf-8;base64,PHN2Zz4="


def image_msg(url):
    return [
        {
            "role": "user",
            "content": [{"type": "text", "text": "what?"}, {"type": "image_url", "image_url": {"url": url}}],
        }
    ]


# rule id -> (violating request, compliant request, message params). A request is a dict:
# body / method / path / key / emu (constructor kwargs) / setup (callable(emulator, client)).
TRIGGERS = {
    "auth_invalid": ({"key": None}, {"key": "sk-anything"}, {}),
    "injected_error": ({"setup": lambda e, c: e.inject(429, "engine_overloaded_error", "overloaded")}, {}, {}),
    "unknown_route": (
        {"method": "GET", "path": "/nope"},
        {"method": "GET", "path": "/models"},
        {"method": "GET", "path": "/v1/nope"},
    ),
    "rate_limit_rpm": (
        {"emu": {"rpm": 1}, "setup": lambda e, c: c.post("/chat/completions", json=chat())},
        {"emu": {"rpm": 1}},
        "rpm",
    ),
    "invalid_body": ({"body": {"model": "kimi-k2.6"}}, {}, {"detail": "messages must be a non-empty array of objects"}),
    "model_not_found": (
        {"body": chat("definitely-not-a-real-moonshot-model")},
        {},
        {"model": "definitely-not-a-real-moonshot-model"},
    ),
    "model_retired": ({"body": chat("kimi-k2-thinking")}, {"body": chat("kimi-k2.6")}, {"model": "kimi-k2-thinking"}),
    "thinking_only_enabled": (
        {"body": chat("kimi-k2.7-code", thinking={"type": "disabled"})},
        {"body": chat("kimi-k2.7-code", thinking={"type": "enabled"})},
        {},
    ),
    "thinking_with_reasoning_effort": (
        {"body": chat(thinking={"type": "enabled"}, reasoning_effort="high")},
        {"body": chat(thinking={"type": "enabled"})},
        {},
    ),
    "reasoning_effort_none": (
        {"body": chat("kimi-k2.5", reasoning_effort="none")},
        {"body": chat("kimi-k2.5", thinking={"type": "disabled"}, temperature=0.6)},
        {},
    ),
    "thinking_unsupported": (
        {"body": chat("kimi-k3", thinking={"type": "enabled"})},
        {"body": chat("kimi-k3", reasoning_effort="max")},
        {},
    ),
    "temperature_thinking": ({"body": chat(temperature=0.7)}, {"body": chat(temperature=1)}, {}),
    "temperature_non_thinking": (
        {"body": chat(thinking={"type": "disabled"}, temperature=1)},
        {"body": chat(thinking={"type": "disabled"}, temperature=0.6)},
        {},
    ),
    "top_p_fixed": ({"body": chat("kimi-k2.5", top_p=0.5)}, {"body": chat("kimi-k2.5", top_p=0.95)}, {}),
    "n_fixed": ({"body": chat("kimi-k3", n=2)}, {"body": chat("kimi-k3", n=1)}, {}),
    "presence_penalty_fixed": ({"body": chat(presence_penalty=0.5)}, {"body": chat(presence_penalty=0)}, {}),
    "frequency_penalty_fixed": (
        {"body": chat("kimi-k2.7-code", frequency_penalty=1)},
        {"body": chat("kimi-k2.7-code", frequency_penalty=0)},
        {},
    ),
    "tool_choice_required_thinking": (
        {"body": chat(tools=[tool()], tool_choice="required")},
        {"body": chat(tools=[tool()], tool_choice="auto")},
        {},
    ),
    "tool_choice_specified_thinking": (
        {
            "body": chat(
                "kimi-k2.7-code", tools=[tool()], tool_choice={"type": "function", "function": {"name": "ping"}}
            )
        },
        {"body": chat("kimi-k2.7-code", tools=[tool()], tool_choice="auto")},
        {},
    ),
    "reasoning_content_missing": (
        {"body": chat(messages=tool_history(rc=False))},
        {"body": chat(messages=tool_history(rc=True))},
        {"index": 2},
    ),
    "tool_call_id_duplicated": (
        {"body": chat(messages=tool_history(ids=("write:0", "write:0")))},
        {"body": chat(messages=tool_history())},
        {"id": "write:0"},
    ),
    "image_unsupported_model": (
        {"body": chat("moonshot-v1-8k", image_msg(PNG))},
        {"body": chat("kimi-k2.6", image_msg(PNG))},
        {"model": "moonshot-v1-8k"},
    ),
    "image_unsupported_format": (
        {"body": chat(messages=image_msg(SVG_TEXT))},
        {"body": chat(messages=image_msg(PNG))},
        {"mime": "text/plain; charset=utf-8"},
    ),
}


def send(spec):
    emu = Emulator(**spec.get("emu", {}))
    with emu:
        key = spec.get("key", KEY)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        with httpx.Client(base_url=emu.base_url, headers=headers, timeout=5, verify=False) as c:
            if spec.get("setup"):
                spec["setup"](emu, c)
            r = c.request(
                spec.get("method", "POST"),
                spec.get("path", "/chat/completions"),
                json=spec.get("body", chat()) if spec.get("method", "POST") == "POST" else None,
            )
            return r, emu


def test_every_rule_has_a_trigger():
    assert set(TRIGGERS) == set(RULES), "add a TRIGGERS entry for each rule in rules.json"
    for r in RULES.values():
        assert r["source"] and r["description"] and r["message"]


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_triggers(rule_id):
    bad, _, params = TRIGGERS[rule_id]
    r, _ = send(bad)
    rule = RULES[rule_id]
    if rule_id == "injected_error":
        assert (r.status_code, r.json()["error"]["type"]) == (429, "engine_overloaded_error")
        return
    if params == "rpm":
        assert r.headers["Retry-After"] == "1"
        assert r.json()["error"]["message"].endswith(
            "request reached organization max RPM: 1, please try again after 1 seconds"
        )
        params = None
    assert r.status_code == rule["status"]
    assert r.json()["error"]["type"] == rule["type"]
    assert set(r.json()["error"]) == {"message", "type"}
    if params is not None:
        assert r.json()["error"]["message"] == rule["message"].format(**params)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_compliant_passes(rule_id):
    r, _ = send(TRIGGERS[rule_id][1])
    assert r.status_code == 200, r.text


FIELD_REF = re.compile(r"\[field: ([\w.-]+/[\w.-]+#\d+)\]")


def test_every_field_source_is_cited_with_its_date_and_probe():
    """A `[field: owner/repo#N]` in a rule's source has its `field` entry (ref, date, what was probed)
    and the other way round (docs/guides/field-facts.md)."""
    cited = 0
    anthropic = load_rules()["anthropic"]
    sourced = {
        **RULES,
        "anthropic.auth": anthropic["auth"],
        "anthropic.agent_user_agent": anthropic["agent_user_agent"],
    }
    for rule_id, r in sourced.items():
        tags = set(FIELD_REF.findall(r["source"]))
        entries = r.get("field", [])
        assert {f["ref"] for f in entries} == tags, rule_id
        for f in entries:
            assert set(f) == {"ref", "date", "probed"} and f["date"] and f["probed"], (rule_id, f)
        cited += bool(tags)
    # issue #27's facts: each has its rule with a field source
    for rule_id in (
        "thinking_with_reasoning_effort",
        "reasoning_effort_none",
        "thinking_unsupported",
        "temperature_thinking",
        "top_p_fixed",
        "n_fixed",
        "presence_penalty_fixed",
        "frequency_penalty_fixed",
        "thinking_only_enabled",
        "tool_choice_required_thinking",
        "tool_choice_specified_thinking",
        "reasoning_content_missing",
    ):
        assert RULES[rule_id].get("field"), rule_id
    assert cited >= 14


# The field's verbatim texts: the message a report quotes is the emulator's message.
@pytest.mark.parametrize(
    "body,text",
    [
        (
            # issue #27: what the reference sent for moonshot/kimi-k2.6, /think high, supportsReasoningEffort
            chat("kimi-k2.6", thinking={"type": "enabled"}, reasoning_effort="high"),
            "cannot specify both 'thinking' and 'reasoning_effort'",
        ),
        (
            chat("kimi-k3", tools=[tool()], tool_choice={"type": "function", "function": {"name": "ping"}}),
            "tool_choice 'specified' is incompatible with thinking enabled",
        ),
        (
            chat("kimi-k2.6", tools=[tool()], tool_choice={"type": "function", "function": {"name": "ping"}}),
            "tool_choice 'specified' is incompatible with thinking enabled",
        ),
        (
            chat("kimi-k2.7-code", tools=[tool()], tool_choice="required"),
            "tool_choice 'required' is incompatible with thinking enabled",
        ),
        (
            chat("kimi-k2.7-code", thinking={"type": "disabled"}),
            "invalid thinking: only type=enabled is allowed for this model",
        ),
        (chat("kimi-k3", temperature=0.3), "invalid temperature: only 1 is allowed for this model"),
    ],
)
def test_field_reports_are_answered_with_their_text(body, text):
    r, _ = send({"body": body})
    assert r.status_code == 400 and r.json() == {"error": {"message": text, "type": "invalid_request_error"}}


def test_k3_alone_takes_required_under_thinking():
    for model in ("kimi-k2.5", "kimi-k2.6", "kimi-k2.7-code", "kimi-k2.7-code-highspeed"):
        r, _ = send({"body": chat(model, tools=[tool()], tool_choice="required")})
        assert r.status_code == 400, model
    assert send({"body": chat("kimi-k3", tools=[tool()], tool_choice="required")})[0].status_code == 200
    # thinking off on a binary model: both forced choices are taken
    off = {"thinking": {"type": "disabled"}, "temperature": 0.6, "tools": [tool()]}
    for tc in ("required", {"type": "function", "function": {"name": "ping"}}):
        assert send({"body": chat("kimi-k2.6", tool_choice=tc, **off)})[0].status_code == 200


# Error bodies and response/stream shapes against the real answers: tests/cassettes/test_real_cassettes.py
# (driven by harness/cassettes/real_cassettes.yaml).


# --- accepted behaviours (rules.json "accepted") --------------------------------------


def _ok(body):
    r, _ = send({"body": body})
    assert r.status_code == 200, r.text
    return r.json()


ACCEPTED_TESTS = {
    "binary_default_thinking_on": lambda: "reasoning_content" in _ok(chat("kimi-k2.5"))["choices"][0]["message"],
    "keep_ignored_elsewhere": lambda: all(
        _ok(chat(m, thinking={"type": "enabled", "keep": "all"})) for m in ("kimi-k2.6", "kimi-k2.5", "kimi-k2.7-code")
    ),
    "k3_accepts_required": lambda: (
        _ok(chat("kimi-k3", tools=[tool()], tool_choice="required"))["choices"][0]["message"]["tool_calls"][0]["id"]
        == "ping_0"
    ),
    "k27_thinking_enabled_ok": lambda: (
        _ok(chat("kimi-k2.7-code")) and _ok(chat("kimi-k2.7-code", thinking={"type": "enabled"}))
    ),
    "binary_thinking_or_effort_alone": lambda: all(
        _ok(chat(m, **kw))
        for m in ("kimi-k2.5", "kimi-k2.6")
        for kw in ({"thinking": {"type": "enabled"}}, *({"reasoning_effort": e} for e in ("low", "medium", "high")))
    ),
    "k3_reasoning_effort_levels": lambda: all(
        "reasoning_content" in _ok(chat("kimi-k3", **kw))["choices"][0]["message"]
        for kw in ({}, *({"reasoning_effort": e} for e in ("low", "high", "max")))
    ),
    "binary_disabled_no_reasoning": lambda: (
        "reasoning_content"
        not in _ok(
            chat(
                messages=tool_history(rc=False),
                thinking={"type": "disabled"},
                temperature=0.6,
                tools=[tool()],
                tool_choice="required",
            )
        )["choices"][0]["message"]
    ),
}


def test_every_accepted_behaviour_has_a_test():
    assert set(ACCEPTED_TESTS) == ACCEPTED


@pytest.mark.parametrize("acc_id", sorted(ACCEPTED))
def test_accepted(acc_id):
    assert ACCEPTED_TESTS[acc_id]()


# --- helpers --------------------------------------------------------------------------------

WEATHER = [tool("get_weather", ["city"])]


def run(body, twice, emu=None):
    emu = emu or Emulator()
    with emu, httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {KEY}"}, verify=False) as c:
        for _ in range(2 if twice else 1):
            r = c.post("/chat/completions", json=body)
        return r


def events(r):
    lines = [ln for ln in r.text.split("\n\n") if ln]
    assert lines[-1] == "data: [DONE]"
    return [json.loads(ln.removeprefix("data: ")) for ln in lines[:-1]]


# --- behaviour ------------------------------------------------------------------------------


def test_determinism_same_seed_same_bytes():
    for body in (chat(tools=[tool()]), chat("kimi-k3", user("Reply exactly: X"), stream=True)):
        a, b = run(body, False, Emulator(seed=7)), run(body, False, Emulator(seed=7))
        assert a.content == b.content
    assert run(chat(), False, Emulator(seed=1)).json()["id"] != run(chat(), False, Emulator(seed=2)).json()["id"]


def test_ids_created_and_fingerprint():
    r = run(chat("kimi-k2.5", stream=True), False, Emulator(clock=FixedClock(1787685025)))
    first = events(r)[0]
    assert first["id"].startswith("chatcmpl-6a8de8a1") and len(first["id"]) == 9 + 24
    assert first["created"] == 1787685025 and first["system_fingerprint"].startswith("fpv0_")
    k3 = run(chat("kimi-k3"), False).json()["id"]
    assert [len(p) for p in k3.removeprefix("chatcmpl-").split("-")] == [8, 4, 4, 4, 12]


@pytest.mark.parametrize("include", [True, False, None])
def test_include_usage(include):
    body = chat(stream=True, **({"stream_options": {"include_usage": include}} if include is not None else {}))
    got = events(run(body, False))
    assert (got[-1]["choices"] == []) is bool(include)
    finish = got[-2] if include else got[-1]
    assert finish["choices"][0]["finish_reason"] == "stop" and "usage" in finish["choices"][0]
    if include:
        assert got[-1]["usage"] == finish["choices"][0]["usage"]


def test_stream_is_separate_http_chunks():
    with Emulator() as emu:
        port = int(emu.base_url.split(":")[2].split("/")[0])
        payload = json.dumps(chat(stream=True)).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-x\r\n"
                b"Content-Type: application/json\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
            )
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"text/event-stream" in head and b"chunked" in head.lower()
    frames = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        frames.append(rest[:size])
        rest = rest[size + 2 :]
    assert len(frames) > 5
    assert all(f.startswith(b"data: ") and f.endswith(b"\n\n") and f.count(b"data: ") == 1 for f in frames)


def test_reply_exactly_tool_flow_and_max_tokens():
    assert (
        run(chat(messages=user("Reply exactly: KIMI_LIVE_OK")), False).json()["choices"][0]["message"]["content"]
        == "KIMI_LIVE_OK"
    )
    msgs = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "r",
            "tool_calls": [{"id": "ping_0", "type": "function", "function": {"name": "ping", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "ping_0", "content": "pong"},
    ]
    c = run(chat(messages=msgs, tools=[tool()]), False).json()["choices"][0]
    assert c["finish_reason"] == "stop" and "pong" in c["message"]["content"] and "tool_calls" not in c["message"]
    again = run(chat(messages=msgs + [{"role": "user", "content": "again"}], tools=[tool()]), False).json()
    assert again["choices"][0]["message"]["tool_calls"][0]["id"] == "ping_1"  # conversation-wide counter
    cut = run(
        chat(messages=user("Reply exactly: " + "x" * 400), thinking={"type": "disabled"}, max_tokens=7), False
    ).json()
    assert cut["choices"][0]["finish_reason"] == "length" and cut["usage"]["completion_tokens"] == 7
    assert cut["choices"][0]["message"]["content"] == "x" * 28
    args = run(chat("kimi-k3", tools=WEATHER), False).json()["choices"][0]["message"]["tool_calls"][0]["function"]
    assert json.loads(args["arguments"]) == {"city": "example"}


def test_rpm_window_retry_after_and_recovery():
    clock = FixedClock(1000)
    emu = Emulator(rpm=3, clock=clock)
    with emu, httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {KEY}"}, verify=False) as c:
        assert [c.post("/chat/completions", json=chat()).status_code for _ in range(4)] == [200, 200, 200, 429]
        r = c.post("/chat/completions", json=chat())
        assert r.headers["Retry-After"] == "1" and r.json()["error"]["type"] == "rate_limit_reached_error"
        assert (
            "request reached organization max RPM: 3, please try again after 1 seconds" in r.json()["error"]["message"]
        )
        clock.advance(60)
        assert c.post("/chat/completions", json=chat()).status_code == 200


def test_inject_presets_count_and_models_endpoints():
    emu = Emulator(api_keys={KEY}, revoked_keys={"sk-revoked"})
    with emu, httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {KEY}"}, verify=False) as c:
        emu.inject(429, "exceeded_current_quota_error", count=2)
        codes = [c.post("/chat/completions", json=chat()) for _ in range(3)]
        assert [r.status_code for r in codes] == [429, 429, 200]
        assert codes[0].json()["error"]["type"] == "exceeded_current_quota_error"
        listing = c.get("/models").json()
        assert listing["object"] == "list" and {"kimi-k2.6", "kimi-k3", "moonshot-v1-8k"} <= {
            m["id"] for m in listing["data"]
        }
        assert all(set(m) == {"id", "object", "created", "owned_by"} for m in listing["data"])
        assert c.get("/models/kimi-k2.7-code").json()["id"] == "kimi-k2.7-code"
        assert c.get("/models/kimi-k2-0905-preview").status_code == 404
        for bad in ("sk-revoked", "sk-other", "not-sk"):
            assert c.get("/models", headers={"Authorization": f"Bearer {bad}"}).json() == {
                "error": {"message": "Invalid Authentication", "type": "invalid_authentication_error"}
            }
    rec = emu.requests[0]
    assert rec["headers"]["Authorization"] == "Bearer [REDACTED]" and rec["body"]["model"] == "kimi-k2.6"
    assert rec["status"] == 429 and KEY not in json.dumps(emu.requests)


@pytest.mark.integration
def test_cli_prints_url_and_stops_on_sigterm():
    p = subprocess.Popen(
        [sys.executable, "-m", "harness.emulator", "--port", "0", "--seed", "3"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = p.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        assert httpx.get(url + "/models", headers={"Authorization": "Bearer sk-x"}, verify=False).status_code == 200
        coding_url = p.stdout.readline().strip()
        assert coding_url == url[: -len("/v1")] + "/coding/v1"
        assert (
            httpx.get(coding_url + "/models", headers={"Authorization": "Bearer sk-kimi-x"}, verify=False).status_code
            == 200
        )
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=5) == 0


# --- the Kimi Coding service (/coding/v1) -------------------------------------------------

from harness.emulator import rules as emu_rules  # noqa: E402


def coding(emu, method, path, body=None, key=KIMI_KEY):
    with httpx.Client(
        base_url=emu.coding_base_url, headers={"Authorization": f"Bearer {key}"}, timeout=5, verify=False
    ) as c:
        return c.request(method, path, json=body)


def test_coding_service_has_its_own_base_url_and_models():
    from harness.catalog import builtin

    kimi = builtin().providers["kimi"]
    with Emulator() as emu:
        assert emu.coding_base_url == emu.base_url[: -len("/v1")] + "/coding/v1"
        listed = {m["id"] for m in coding(emu, "GET", "/models").json()["data"]}
        moonshot = {
            m["id"]
            for m in httpx.get(
                emu.base_url + "/models", headers={"Authorization": f"Bearer {KEY}"}, verify=False
            ).json()["data"]
        }
        assert listed == {m["id"] for m in kimi.data["models"] if m["status"] == "current"}
        assert not listed & {"kimi-k2.6", "kimi-k3"} and not moonshot & {"kimi-for-coding", "k3"}
        assert coding(emu, "GET", "/models/k3-256k").json()["id"] == "k3-256k"
        # models of the other service are unknown here, and the other way round
        r = coding(emu, "POST", "/chat/completions", chat("kimi-k2.6"))
        assert (
            r.status_code == 404
            and r.json()["error"]["message"] == "Not found the model kimi-k2.6 or Permission denied"
        )
        r = httpx.post(
            emu.base_url + "/chat/completions",
            json=chat("kimi-for-coding"),
            headers={"Authorization": f"Bearer {KEY}"},
            verify=False,
        )
        assert r.status_code == 404
        assert {q["service"] for q in emu.requests} == {"kimi-coding", "moonshot"}


def test_coding_models_match_the_catalog():
    from harness.catalog import builtin

    served = emu_rules.load_models("kimi-coding")
    for m in builtin().providers["kimi"].data["models"]:
        info = served[m["id"]]
        assert bool(info.get("retired")) == (m["status"] == "retired"), m["id"]
        if not info.get("retired"):
            assert info["images"] == ("image" in m["input"]), m["id"]
            assert info["thinking"] == "none", "provider kimi has thinkingRules false"
        assert info["source"]


@pytest.mark.parametrize("model", ["kimi-k2-thinking", "kimi-k2-0711-preview"])
def test_coding_retired_models_404(model):
    with Emulator() as emu:
        r = coding(emu, "POST", "/chat/completions", chat(model))
        assert r.status_code == 404 and r.json() == {
            "error": {
                "message": f"Not found the model {model} or Permission denied",
                "type": "resource_not_found_error",
            }
        }
        assert coding(emu, "GET", f"/models/{model}").status_code == 404


def test_coding_service_has_no_moonshot_thinking_rules():
    """Bodies every Moonshot thinking model rejects are answered on /coding/v1 (rules.json services)."""
    bodies = [
        chat("kimi-for-coding", temperature=0.7, top_p=0.5, n=1),
        chat("kimi-for-coding", thinking={"type": "disabled"}, temperature=1),
        chat("k3", tools=[tool()], tool_choice="required"),
        chat("k3", tools=[tool()], tool_choice={"type": "function", "function": {"name": "ping"}}),
        chat("kimi-k2p5", messages=tool_history(rc=False)),
        chat("kimi-latest", messages=tool_history(ids=("write:0", "write:0"))),
    ]
    with Emulator() as emu:
        for body in bodies:
            r = coding(emu, "POST", "/chat/completions", body)
            assert r.status_code == 200, (body, r.text)
            assert "reasoning_content" not in r.json()["choices"][0]["message"]
        # the same bodies on Moonshot models are rejected
        r = httpx.post(
            emu.base_url + "/chat/completions",
            json=chat(temperature=0.7),
            headers={"Authorization": f"Bearer {KEY}"},
            verify=False,
        )
        assert r.status_code == 400


def test_coding_service_auth_images_and_unknown_routes():
    with Emulator() as emu:
        assert coding(emu, "POST", "/chat/completions", chat("kimi-for-coding"), key="not-a-key").status_code == 401
        r = coding(emu, "POST", "/chat/completions", chat("kimi-k2-thinking-turbo", image_msg(PNG)))
        assert r.status_code == 400 and "does not support image input" in r.json()["error"]["message"]
        assert coding(emu, "POST", "/chat/completions", chat("kimi-for-coding", image_msg(PNG))).status_code == 200
        r = coding(emu, "POST", "/chat/completions", chat("kimi-for-coding", image_msg(SVG_TEXT)))
        assert r.status_code == 400
        # /messages is the Anthropic surface (tests/emulator/test_anthropic_emulator.py): Bearer accepted, Anthropic errors
        r = coding(emu, "POST", "/messages", {"model": "kimi-for-coding"})
        assert r.status_code == 400 and r.json()["type"] == "error"
        assert coding(emu, "POST", "/messages", {"model": "kimi-for-coding"}, key=KEY).status_code == 401
        stream = coding(
            emu,
            "POST",
            "/chat/completions",
            chat("kimi-for-coding", stream=True, stream_options={"include_usage": True}),
        )
        assert stream.status_code == 200 and stream.text.endswith("data: [DONE]\n\n")


def test_rules_json_services_cover_every_body_rule():
    data = emu_rules.load_rules()["services"]
    body_ids = {r["id"] for r in emu_rules.load_rules()["rules"] if r["phase"] == "body"}
    assert data["moonshot"]["body_rules"] == "all"
    kc = data["kimi-coding"]
    assert set(kc["body_rules"]) | set(kc["not_enforced"]) == body_ids
    assert not set(kc["body_rules"]) & set(kc["not_enforced"])
    assert kc["source"] and kc["assumed"] and all(kc["not_enforced"].values())
    assert set(emu_rules.services()) == set(data) - {"$comment"}
