"""`kimi-conformance websearch` and `kimi-conformance smoke` against the emulator (in-process,
--kimi-upstream, and --kimi-live pointed at a loopback emulator through a config), keys never printed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.endpoints import EMULATOR_KEYS
from harness.cli.main import main
from harness.emulator import Emulator
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]
CANARY = "sk-canary-online-0123456789abcdef"
# Kimi Coding issues its own keys (sk-kimi-…): the emulator, like the service, refuses others there
KIMI_CANARY = "sk-kimi-canary-online-0123456789abcdef"
KEY_VARS = ("KIMI_API_KEY", "MOONSHOT_API_KEY", "KIMICODE_API_KEY")


@pytest.fixture
def no_keys(monkeypatch):
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


def test_websearch_in_process_emulator(no_keys, capsys):
    assert main(["websearch", "latest kimi news"]) == 0
    out = capsys.readouterr().out
    assert "(emulator, in-process)" in out and "finish_reason: stop" in out
    assert 'answer:    Emulated web search for "latest kimi news"' in out
    assert "citations: (none returned)" in out
    assert "$web_search call(s) x $0.005" in out and "$0.004" in out


def test_websearch_live_without_a_key_is_one_line_and_exit_2(no_keys, capsys):
    assert main(["websearch", "q", "--live"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "kimi-conformance websearch: live run needs an API key for provider moonshot (web search): set MOONSHOT_API_KEY (or webSearch.apiKey)"
    ]


def test_websearch_rejects_a_model_without_web_search(no_keys, capsys):
    assert main(["websearch", "q", "--model", "kimi/kimi-for-coding"]) == 2
    assert "is catalogued for moonshot/" in capsys.readouterr().err


def live_config(tmp_path, emu, web_search_key=None, **moonshot):
    """A config whose catalog endpoints are the loopback emulator: --kimi-live without leaving the host."""
    ws = {"baseUrl": emu.base_url + "/", **({"apiKey": web_search_key} if web_search_key else {})}
    cfg = {
        "models": {
            "providers": {
                "moonshot": {"baseUrl": emu.base_url, "models": [], **moonshot},
                "kimi": {"baseUrl": emu.coding_base_url.removesuffix("/v1"), "models": []},  # its Messages surface
            }
        },
        "plugins": {"entries": {"moonshot": {"config": {"webSearch": ws}}}},
    }
    p = tmp_path / "openclaw.json"
    p.write_text(json.dumps(cfg))
    return p


def test_live_keys_come_from_env_or_config_and_are_never_printed(no_keys, tmp_path, monkeypatch, capsys):
    kimi_canary = KIMI_CANARY
    with Emulator(api_keys=[CANARY, kimi_canary]) as emu:
        # moonshot and web search keys only in the config (the plugin's apiKey comes first)
        cfg = live_config(tmp_path, emu, web_search_key=CANARY, apiKey=CANARY)
        monkeypatch.setenv("KIMI_API_KEY", kimi_canary)  # the kimi key from the environment
        assert main(["smoke", "--live", "--config", str(cfg)]) == 0
        assert main(["websearch", "news", "--live", "--config", str(cfg)]) == 0
        sent = [
            r["headers"].get("Authorization") or r["headers"].get("authorization") or r["headers"].get("x-api-key")
            for r in emu.requests
        ]  # x-api-key: the Messages surface
    out = capsys.readouterr()
    assert out.out.count("answer: 'KIMI_LIVE_OK'") == 2 and "finish_reason: stop" in out.out
    assert CANARY not in out.out + out.err and kimi_canary not in out.out + out.err
    assert sent and all(s in ("Bearer [REDACTED]", "[REDACTED]") for s in sent)  # the emulator accepted the canary key


def test_websearch_live_key_from_the_config_wins(no_keys, tmp_path, monkeypatch, capsys):
    """OpenClaw: webSearch.apiKey, else KIMI_API_KEY, else MOONSHOT_API_KEY; baseUrl from webSearch."""
    monkeypatch.setenv("KIMI_API_KEY", "sk-wrong-key-from-env")
    with Emulator(api_keys=[CANARY]) as emu:
        cfg = live_config(tmp_path, emu, web_search_key=CANARY)
        assert main(["websearch", "news", "--live", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert f"endpoint:  {emu.base_url}\n" in out and CANARY not in out


def test_web_search_precedence():
    from harness.catalog import builtin
    from harness.online.keys import run_key
    from harness.online.websearch import live_endpoint

    assert live_endpoint({"baseUrl": "https://x.test/v1/"}, "https://api.moonshot.cn/v1") == "https://x.test/v1"
    assert live_endpoint({}, "https://api.moonshot.cn/v1/") == "https://api.moonshot.cn/v1"
    assert live_endpoint({}, "https://proxy.test/v1") == "https://api.moonshot.ai/v1"
    cat = builtin()
    moonshot = cat.providers["moonshot"]
    # webSearch.apiKey, else Moonshot's own variable; KIMI_API_KEY is Kimi Coding's and never goes there
    assert run_key(moonshot, cat, "sk-cfg", {"KIMI_API_KEY": "sk-k"}) == "sk-cfg"
    assert run_key(moonshot, cat, None, {"KIMI_API_KEY": " ", "MOONSHOT_API_KEY": "sk-m"}) == "sk-m"
    assert run_key(moonshot, cat, None, {"KIMI_API_KEY": "sk-k", "MOONSHOT_API_KEY": "sk-m"}) == "sk-m"
    assert run_key(moonshot, cat, None, {"KIMI_API_KEY": "sk-k"}) is None
    assert run_key(moonshot, cat, None, {"MOONSHOT_API_KEY": "sk-same", "KIMI_API_KEY": "sk-same"}) is None


def test_a_kimi_key_alone_never_reaches_a_moonshot_host(no_keys, tmp_path, monkeypatch, capsys):
    """Only KIMI_API_KEY set (Kimi Coding's): smoke and websearch --live, their endpoints on a loopback
    emulator that records every request's key, send it to Kimi Coding's paths only, never Moonshot's."""
    monkeypatch.setenv("KIMI_API_KEY", KIMI_CANARY)
    with Emulator(api_keys=[KIMI_CANARY]) as emu:
        cfg = live_config(tmp_path, emu)
        smoke = main(["smoke", "--live", "--config", str(cfg)])
        websearch = main(["websearch", "news", "--live", "--config", str(cfg)])
        by_path = {}
        for r in emu.requests:
            sent = (
                r["headers"].get("Authorization") or r["headers"].get("authorization") or r["headers"].get("x-api-key")
            )
            by_path.setdefault(r["path"], set()).add(sent)
    out = capsys.readouterr()
    assert smoke == 2 and websearch == 2  # the Moonshot model and the web search: no Moonshot key, one line each
    assert "MOONSHOT_API_KEY" in out.out + out.err and KIMI_CANARY not in out.out + out.err
    assert by_path and all(path.startswith("/coding") for path in by_path), by_path  # Moonshot's /v1: nothing


def test_smoke_reports_a_wrong_answer(no_keys, capsys, monkeypatch):
    from harness.cli import smoke as cli_smoke

    monkeypatch.setattr(cli_smoke, "SMOKE_PROMPT", "Reply exactly: SOMETHING_ELSE")
    assert main(["smoke", "--model", "moonshot/kimi-k2.6"]) == 1
    assert "FAIL  answer: 'SOMETHING_ELSE'" in capsys.readouterr().out


@pytest.mark.integration
def test_smoke_against_a_running_emulator():
    """Done-when of issue 11: against `kimi-conformance emulator serve`, smoke --upstream prints
    KIMI_LIVE_OK per provider (moonshot -> kimi-k2.6, kimi -> kimi-for-coding)."""
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    server = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "emulator", "serve", "--port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = server.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:") and base.endswith("/v1")
        r = run_child(
            [sys.executable, "-m", "harness.cli.main", "smoke", "--upstream", base],
            check=False,
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["moonshot", "kimi-k2.6"] and lines[0].split()[2] == base
    assert lines[2].split()[:2] == ["kimi", "kimi-for-coding"] and lines[2].split()[2].endswith("/coding")
    assert r.stdout.count("OK    answer: 'KIMI_LIVE_OK'") == 2
    assert "estimated cost $" in r.stdout and "usage: input" in r.stdout


def run_smoke_suite(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    env.update(env_extra or {})
    return run_child(
        [sys.executable, "-m", "pytest", "suites/wire/test_smoke.py", "-q", "-rs", "-p", "no:cacheprovider", *args],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.integration
def test_smoke_suite_runs_against_upstream_and_skips_clearly_otherwise(tmp_path):
    offline = run_smoke_suite()
    assert offline.returncode == 0 and "2 skipped" in offline.stdout
    assert "give --kimi-live (MOONSHOT_API_KEY / KIMI_API_KEY) or --kimi-upstream URL" in offline.stdout
    no_keys = run_smoke_suite("--kimi-live")
    assert "set MOONSHOT_API_KEY (its own key" in no_keys.stdout and "2 skipped" in no_keys.stdout
    with Emulator(api_keys=[CANARY, KIMI_CANARY, *EMULATOR_KEYS.values()]) as emu:
        online = run_smoke_suite("--kimi-upstream", emu.base_url, "--junitxml", str(tmp_path / "j.xml"))
        assert online.returncode == 0 and "2 passed" in online.stdout, online.stdout + online.stderr
        # --kimi-live with the canary key, the catalog endpoints pointed at the emulator by a config
        cfg = live_config(tmp_path, emu)
        live = run_smoke_suite(
            "--kimi-live",
            "--kimi-config",
            str(cfg),
            "--junitxml",
            str(tmp_path / "l.xml"),
            env_extra={"MOONSHOT_API_KEY": CANARY, "KIMI_API_KEY": KIMI_CANARY},
        )
    assert live.returncode == 0 and "2 passed" in live.stdout, live.stdout + live.stderr
    for text in (live.stdout, live.stderr, (tmp_path / "l.xml").read_text()):
        assert CANARY not in text


def test_websearch_auth_error_is_reported_with_the_region_hint(no_keys, tmp_path, monkeypatch, capsys):
    wrong = "sk-canary-wrong-region-0123456789"
    monkeypatch.setenv("MOONSHOT_API_KEY", wrong)
    with Emulator(api_keys=[CANARY]) as emu:
        assert main(["websearch", "news", "--live", "--config", str(live_config(tmp_path, emu))]) == 1
    out = capsys.readouterr()
    assert (
        "error:     HTTP 401: invalid_authentication_error Invalid Authentication (a key from platform.moonshot.cn"
        in out.out
    )
    assert wrong not in out.out + out.err
