"""The `http:URL` target and its capture server, against the tiny gateways of gateway_fixture.

The suites must pass through the conformant gateway (it applies the reference) and fail through
the broken one (it forwards verbatim): run as subprocesses, as a user would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.reference import transform as reference
from harness.targets import NotExpressible, create
from harness.targets.capture_server import CaptureServer
from harness.targets.http_gateway import CASE_HEADER, HttpGatewayTarget
from tests.child import run as run_child
from tests.gateway_fixture import Gateway

ROOT = Path(__file__).resolve().parents[2]
TOOLS = [{"type": "function", "function": {"name": "read", "parameters": {"type": "object", "properties": {}}}}]
CASE = {
    "model": "Kimi K2.7 Code",
    "thinking": "off",
    "params": {"thinking": {"type": "enabled", "keep": "all"}},
    "request": {
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "functions.read:0", "type": "function", "function": {"name": "read", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "functions.read:0", "content": "r"},
        ],
        "tools": TOOLS,
        "tool_choice": "required",
        "temperature": 0.3,
        "seed": 7,
        "stream": True,
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------- capture server
def test_capture_server_records_and_answers_like_moonshot():
    with CaptureServer() as cap:
        r = httpx.post(
            cap.url + "/chat/completions",
            json={"model": "kimi-k2.6", "messages": []},
            headers={"authorization": "Bearer sk-abcdefghijklmnopqrstuvwxyz", "x-api-key": "secret"},
            verify=False,
        )
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "OK"
        assert r.json()["model"] == "kimi-k2.6"
        [got] = cap.take()
        assert (got.method, got.path, got.body["model"]) == ("POST", "/v1/chat/completions", "kimi-k2.6")
        assert got.headers["authorization"] == "Bearer <redacted>"
        assert got.headers["x-api-key"] == "<redacted>"
        assert "sk-abc" not in json.dumps(got.to_dict())


def test_capture_server_streams_sse_with_usage():
    with CaptureServer() as cap:
        body = {"model": "kimi-k2.6", "messages": [], "stream": True, "stream_options": {"include_usage": True}}
        r = httpx.post(cap.url + "/chat/completions", json=body, verify=False)
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        assert chunks[1]["choices"][0]["usage"]["total_tokens"] == 2  # Moonshot: usage in the finish chunk
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]  # and the trailing usage chunk
        cap.take()


# ------------------------------------------------------------------------- the target in process
@pytest.fixture
def gateway_target(monkeypatch):
    port = free_port()
    gw = Gateway(f"http://127.0.0.1:{port}/v1").start()
    monkeypatch.setenv("KIMI_CONFORMANCE_CAPTURE_PORT", str(port))
    target = create(f"http:{gw.url}", timeout=10.0)
    yield target, gw
    target.close()
    gw.stop()


def test_http_target_captures_what_the_gateway_forwards(gateway_target):
    target, _ = gateway_target
    out = target.transform(CASE)
    want = reference(CASE)
    assert out["url"] == "https://api.moonshot.ai/v1/chat/completions"  # put back on the real upstream
    assert out["method"] == "POST"
    assert out["body"] == want["body"]
    assert out["headers"]["authorization"] == "Bearer <redacted>"
    assert CASE_HEADER.lower() not in out["headers"]


def test_http_target_pairs_the_gateways_answer_with_its_capture(monkeypatch):
    """A gateway answering with another exchange's answer is a protocol error naming both ids."""
    from harness.errors import TargetProtocolError

    port = free_port()
    gw = Gateway(f"http://127.0.0.1:{port}/v1", stale=True).start()
    monkeypatch.setenv("KIMI_CONFORMANCE_CAPTURE_PORT", str(port))
    target = create(f"http:{gw.url}", timeout=10.0)
    try:
        assert target.transform(CASE)["method"] == "POST"  # the first answer is its own
        with pytest.raises(TargetProtocolError, match="carries chatcmpl-kc-1, but .* answered as chatcmpl-kc-2"):
            target.transform(CASE)
    finally:
        target.close()
        gw.stop()


def test_http_target_sends_ref_and_config_header(gateway_target):
    target, _ = gateway_target
    body, headers = target.request_for(CASE)
    assert body["model"] == "Kimi K2.7 Code"  # the ref as drawn: the gateway resolves it
    assert json.loads(headers[CASE_HEADER]) == {"thinking": "off", "params": CASE["params"]}
    ids = HttpGatewayTarget(target.url, capture_port=0, model="id")
    try:
        assert ids.request_for(CASE)[0]["model"] == "kimi-k2.7-code"
    finally:
        ids.close()


