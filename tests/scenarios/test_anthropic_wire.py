"""Kimi Coding's Anthropic surface on the wire: cassettes per model, usage, and keys that never cross hosts."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harness.cassettes.settings import WireSettings
from harness.catalog import builtin
from harness.emulator import Emulator
from harness.errors import NotRun
from harness.online.client import WireClient
from harness.online.keys import key_owner, provider_key
from harness.reference import transform
from harness.scenarios import anthropic as anthropic_wire
from harness.scenarios import definitions as scenarios
from harness.scenarios.session import WireSession
from harness.util import yamlio
from harness.wire.anthropic_usage import parse_anthropic, parse_any

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
MOONSHOT_CANARY = "sk-canary-moonshot-0123456789"
KIMI_CANARY = "sk-kimi-canary-0123456789"


def anthropic_models():
    return [m for m in builtin().models() if m.api == "anthropic-messages"]


def test_every_anthropic_model_and_scenario_has_an_emulator_cassette():
    assert {m.ref for m in anthropic_models()} == {
        "kimi/kimi-for-coding",
        "kimi/kimi-for-coding-highspeed",
        "kimi/k3",
        "kimi/k3-256k",
    }
    for model in anthropic_models():
        for sid in anthropic_wire.scenario_ids():
            path = scenarios.cassette_path(CASSETTES, model.ref, sid)
            assert path.is_file(), f"missing {path} (python -m harness.cassettes.record -k anthropic)"
            doc = yamlio.safe_load(path.read_text())
            assert doc["provenance"]["source"] == "emulator" and doc["provenance"]["model"] == model.ref
            assert doc["provenance"]["endpoint"] == "https://api.kimi.com/coding"
            assert {i["request"]["uri"] for i in doc["interactions"]} == {"https://api.kimi.com/coding/v1/messages"}
            for i in doc["interactions"]:
                assert i["request"]["headers"]["x-api-key"] == ["<redacted>"]
                assert "authorization" not in i["request"]["headers"]
        # the chat-completions scenarios do not apply to a Messages model
        assert not [sid for sid in scenarios.scenario_ids() if scenarios.applicable(sid, model)]


def test_anthropic_usage_from_a_message_and_from_events():
    msg = {
        "type": "message",
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 4,
            "cache_creation_input_tokens": 2,
        },
    }
    u = parse_anthropic(msg)
    assert (u.prompt_tokens, u.completion_tokens, u.cached_tokens, u.cache_write_tokens) == (16, 5, 4, 2)
    events = [
        {"type": "message_start", "message": {**msg, "usage": {"input_tokens": 10, "output_tokens": 1}}},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 7}},
        {"type": "message_stop"},
    ]
    u = parse_any(events)
    assert (u.prompt_tokens, u.completion_tokens, u.source) == (10, 7, "stream.events")
    assert (
        parse_any(
            {
                "object": "chat.completion",
                "choices": [],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
            }
        ).prompt_tokens
        == 3
    )
    assert parse_anthropic({"type": "error", "error": {}}) is None


# ------------------------------------------------------------------------------- keys
def test_each_environment_variable_belongs_to_one_provider():
    cat = builtin()
    assert key_owner(cat, "MOONSHOT_API_KEY") == "moonshot"
    assert key_owner(cat, "KIMI_API_KEY") == "kimi"  # Kimi Coding's first choice, Moonshot's fallback
    assert key_owner(cat, "KIMICODE_API_KEY") == "kimi"


@pytest.mark.parametrize(
    "env,moonshot,kimi",
    [
        ({"MOONSHOT_API_KEY": MOONSHOT_CANARY, "KIMI_API_KEY": KIMI_CANARY}, MOONSHOT_CANARY, KIMI_CANARY),
        ({"KIMI_API_KEY": KIMI_CANARY}, None, KIMI_CANARY),  # never the Kimi key to api.moonshot.ai
        ({"MOONSHOT_API_KEY": MOONSHOT_CANARY}, MOONSHOT_CANARY, None),
        (
            {"MOONSHOT_API_KEY": MOONSHOT_CANARY, "KIMICODE_API_KEY": MOONSHOT_CANARY},
            None,
            None,
        ),  # one value, two hosts
        ({"KIMICODE_API_KEY": KIMI_CANARY}, None, KIMI_CANARY),
    ],
)
def test_a_provider_only_ever_gets_its_own_key(env, moonshot, kimi):
    cat = builtin()
    got = {pid: (provider_key(cat.providers[pid], cat, env) or (None, None))[1] for pid in ("moonshot", "kimi")}
    assert got == {"moonshot": moonshot, "kimi": kimi}


@pytest.fixture
def sent(monkeypatch):
    """Every request the wire client sends: (host, path, headers)."""
    seen = []
    original = WireClient._send

    def spy(self, url, body, headers):
        seen.append((urlsplit(url).hostname, urlsplit(url).path, dict(headers)))
        return original(self, url, body, headers)

    monkeypatch.setattr(WireClient, "_send", spy)
    return seen


def _run(settings, ref, body_case):
    model = settings.catalog.resolve(ref)
    with WireSession(settings, model, "key-separation") as ws:
        case = {
            "model": ref,
            "request": {"messages": [{"role": "user", "content": "Reply exactly: OK"}], "max_tokens": 20, **body_case},
        }
        return ws.send(transform(case, settings.catalog)["body"])


def test_the_harness_never_sends_one_providers_key_to_the_others_host(monkeypatch, tmp_path, sent):
    """Both canaries set: every request carries its own provider's key, and the emulator — which,
    like the services, answers the other provider's key with 401 — accepts each of them."""
    monkeypatch.setenv("MOONSHOT_API_KEY", MOONSHOT_CANARY)
    monkeypatch.setenv("KIMI_API_KEY", KIMI_CANARY)
    monkeypatch.delenv("KIMICODE_API_KEY", raising=False)
    with Emulator() as emu:
        # --kimi-upstream makes the run online; keys come from the environment as under --kimi-live
        settings = WireSettings(catalog=builtin(), cassette_dir=tmp_path, upstream=emu.base_url)
        monkeypatch.setattr(settings, "live", True)
        results = {
            ref: _run(settings, ref, {}) for ref in ("moonshot/kimi-k2.6", "kimi/kimi-k2p5", "kimi/kimi-for-coding")
        }
        assert {ref: r.status for ref, r in results.items()} == dict.fromkeys(results, 200)
        assert {q["service"] for q in emu.requests} == {"moonshot", "kimi-coding"}
    by_path = {}
    for host, path, headers in sent:
        assert host == "127.0.0.1"
        key = headers.get("x-api-key") or headers["authorization"].removeprefix("Bearer ")
        by_path.setdefault(path, set()).add(key)
        if path.endswith("/v1/messages"):
            assert "authorization" not in headers and headers["user-agent"] == "claude-code/0.1.0"
    assert by_path == {
        "/v1/chat/completions": {MOONSHOT_CANARY},
        "/coding/v1/chat/completions": {KIMI_CANARY},
        "/coding/v1/messages": {KIMI_CANARY},
    }


