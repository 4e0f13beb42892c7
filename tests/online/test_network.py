"""The network blocker: non-loopback connections fail naming the host, loopback works."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import httpx
import pytest

from harness.emulator import Emulator
from harness.online import network
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]


def test_blocks_remote_hosts_naming_them():
    with network.blocked("test"):
        with pytest.raises(httpx.ConnectError, match=r"api\.moonshot\.ai:443 is blocked"):
            httpx.get("https://api.moonshot.ai/v1/models")
        with pytest.raises(network.NetworkBlocked, match=r"203\.0\.113\.5:80"):
            socket.create_connection(("203.0.113.5", 80), timeout=1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            with pytest.raises(network.NetworkBlocked, match="192.0.2.1"):
                s.connect_ex(("192.0.2.1", 443))
        finally:
            s.close()


def test_loopback_stays_reachable_and_unblock_restores():
    original = socket.socket.connect
    with network.blocked("test"):
        assert network.is_blocked()
        with Emulator() as emu:
            r = httpx.get(emu.base_url + "/models", headers={"Authorization": "Bearer sk-x-000"})
            assert r.status_code == 200
            r = httpx.get(
                emu.base_url.replace("127.0.0.1", "localhost") + "/models", headers={"Authorization": "Bearer sk-x-000"}
            )
            assert r.status_code == 200
    assert not network.is_blocked() and socket.socket.connect is original


def test_nesting():
    with network.blocked("outer"):
        with network.blocked("inner"):
            pass
        assert network.is_blocked()
    assert not network.is_blocked()


@pytest.mark.skipif(os.environ.get("KIMI_NETWORK_PROBE") != "1", reason="probe run by test_block_network_option")
def test_probe_blocked_when_asked():
    assert network.is_blocked()
    with pytest.raises(httpx.ConnectError, match="blocked"):
        httpx.get("https://example.com")


@pytest.mark.integration
def test_block_network_option_blocks_the_session():
    env = {**os.environ, "KIMI_NETWORK_PROBE": "1"}
    r = run_child(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--kimi-block-network",
            "tests/online/test_network.py::test_probe_blocked_when_asked",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout[-2000:]
