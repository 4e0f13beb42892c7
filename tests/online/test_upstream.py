"""An upstream that is gone ends the online wire run fast; every wait on it is bounded and names
the URL (harness.online.guard). Gone means refused, or `max_failures` faults in a row: answers still
429 / 5xx after the retry budget, stalls (no byte within the read deadline), bodies cut short. The
tests that meet the faults, the smoke tests included, are not run, never failed."""

from __future__ import annotations

import json
import os
import random
import socket
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from harness.emulator import Emulator, faults
from harness.online.client import UpstreamBroken, UpstreamStalled, UpstreamUnavailable, WireClient
from harness.online.guard import UpstreamHealth
from harness.online.retry import RetryPolicy
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]
BODY = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # closed again: nothing listens


class Silent:
    """Accepts connections; answers nothing (hung) or trickles a body forever (trickle)."""

    def __init__(self, mode: str = "hung"):
        self.mode, self.sock = mode, socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.mode == "trickle":
                threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            while not self.stop.is_set():
                conn.sendall(b"1\r\n:\r\n")
                time.sleep(0.05)
        except OSError:
            pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for c in self.conns:
            c.close()


def client(url: str, health: UpstreamHealth, timeout: float = 0.3, retry: RetryPolicy | None = None) -> WireClient:
    return WireClient(url, "sk-test-000000", timeout=timeout, health=health, retry=retry)


def no_sleep(_seconds: float) -> None:
    pass


def test_a_refused_connection_names_the_url_and_marks_the_upstream_gone_at_once():
    url, health = dead_url(), UpstreamHealth()
    with client(url, health) as c, pytest.raises(httpx.ConnectError, match=f"upstream {url}/chat/completions"):
        c.chat(BODY)
    assert url in health.not_run_reason(url) and "ConnectError" in health.not_run_reason(url)


@pytest.mark.integration  # waits out real stalls and timeouts (seconds of wall clock, not CPU): the slow tier
def test_a_hung_upstream_names_the_url_and_is_gone_after_three_timeouts():
    server, health = Silent("hung"), UpstreamHealth()
    try:
        started = time.monotonic()
        with client(server.url, health) as c:
            for n in range(3):
                assert health.cause(server.url) is None, n
                with pytest.raises(httpx.TimeoutException, match=f"upstream {server.url}/chat/completions"):
                    c.chat(BODY)
        assert time.monotonic() - started < 3 * 0.3 + 2
        assert "(3 in a row)" in health.cause(server.url)
    finally:
        server.close()


@pytest.mark.integration  # waits out real stalls and timeouts (seconds of wall clock, not CPU): the slow tier
def test_a_trickling_upstream_is_cut_at_the_request_deadline():
    server, health = Silent("trickle"), UpstreamHealth(deadline=0.5)
    try:
        started = time.monotonic()
        with (
            client(server.url, health, timeout=5.0) as c,
            pytest.raises(httpx.TimeoutException, match="no complete answer within 0.5s"),
        ):
            c.chat({**BODY, "stream": True})
        assert time.monotonic() - started < 3  # not the 5 s read timeout: it never stops sending
    finally:
        server.close()