def test_a_kimi_key_alone_is_never_sent_to_moonshot(monkeypatch, tmp_path, sent):
    monkeypatch.delenv("MOONSHOT_API_KEY", raising=False)
    monkeypatch.delenv("KIMICODE_API_KEY", raising=False)
    monkeypatch.setenv("KIMI_API_KEY", KIMI_CANARY)
    settings = WireSettings(catalog=builtin(), cassette_dir=tmp_path, live=True)
    with pytest.raises(NotRun, match="MOONSHOT_API_KEY"):
        _run(settings, "moonshot/kimi-k2.6", {})
    assert sent == []


def test_the_emulator_stand_in_for_a_messages_model_is_its_coding_root(tmp_path):
    settings = WireSettings(catalog=builtin(), cassette_dir=tmp_path, upstream="http://127.0.0.1:9/v1")
    cat = builtin()
    assert settings.upstream_for(cat.resolve("kimi/kimi-for-coding")) == "http://127.0.0.1:9/coding"
    assert settings.upstream_for(cat.resolve("kimi/kimi-k2p5")) == "http://127.0.0.1:9/coding/v1"
    settings.upstream_kimi = "http://127.0.0.1:10/coding/v1"
    assert settings.upstream_for(cat.resolve("kimi/k3")) == "http://127.0.0.1:10/coding"
    assert settings.canonical_base(cat.resolve("kimi/k3")) == "https://api.kimi.com/coding"