def test_request_only_gateway_rejects_configured_cases(gateway_target):
    target, _ = gateway_target
    plain = HttpGatewayTarget(target.url, capture_port=0, config="none")
    try:
        assert "extra_body" not in plain.capabilities.features
        with pytest.raises(NotExpressible):
            plain.request_for(CASE)
        bare = {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}
        assert CASE_HEADER not in plain.request_for(bare)[1]
    finally:
        plain.close()


def test_http_target_reports_a_gateway_that_forwards_nothing():
    from harness.errors import TargetError

    with CaptureServer() as dead_end:  # a "gateway" that answers itself and never forwards
        target = HttpGatewayTarget(dead_end.url, capture_port=0, timeout=0.5)  # the wait for a forward
        try:
            with pytest.raises(TargetError, match="forwarded nothing|sent 1 upstream|capture"):
                target.transform(
                    {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}
                )
        finally:
            target.close()


# ------------------------------------------------------------------------- the suites, as a user runs them
def run_suite(broken: bool, *extra: str) -> subprocess.CompletedProcess:
    port = free_port()
    gw = Gateway(f"http://127.0.0.1:{port}/v1", broken=broken).start()
    env = {**os.environ, "KIMI_CONFORMANCE_CAPTURE_PORT": str(port), "CI": "true"}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "suites/test_t1_always_thinking.py",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        f"--kimi-target=http:{gw.url}",
        "--kimi-model=moonshot/kimi-k2.7-code",
        "--kimi-model=moonshot/kimi-k2.6",
        *extra,
    ]
    try:
        return run_child(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    finally:
        gw.stop()


@pytest.mark.integration
def test_suite_passes_through_a_conformant_gateway():
    proc = run_suite(False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "2 passed" in proc.stdout


@pytest.mark.integration
def test_suite_fails_through_a_verbatim_gateway(tmp_path):
    proc = run_suite(True, "-x", "--hypothesis-profile=mutation", f"--kimi-results-dir={tmp_path}")
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    # The verdict as data: the failed test names T1 violations (never the wording of a message).
    (results,) = tmp_path.glob("results-http*.json")
    failed = [r for r in json.loads(results.read_text())["results"] if r["outcome"] == "failed"]
    assert failed and all(v["rule"] == "T1" and v["check"].startswith("T1.") for v in failed[0]["violations"])
    assert failed[0]["violations"]


# ------------------------------------------------------------------------- the `errors` rule (bad cases)
def test_a_malformed_case_reaches_a_conformant_gateway_which_rejects_it(gateway_target, monkeypatch):
    """No schema check in the driver: each bad case is posted as it is; the gateway's 4xx answer,
    with nothing forwarded upstream, is its rejection (a case error naming the status)."""
    from harness.errors import CaseError
    from harness.rules import errors
    from harness.targets import http_gateway

    # this gateway never forwards a bad case, so the grace after its 4xx only waited (0.2 s a case,
    # two seconds of the test); the forward-then-400 test below keeps the real grace
    monkeypatch.setattr(http_gateway, "REJECT_GRACE", 0.01)

    target, _ = gateway_target
    bad = {b["id"]: b["case"] for b in errors.bad_cases()}
    assert target.request_for(bad["messages-not-a-list"])[0]["messages"] == "hi"  # posted as written
    assert "model" not in target.request_for(bad["no-model"])[0]
    with pytest.raises(CaseError, match="rejected the case: 400"):
        target.transform(bad["unknown-role"])
    for b in errors.bad_cases():
        assert errors.violations(b["case"], target.transform, (NotExpressible,)) == [], b["id"]


@pytest.mark.parametrize("refuse", [False, True], ids=["answers-200", "answers-400"])
def test_a_verbatim_gateway_fails_the_errors_rule(monkeypatch, refuse):
    """The broken variant: a gateway that forwards whatever it gets sends every bad case upstream,
    and the rule reports each as errors.accepted at the bad case's path (as data). A 4xx answer is
    no rejection when the case went upstream (`refuse`: it forwards, then answers 400): the forward
    is captured before the gateway answers, so the short grace after a 4xx (REJECT_GRACE) sees it."""
    from harness.rules import errors

    port = free_port()
    gw = Gateway(f"http://127.0.0.1:{port}/v1", broken=True, refuse=refuse).start()
    monkeypatch.setenv("KIMI_CONFORMANCE_CAPTURE_PORT", str(port))
    target = create(f"http:{gw.url}", timeout=10.0)
    try:
        for b in errors.bad_cases():
            found = errors.violations(b["case"], target.transform, (NotExpressible,))
            assert [(v.rule, v.check, v.path) for v in found] == [("errors", "errors.accepted", b["path"])], b["id"]
            if b["id"] == "messages-not-a-list":
                assert found[0].actual == "hi"  # the malformed value went upstream untouched
    finally:
        target.close()
        gw.stop()