@pytest.mark.integration
def test_a_dead_upstream_ends_the_wire_run_fast():
    started = time.monotonic()
    url = dead_url()
    r = run_child(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rs",
            "suites/wire",
            "--kimi-upstream",
            url,
            "--kimi-model",
            "moonshot/kimi-k2.6",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.monotonic() - started
    last = r.stdout.strip().splitlines()[-1]  # (real cassettes still replay offline and pass)
    # the test that met the refused connection is not run either: no verdict on the rules
    assert r.returncode == 0 and "failed" not in last and "skipped" in last, r.stdout[-3000:]
    assert f"not run: upstream {url} is gone" in r.stdout
    assert elapsed < 60, f"{elapsed:.0f}s"


# ------------------------------------------------------------------------------- what counts toward gone
@pytest.mark.parametrize("status", [429, 503])
def test_an_answer_still_throttled_after_the_retries_counts_toward_gone(status):
    policy = RetryPolicy(max_retries=2, sleep=no_sleep, rng=random.Random(0))
    health = UpstreamHealth()
    with Emulator(faults=faults.parse(f"{status}:1")) as emu, client(emu.base_url, health, 5.0, policy) as c:
        for n in range(3):
            assert health.cause(emu.base_url) is None, n
            with pytest.raises(UpstreamUnavailable) as e:
                c.chat(BODY)
            assert e.value.status == status and e.value.url == f"{emu.base_url}/chat/completions"
            assert f"{status} " in e.value.what and "after retries (3 attempts" in e.value.what
        assert len(emu.requests) == 9  # the retries were made first: 3 requests x 3 attempts
    cause = health.cause(emu.base_url)
    assert cause is not None and f"{status} " in cause and "after retries" in cause and "(3 in a row)" in cause
    assert health.not_run_reason(emu.base_url).startswith(f"not run: upstream {emu.base_url} is gone: ")


def test_a_complete_answer_starts_the_count_over():
    health = UpstreamHealth()
    policy = RetryPolicy(max_retries=0, sleep=no_sleep)
    with Emulator() as emu, client(emu.base_url, health, 5.0, policy) as c:
        for _ in range(2):
            emu.inject(503, "service_unavailable")
            with pytest.raises(UpstreamUnavailable):
                c.chat(BODY)
        assert c.chat(BODY).status == 200
        emu.inject(503, "service_unavailable")
        with pytest.raises(UpstreamUnavailable):
            c.chat(BODY)
        assert health.cause(emu.base_url) is None and health.failures[emu.base_url] == 1
        # a final 4xx is an answer: the request's fault, not the upstream's
        emu.inject(400, "invalid_request_error")
        assert c.chat(BODY).status == 400 and health.failures[emu.base_url] == 0


@pytest.mark.integration  # waits out real stalls and timeouts (seconds of wall clock, not CPU): the slow tier
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_stall_after_the_headers_is_a_stall_and_counts_toward_gone(stream):
    """The emulator sends the headers (and half the events), then nothing: the read deadline, not
    the total deadline nor the upstream dropping the connection, ends each wait."""
    health = UpstreamHealth(read_deadline=0.3, deadline=10.0)
    plan = faults.parse("stall:1,stall-seconds:60")
    with Emulator(faults=plan) as emu, client(emu.base_url, health, 30.0) as c:
        started = time.monotonic()
        for n in range(3):
            assert health.cause(emu.base_url) is None, n
            with pytest.raises(UpstreamStalled) as e:
                c.chat({**BODY, "stream": stream})
            assert str(e.value).startswith(
                f"broken upstream {emu.base_url}/chat/completions: stalled: no byte for 0.3s"
            )
        took = time.monotonic() - started
    assert took < 3 * 0.3 + 3, f"{took:.1f}s"  # neither the 60 s stall nor the 10 s deadline
    assert "stalled: no byte for 0.3s (3 in a row)" in health.cause(emu.base_url)


@pytest.mark.integration  # waits out real stalls and timeouts (seconds of wall clock, not CPU): the slow tier
def test_a_stall_before_the_headers_is_a_stall_too():
    server, health = Silent("hung"), UpstreamHealth(read_deadline=0.3)
    try:
        with client(server.url, health, 30.0) as c, pytest.raises(httpx.ReadTimeout) as e:
            c.chat(BODY)
        assert str(e.value) == f"upstream {server.url}/chat/completions: stalled: no byte for 0.3s"
    finally:
        server.close()


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_bodies_cut_short_count_toward_gone(stream):
    health = UpstreamHealth()
    with Emulator(faults=faults.parse("truncate:1")) as emu, client(emu.base_url, health, 5.0) as c:
        for n in range(3):
            assert health.cause(emu.base_url) is None, n
            with pytest.raises(UpstreamBroken, match="response cut short"):
                c.chat({**BODY, "stream": stream})
    assert "response cut short" in health.cause(emu.base_url) and "(3 in a row)" in health.cause(emu.base_url)


@pytest.mark.integration  # waits out real stalls and timeouts (seconds of wall clock, not CPU): the slow tier
def test_smoke_is_not_run_when_the_upstream_is_throttled():
    """suites/wire/test_smoke.py and `kimi-conformance smoke` judge what smoke_one returns: a
    throttled, stalled or cut upstream is `skipped` (not run), never an `error` (a FAIL)."""
    from harness.cassettes.settings import WireSettings
    from harness.catalog import load
    from harness.cli.smoke import smoke_one

    cat = load()
    model = cat.resolve("moonshot/kimi-k2.6")
    for spec in ("503:1", "truncate:1", "stall:1"):
        with Emulator(faults=faults.parse(spec)) as emu:
            settings = WireSettings(
                catalog=cat,
                cassette_dir=Path("."),
                upstream=emu.base_url,
                retry=RetryPolicy(max_retries=1, sleep=no_sleep),
                upstream_health=UpstreamHealth(read_deadline=0.3),
            )
            fact = smoke_one(settings, model, "sk-test-000000", cat)
        assert "error" not in fact and "answer" not in fact, (spec, fact)
        assert fact["skipped"].startswith(f"broken upstream {emu.base_url}/chat/completions: "), (spec, fact)


@pytest.mark.integration  # waits out real stalls and timeouts (seconds of wall clock, not CPU): the slow tier
def test_smoke_command_against_a_stalling_upstream_says_not_run(capsys):
    from harness.cli.main import main

    with Emulator(faults=faults.parse("stall:1")) as emu:
        started = time.monotonic()
        code = main(["smoke", "--upstream", emu.base_url, "--model", "moonshot/kimi-k2.6", "--timeout", "0.3"])
        took = time.monotonic() - started
    out = capsys.readouterr().out
    assert code == 2 and "FAIL" not in out, out
    assert f"skipped: broken upstream {emu.base_url}/chat/completions: stalled: no byte for 0.3s" in out
    assert took < 10, f"{took:.1f}s"


# ------------------------------------------------------------------------------- a faulty upstream ends the run
READ, DEADLINE, RETRY_BUDGET = 0.5, 3.0, 1.0
# the longest one request can keep a test waiting here: its retries' waits, then one stalled read
ONE_REQUEST = RETRY_BUDGET + READ


@pytest.mark.parametrize(
    "spec, cause",
    [
        ("429:1.0", "429 engine_overloaded_error after retries"),
        ("503:1.0", "503 service_unavailable after retries"),
        ("stall:1.0", f"stalled: no byte for {READ:g}s"),
    ],
)
@pytest.mark.integration
def test_a_faulty_upstream_ends_the_wire_run_as_gone(tmp_path, spec, cause):
    """`--kimi-emulator-faults 429:1.0 | 503:1.0 | stall:1.0`: three faults in a row (the smoke
    test's and the first wire tests') declare the upstream gone; the run then ends within twice one
    request's budget; no test fails (real cassettes replay offline and pass)."""
    clock, junit = tmp_path / "clock.json", tmp_path / "junit.xml"
    started = time.monotonic()
    r = run_child(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.online.gone_clock",
            "-rs",
            "suites/wire",
            "--kimi-model",
            "moonshot/kimi-k2.6",
            "--kimi-upstream",
            "emulator",
            "--kimi-emulator-faults",
            spec,
            "--kimi-upstream-read-timeout",
            str(READ),
            "--kimi-upstream-deadline",
            str(DEADLINE),
            "--kimi-retry-budget",
            str(RETRY_BUDGET),
            "--junitxml",
            str(junit),
        ],
        cwd=REPO,
        env={**os.environ, "KIMI_GONE_CLOCK": str(clock)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.monotonic() - started
    last = r.stdout.strip().splitlines()[-1]
    assert r.returncode == 0 and "failed" not in last and "error" not in last, r.stdout[-3000:] + r.stderr[-2000:]
    facts = json.loads(clock.read_text())
    assert len(facts["gone"]) == 1, facts
    ((base, why),) = facts["gone"].items()
    assert why.startswith(f"upstream {base}/chat/completions: {cause}") and why.endswith("(3 in a row)"), why
    after = facts["end"] - facts["gone_at"][base]
    assert after <= 2 * ONE_REQUEST, f"{spec}: the run went on for {after:.2f}s after the upstream was gone"
    assert f"not run: upstream {base} is gone: upstream {base}/chat/completions: {cause}" in r.stdout
    assert f"kimi-conformance: upstream {base} is gone" in r.stdout  # the run's summary says so once
    cases = {c.get("name"): c for c in ET.parse(junit).iter("testcase")}
    smoke = [c for name, c in cases.items() if name.startswith("test_smoke")]
    assert smoke and all(c.find("skipped") is not None for c in smoke)  # not a FAIL: not run
    assert not any(c.find("failure") is not None or c.find("error") is not None for c in cases.values())
    # the faults were met by 3 tests, each within one request's budget; the rest were not run
    assert elapsed < 60, f"{elapsed:.0f}s"


@pytest.mark.integration
def test_a_read_timeout_not_shorter_than_the_deadline_is_a_usage_error():
    r = run_child(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "suites/wire", "--collect-only"]
        + ["--kimi-upstream-read-timeout", "5", "--kimi-upstream-deadline", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 4 and "Traceback" not in r.stdout + r.stderr
    assert "--kimi-upstream-read-timeout 5 must be shorter than --kimi-upstream-deadline 2" in r.stderr
