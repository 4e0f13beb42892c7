"""The emulator under load and under faults: backlog, bounded memory, seeded fault plans from
Python, the CLI and the pytest options; live-mode retries; broken transports reported as a
broken upstream naming the URL, never as a rule failure."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from harness.emulator import Emulator, faults
from harness.online.client import UpstreamBroken, WireClient
from harness.online.retry import RetryPolicy
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-test-faults-000"
BODY = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Reply exactly: hi"}], "max_tokens": 20}


def no_sleep(_seconds: float) -> None:
    pass


# ------------------------------------------------------------------------------- fault plans
def test_spec_parses_and_describes():
    plan = faults.parse("429:0.2, 503:0.05,stall:0.01,truncate:0.02", seed=4)
    assert plan.rates == {"429": 0.2, "503": 0.05, "stall": 0.01, "truncate": 0.02} and plan.seed == 4
    assert plan.describe() == "429:0.2,503:0.05,stall:0.01,truncate:0.02"
    assert not faults.parse("") and not faults.load(None)


@pytest.mark.parametrize(
    "spec, culprit",
    [
        ("429", "'429' is not KIND:PROBABILITY"),
        ("418:0.1", "unknown fault '418'"),
        ("boom:0.1", "unknown fault 'boom'"),
        ("429:x", "probability of 429 is not a number: 'x'"),
        ("429:1.5", "between 0 and 1"),
        ("429:0.7,503:0.6", "add up to 1.3"),
    ],
)
def test_bad_specs_name_the_culprit(spec, culprit):
    with pytest.raises(faults.FaultSpecError, match="fault spec") as e:
        faults.parse(spec)
    assert culprit in str(e.value) and "\n" not in str(e.value)


def test_plan_from_a_file(tmp_path):
    text = tmp_path / "plan.txt"
    text.write_text("# overload and broken streams\n429:0.25\ntruncate:0.05  # cut mid-event\n")
    assert faults.load(str(text), seed=2).rates == {"429": 0.25, "truncate": 0.05}
    js = tmp_path / "plan.json"
    js.write_text(json.dumps({"503": 0.1, "stall": 0.01}))
    assert faults.load(str(js)).rates == {"503": 0.1, "stall": 0.01}
    bad = tmp_path / "bad.json"
    bad.write_text('{"503": ')
    with pytest.raises(faults.FaultSpecError, match=f"fault plan {bad}: invalid JSON"):
        faults.load(str(bad))
    with pytest.raises(faults.FaultSpecError, match="no-such-plan.txt: no such file"):
        faults.load(str(tmp_path / "no-such-plan.txt"))


def test_draws_are_seeded_order_free_and_follow_the_rates():
    plan = faults.parse("429:0.2,503:0.05,truncate:0.05", seed=11)
    reqs = [("POST", "/v1/chat/completions", b'{"n":%d}' % i, 0) for i in range(4000)]
    first = [plan.draw(*r) for r in reqs]
    shuffled = reqs[:]
    random.Random(0).shuffle(shuffled)
    again = dict(zip(shuffled, (plan.draw(*r) for r in shuffled)))
    assert [again[r] for r in reqs] == first  # arrival order does not matter
    other = faults.parse("429:0.2,503:0.05,truncate:0.05", seed=12)
    assert [other.draw(*r) for r in reqs] != first
    share = {k: first.count(k) / len(first) for k in ("429", "503", "truncate")}
    assert abs(share["429"] - 0.2) < 0.03 and abs(share["503"] - 0.05) < 0.02, share
    # a retried request (same bytes, next occurrence) draws again
    assert len({plan.draw("POST", "/v1/chat/completions", b"{}", n) for n in range(50)}) > 1


# ------------------------------------------------------------------------------- retries
def test_injected_429_and_5xx_are_retried_with_jitter():
    sleeps: list[float] = []
    plan = faults.parse("429:0.3,503:0.2", seed=5)
    with (
        Emulator(faults=plan) as emu,
        WireClient(emu.base_url, KEY, retry=RetryPolicy(max_retries=8, sleep=sleeps.append, rng=random.Random(1))) as c,
    ):
        results = [c.chat({**BODY, "messages": [{"role": "user", "content": f"q{i}"}]}) for i in range(20)]
        statuses = [q["status"] for q in emu.requests]
    assert all(r.status == 200 for r in results)
    assert 429 in statuses and 503 in statuses  # faults happened, and were retried away
    assert len(sleeps) == statuses.count(429) + statuses.count(503) > 0
    assert all(0 <= s <= 2.0**8 for s in sleeps) and len(set(sleeps)) == len(sleeps)


def test_retries_stop_at_the_total_bound_and_non_retryable_is_final():
    sleeps: list[float] = []
    policy = RetryPolicy(max_retries=50, total=5.0, sleep=sleeps.append)
    with Emulator(faults=faults.parse("503:1")) as emu, WireClient(emu.base_url, KEY, retry=policy) as c:
        r = c.chat(BODY)
    assert r.status == 503 and sum(sleeps) <= 5.0 and r.attempts == len(sleeps) + 1 < 51
    sleeps.clear()
    with Emulator() as emu, WireClient(emu.base_url, KEY, retry=RetryPolicy(sleep=sleeps.append)) as c:
        emu.inject(400, "invalid_request_error")
        assert c.chat(BODY).status == 400 and sleeps == []


# ------------------------------------------------------------------------------- broken transports
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_truncated_body_is_a_broken_upstream_naming_the_url(stream):
    with (
        Emulator(faults=faults.parse("truncate:1")) as emu,
        WireClient(emu.base_url, KEY) as c,
        pytest.raises(UpstreamBroken) as e,
    ):
        c.chat({**BODY, "stream": stream})
    assert str(e.value).startswith(f"broken upstream {emu.base_url}/chat/completions: response cut short")
    assert isinstance(e.value, httpx.RemoteProtocolError)  # callers catching httpx's type still do
    assert emu.requests[0]["fault"] == "truncate"


def test_stream_cut_mid_event_is_a_broken_upstream():
    """A complete HTTP body whose last SSE event is cut mid-JSON (a proxy that gave up)."""
    events = [b'data: {"id":"x","choices":[]}\n\n', b'data: {"id":"x","choi']

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"".join(events))

    with (
        WireClient("https://api.moonshot.ai/v1", KEY, transport=httpx.MockTransport(handler)) as c,
        pytest.raises(UpstreamBroken, match=r"https://api.moonshot.ai/v1/chat/completions: stream event 2 of 2"),
    ):
        c.chat({**BODY, "stream": True})


@pytest.mark.integration  # waits out real stalls and timeouts (seconds of wall clock, not CPU): the slow tier
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_stall_is_a_broken_upstream_and_stop_releases_it(stream):
    with Emulator(faults=faults.parse("stall:1")) as emu, WireClient(emu.base_url, KEY, timeout=0.5) as c:
        t0 = time.monotonic()
        with pytest.raises(UpstreamBroken, match="stalled") as e:
            c.chat({**BODY, "stream": stream})
        assert isinstance(e.value, httpx.ReadTimeout)
        assert time.monotonic() - t0 < 5
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 5  # stop() does not wait out the stall (120 s by default)


@pytest.mark.integration  # waits out real stalls and timeouts (seconds of wall clock, not CPU): the slow tier
def test_stall_length_is_part_of_the_plan():
    plan = faults.parse("stall:1,stall-seconds:0.2")
    assert plan.rates == {"stall": 1.0} and plan.stall_seconds == 0.2
    assert faults.parse(plan.describe()) == plan and plan.describe() == "stall:1,stall-seconds:0.2"
    assert faults.parse("stall:1").stall_seconds == faults.DEFAULT_STALL_SECONDS
    for spec, culprit in [("stall-seconds:x", "is not a number: 'x'"), ("stall-seconds:0", "positive number")]:
        with pytest.raises(faults.FaultSpecError, match=culprit) as e:
            faults.parse(spec)
        assert str(e.value).startswith(f"fault spec {spec!r}: stall-seconds") and "\n" not in str(e.value)
    # a stall shorter than the client's read timeout ends with the emulator dropping the connection
    with Emulator(faults=plan) as emu, WireClient(emu.base_url, KEY, timeout=5.0) as c:
        t0 = time.monotonic()
        with pytest.raises(UpstreamBroken, match="response cut short"):
            c.chat(BODY)
        assert time.monotonic() - t0 < 3


# ------------------------------------------------------------------------------- load
def test_200_concurrent_requests_zero_errors():
    n = 200
    barrier = threading.Barrier(n, timeout=30)

    def one(i: int) -> int:
        # plain http to the emulator: verify=False spares 200 TLS contexts (a CA bundle load each)
        with httpx.Client(timeout=30, verify=False) as c:
            barrier.wait()  # everyone connects at once: the listen backlog is what is tested
            body = {**BODY, "stream": i % 2 == 0}
            r = c.post(url, json=body, headers={"authorization": f"Bearer {KEY}"})
            return r.status_code

    with Emulator() as emu:
        url = f"{emu.base_url}/chat/completions"
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=n) as pool:
            statuses = list(pool.map(one, range(n)))
        took = time.monotonic() - t0
        served = emu.served
    assert statuses == [200] * n and served == n
    assert took < 60, f"200 concurrent requests took {took:.1f}s"


def test_request_log_is_bounded():
    with Emulator(request_log=50) as emu, httpx.Client(verify=False) as c:
        for i in range(300):
            c.post(
                f"{emu.base_url}/chat/completions",
                headers={"authorization": f"Bearer {KEY}"},
                json={**BODY, "messages": [{"role": "user", "content": f"m{i}"}]},
            )
        log = emu.requests
        assert len(log) == 50 and emu.served == 300
        assert log[-1]["body"]["messages"][0]["content"] == "m299"


def test_ids_come_from_the_request_not_the_arrival_order():
    def ids(order):
        with Emulator() as emu, httpx.Client(verify=False) as c:
            out = {}
            for i in order:
                r = c.post(
                    f"{emu.base_url}/chat/completions",
                    headers={"authorization": f"Bearer {KEY}"},
                    json={**BODY, "messages": [{"role": "user", "content": f"m{i}"}]},
                )
                out[i] = r.json()["id"]
            return out

    assert ids([0, 1, 2]) == ids([2, 0, 1])


# ------------------------------------------------------------------------------- from the CLI and pytest
@pytest.mark.integration
def test_cli_serves_with_a_fault_plan():
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "emulator", "serve", "--faults", "503:1", "--seed", "3"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:") and base.endswith("/v1")
        r = httpx.post(f"{base}/chat/completions", json=BODY, headers={"authorization": f"Bearer {KEY}"}, verify=False)
        assert r.status_code == 503 and r.json()["error"]["type"] == "service_unavailable"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "faults: 503:1 (seed 3)" in err and proc.returncode == 0


@pytest.mark.integration
def test_cli_bad_fault_plan_is_one_line():
    r = run_child(
        [sys.executable, "-m", "harness.cli.main", "emulator", "serve", "--faults", "429:2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        "kimi-conformance emulator: --faults: fault spec '429:2': probability of 429 must be between 0 and 1, got 2"
    ]


def pytest_wire(*args) -> subprocess.CompletedProcess:
    return run_child(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rs",
            "suites/wire",
            "--kimi-model",
            "moonshot/kimi-k2.6",
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.integration
def test_pytest_emulator_faults_retried_and_broken_streams_skipped():
    r = pytest_wire("--kimi-upstream", "emulator", "--kimi-emulator-faults", "truncate:1", "-k", "plain or stream")
    assert r.returncode == 0, r.stdout[-3000:]
    assert "failed" not in r.stdout.splitlines()[-1] and "skipped" in r.stdout.splitlines()[-1]
    assert "broken upstream http://127.0.0.1:" in r.stdout and "response cut short" in r.stdout


@pytest.mark.integration
def test_pytest_bad_emulator_faults_is_a_usage_error():
    r = pytest_wire("--kimi-upstream", "emulator", "--kimi-emulator-faults", "boom:0.1")
    assert r.returncode == 4 and "Traceback" not in r.stdout + r.stderr
    assert "--kimi-emulator-faults: fault spec 'boom:0.1': unknown fault 'boom'" in r.stderr
    r = pytest_wire("--kimi-emulator-faults", "429:0.1")
    assert r.returncode == 4 and "give --kimi-upstream emulator" in r.stderr
