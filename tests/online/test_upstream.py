"""An upstream that is gone ends the online wire run fast; every wait on it is bounded and names
the URL (harness.online.guard)."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from harness.online.client import WireClient
from harness.online.guard import UpstreamHealth
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


def client(url: str, health: UpstreamHealth, timeout: float = 0.3) -> WireClient:
    return WireClient(url, "sk-test-000000", timeout=timeout, transport=health.transport(url))


def test_a_refused_connection_names_the_url_and_marks_the_upstream_gone_at_once():
    url, health = dead_url(), UpstreamHealth()
    with client(url, health) as c, pytest.raises(httpx.ConnectError, match=f"upstream {url}/chat/completions"):
        c.chat(BODY)
    assert url in health.not_run_reason(url) and "ConnectError" in health.not_run_reason(url)


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
    assert "1 failed" in last and "skipped" in last, r.stdout[-3000:]
    assert f"not run: upstream {url} is gone" in r.stdout
    assert elapsed < 60, f"{elapsed:.0f}s"
