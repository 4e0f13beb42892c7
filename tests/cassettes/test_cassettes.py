"""Cassettes: secrets scrubbed, readable format, stale guard, atomic writes, provenance honesty,
event-by-event stream replay, and the committed cassettes' coverage."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import httpx
import pytest
import yaml

from harness.cassettes import provenance
from harness.cassettes._vcr import CassetteSession, StaleCassette
from harness.catalog import builtin
from harness.emulator import Emulator
from harness.online.client import WireClient
from harness.scenarios import definitions as scenarios
from harness.util import scrub, yamlio
from harness.util.fs import atomic_write
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "cassettes"
CANARY = "sk-canary-0123456789abcdefSECRET"


@pytest.fixture
def emulator():
    with Emulator() as emu:
        yield emu


def record(path, emu, bodies, key=CANARY, mode="rewrite"):
    with CassetteSession(
        path, mode=mode, upstream_base=emu.base_url, canonical_base="https://api.moonshot.ai/v1"
    ) as cs:
        with WireClient(emu.base_url, key) as client:
            out = [client.chat(b) for b in bodies]
        cs.set_provenance(provenance.Provenance("emulator", "moonshot/kimi-k2.6", "test").to_dict())
    return out


def replay(path, bodies, mode="none"):
    with (
        CassetteSession(path, mode=mode) as cs,
        WireClient("https://api.moonshot.ai/v1", "sk-replay-key-0000") as client,
    ):
        out = [client.chat(b) for b in bodies]
    return cs, out


def chat(text="Reply exactly: hi", **kw):
    return {"model": "kimi-k2.6", "messages": [{"role": "user", "content": text}], "max_tokens": 50, **kw}


# ------------------------------------------------------------------------------- secrets
def test_secret_canary_never_reaches_cassette_or_logs(tmp_path, emulator, caplog):
    caplog.set_level(logging.DEBUG, logger="harness.wire")
    path = tmp_path / "c.yaml"
    bodies = [
        chat(f"Reply exactly: {CANARY}"),
        chat(f"Reply exactly: {CANARY}", stream=True, stream_options={"include_usage": True}),
    ]
    got = record(path, emulator, bodies)
    assert CANARY in got[0].text  # the emulator echoed it: the response really carried the key
    text = path.read_text()
    assert CANARY not in text and "sk-" not in text
    assert scrub.REDACTED_KEY in text and scrub.REDACTED_AUTH in text
    assert CANARY not in caplog.text and "sk-canary" not in caplog.text
    assert "POST" in caplog.text  # the log did record the exchange


def test_scrub_functions():
    assert scrub.scrub_text(f"key {CANARY}.") == f"key {scrub.REDACTED_KEY}."
    assert scrub.scrub_text("task-12 disk-3 ask-me") == "task-12 disk-3 ask-me"
    h = scrub.scrub_response_headers({"Set-Cookie": ["a"], "msh-request-id": ["x"], "Content-Type": ["j"]})
    assert h == {"Content-Type": ["j"]}
    r = scrub.scrub_request_headers(
        {
            "Authorization": f"Bearer {CANARY}",
            "x-api-key": CANARY,
            "user-agent": "u",
            "content-type": "application/json",
        }
    )
    assert r == {"Authorization": scrub.REDACTED_AUTH, "x-api-key": "<redacted>", "content-type": "application/json"}
    assert scrub.scrub_obj({"a": [CANARY, 1]}) == {"a": [scrub.REDACTED_KEY, 1]}


# ------------------------------------------------------------------------------- format + replay
def test_readable_format_and_event_by_event_replay(tmp_path, emulator):
    path = tmp_path / "c.yaml"
    stream = chat(stream=True, stream_options={"include_usage": True})
    live = record(path, emulator, [chat(), stream])
    doc = yamlio.safe_load(path.read_text())
    assert list(doc)[:2] == ["provenance", "interactions"]
    first, second = doc["interactions"]
    assert first["request"]["body"]["json"]["model"] == "kimi-k2.6"  # parsed, not a string
    assert first["response"]["body"]["json"]["object"] == "chat.completion"
    assert first["request"]["uri"] == "https://api.moonshot.ai/v1/chat/completions"  # canonical, no port
    sse = second["response"]["body"]["string"]
    lines = [ln for ln in sse.splitlines() if ln]
    assert all(ln.startswith("data: ") for ln in lines) and lines[-1] == "data: [DONE]"
    assert len(lines) == len(live[1].events)
    _, (plain, streamed) = replay(path, [chat(), stream])
    assert plain.json == live[0].json
    assert streamed.chunks == live[1].chunks
    assert streamed.byte_chunks == len(lines) > 1  # one piece per event, not one blob


def test_httpx_iter_lines_on_replay_yields_many(tmp_path, emulator):
    path = tmp_path / "c.yaml"
    record(path, emulator, [chat(stream=True)])
    with (
        CassetteSession(path, mode="none"),
        httpx.Client() as c,
        c.stream(
            "POST",
            "https://api.moonshot.ai/v1/chat/completions",
            json=chat(stream=True),
            headers={"authorization": "Bearer x"},
        ) as r,
    ):
        pieces = list(r.iter_bytes())
    assert len(pieces) > 1 and all(p.endswith(b"\n\n") for p in pieces)


def test_changed_request_does_not_replay(tmp_path, emulator):
    path = tmp_path / "c.yaml"
    record(path, emulator, [chat()])
    with pytest.raises(Exception, match="json_body differs"):
        replay(path, [chat("Reply exactly: something else")])


# ------------------------------------------------------------------------------- stale guard
def test_stale_guard_names_unplayed_interactions(tmp_path, emulator):
    path = tmp_path / "c.yaml"
    record(path, emulator, [chat("Reply exactly: one"), chat("Reply exactly: two")])
    cs, _ = replay(path, [chat("Reply exactly: one")])
    assert len(cs.unplayed()) == 1
    with pytest.raises(StaleCassette, match="1 recorded interaction"):
        cs.check_all_played()
    cs, _ = replay(path, [chat("Reply exactly: one"), chat("Reply exactly: two")])
    cs.check_all_played()


@pytest.mark.integration
def test_stale_guard_fails_the_wire_test(tmp_path, emulator):
    """A cassette with an extra interaction makes the wire test itself fail."""
    import sys

    src = CASSETTES / "moonshot" / "kimi-k2.6" / "plain.yaml"
    dst = tmp_path / "moonshot" / "kimi-k2.6" / "plain.yaml"
    dst.parent.mkdir(parents=True)
    doc = yamlio.safe_load(src.read_text())
    extra = json.loads(json.dumps(doc["interactions"][0]))
    extra["request"]["body"]["json"]["messages"][0]["content"] = "never sent"
    doc["interactions"].append(extra)
    dst.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = run_child(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/wire",
            "-q",
            "-p",
            "no:cacheprovider",
            "--kimi-model",
            "moonshot/kimi-k2.6",
            "-k",
            "plain",
            f"--kimi-cassette-dir={tmp_path}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, r.stdout[-2000:]
    assert "stale cassette" in r.stdout and "never played" in r.stdout


# ------------------------------------------------------------------------------- atomic writes
def test_crash_mid_write_leaves_no_partial_cassette(tmp_path, monkeypatch):
    path = tmp_path / "c.yaml"
    path.write_text("old: intact\n")

    def crash(fd):
        raise OSError("simulated crash while writing")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        atomic_write(path, "new: " + "x" * 100000)
    assert path.read_text() == "old: intact\n"
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]  # no temp file left behind
    monkeypatch.undo()
    fresh = tmp_path / "sub" / "d.yaml"
    atomic_write(fresh, "a: 1\n")
    assert fresh.read_text() == "a: 1\n"


def test_failed_test_writes_nothing(tmp_path, emulator):
    path = tmp_path / "c.yaml"
    with (
        pytest.raises(RuntimeError),
        CassetteSession(
            path, mode="rewrite", upstream_base=emulator.base_url, canonical_base="https://api.moonshot.ai/v1"
        ),
    ):
        with WireClient(emulator.base_url, "sk-x-000") as client:
            client.chat(chat())
        raise RuntimeError("test failed half way")
    assert not path.exists()


def test_rewrite_keeps_old_cassette_until_done(tmp_path, emulator):
    path = tmp_path / "c.yaml"
    record(path, emulator, [chat("Reply exactly: one")])
    before = path.read_text()
    with (
        pytest.raises(RuntimeError),
        CassetteSession(
            path, mode="rewrite", upstream_base=emulator.base_url, canonical_base="https://api.moonshot.ai/v1"
        ),
    ):
        with WireClient(emulator.base_url, "sk-x-000") as client:
            client.chat(chat("Reply exactly: two"))
        raise RuntimeError("crash")
    assert path.read_text() == before


# ------------------------------------------------------------------------------- provenance
def test_provenance_classification_is_by_observation():
    hosts = {"api.moonshot.ai", "api.moonshot.cn", "api.kimi.com"}
    assert provenance.classify("http://127.0.0.1:9/v1", live_hosts=hosts, emulator_marker_seen=False) == "emulator"
    assert provenance.classify("http://localhost:9/v1", live_hosts=hosts, emulator_marker_seen=False) == "emulator"
    assert provenance.classify("https://api.moonshot.ai/v1", live_hosts=hosts, emulator_marker_seen=True) == "emulator"
    assert provenance.classify("https://api.moonshot.ai/v1", live_hosts=hosts, emulator_marker_seen=False) == "live"
    assert provenance.classify("https://proxy.example/v1", live_hosts=hosts, emulator_marker_seen=False) == "upstream"
    with pytest.raises(ValueError):
        provenance.Provenance("real", "m", "s")  # real only with the capture it was built from
    with pytest.raises(ValueError):
        provenance.Provenance("recorded", "m", "s")
    p = provenance.Provenance("real", "m", "s", capture="src/f.json", origin="github.com/o/r@abc", request="captured")
    assert provenance.Provenance.from_dict(p.to_dict()) == p
    assert "capture" not in provenance.Provenance("emulator", "m", "s").to_dict()


def test_recording_against_emulator_with_live_flag_says_emulator(tmp_path, emulator, monkeypatch):
    from harness.cassettes.settings import WireSettings
    from harness.online.budget import Budget
    from harness.scenarios.chat import run_scenario
    from harness.scenarios.session import WireSession

    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-fake-live-key-000000")
    settings = WireSettings(
        catalog=builtin(),
        cassette_dir=tmp_path,
        record_mode="rewrite",
        live=True,
        upstream=emulator.base_url,
        budget=Budget(1),
    )
    model = builtin().resolve("moonshot/kimi-k2.6")
    with WireSession(settings, model, "plain") as ws:
        run_scenario(ws, "plain")
    p = provenance.read(scenarios.cassette_path(tmp_path, model.ref, "plain"))
    assert p.source == "emulator" and p.upstream_host == "127.0.0.1" and p.model == "moonshot/kimi-k2.6"
    assert "sk-fake" not in scenarios.cassette_path(tmp_path, model.ref, "plain").read_text()


# ------------------------------------------------------------------------------- committed cassettes
def _pairs():
    return scenarios.pairs(builtin().models())


def test_every_catalog_model_and_scenario_has_a_cassette():
    """Every (model, scenario) pair of every provider — moonshot/ and kimi/ (Kimi Coding, recorded
    from the emulator's /coding/v1) — has its cassette; no catalog model is left out."""
    missing = [f"{ref} {sid}" for ref, sid in _pairs() if not scenarios.cassette_path(CASSETTES, ref, sid).is_file()]
    assert not missing, f"missing cassettes (python -m harness.cassettes.record): {missing}"
    models = {ref for ref, _ in _pairs()}
    # Anthropic Messages models have their own scenarios (tests/scenarios/test_anthropic_wire.py)
    assert models == {m.ref for m in builtin().models() if m.api == "openai-completions"}
    for provider in ("moonshot", "kimi"):
        skip = scenarios.data()["providers"].get(provider, {}).get("replay_without_cassette")
        assert skip is None, f"{provider}: a missing cassette must fail the replay, not skip it"


def test_kimi_cassettes_point_at_the_kimi_coding_endpoint():
    for f in sorted((CASSETTES / "kimi").rglob("*.yaml")):
        doc = yamlio.safe_load(f.read_text())
        uris = {i["request"]["uri"] for i in doc["interactions"]}
        if f.name.startswith("messages-"):  # the Anthropic Messages surface
            assert doc["provenance"]["endpoint"] == "https://api.kimi.com/coding", f
            assert uris == {"https://api.kimi.com/coding/v1/messages"}, (f, uris)
            continue
        assert doc["provenance"]["endpoint"] == "https://api.kimi.com/coding/v1", f
        assert uris == {"https://api.kimi.com/coding/v1/chat/completions"}, (f, uris)


def test_committed_cassettes_are_clean_small_and_valid():
    from harness.cassettes.captures import validate_path

    files = sorted(CASSETTES.rglob("*.yaml"))
    assert files
    total = sum(f.stat().st_size for f in files)
    assert total < 3 * 1024 * 1024, f"cassettes take {total} bytes"
    for f in files:
        text = f.read_text()
        assert "sk-" not in text, f"{f} contains 'sk-'"
        p = provenance.read(f)
        rel = f.relative_to(CASSETTES)
        if rel.parts[0] == "real":  # built from a real capture (tests/cassettes/test_real_cassettes.py)
            assert p is not None and p.source == "real" and p.scenario == f.stem, f"{f}: provenance {p}"
            continue
        assert p is not None and p.source in ("emulator", "live"), f"{f}: provenance {p}"
        assert p.model == f"{rel.parts[0]}/{rel.parts[1]}" and p.scenario == f.stem
    bad = [r for r in validate_path(CASSETTES) if r.ok is False]
    assert not bad, "\n".join(f"{r.file}: {r.errors[:3]}" for r in bad)


def test_scenarios_keep_live_runs_cheap():
    cat = builtin()
    for ref, sid in scenarios.pairs(cat.models()):
        case = scenarios.case_for(sid, cat.resolve(ref))
        assert 0 < case["request"]["max_tokens"] <= 256


# ------------------------------------------------------------------------------- failure attachments
@pytest.mark.integration
def test_failing_wire_test_carries_scrubbed_bodies(tmp_path):
    """A doctored cassette replays a 400 where the scenario expects 200: the wire test fails and
    still carries what went over the wire — wire.request / wire.response / wire.steps in its
    user_properties (junit XML) and as Allure attachments — with the canary key scrubbed."""
    import sys
    import xml.etree.ElementTree as ET

    src = CASSETTES / "moonshot" / "kimi-k2.6" / "plain.yaml"
    dst = tmp_path / "cassettes" / "moonshot" / "kimi-k2.6" / "plain.yaml"
    dst.parent.mkdir(parents=True)
    doc = yamlio.safe_load(src.read_text())
    resp = doc["interactions"][0]["response"]
    resp["status"] = {"code": 400, "message": "Bad Request"}
    resp["body"] = {
        "json": {
            "error": {
                "message": f"Invalid request: your key {CANARY} is not allowed here",
                "type": "invalid_request_error",
            }
        }
    }
    dst.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert CANARY in dst.read_text()
    junit, allure_dir = tmp_path / "junit.xml", tmp_path / "allure"
    r = run_child(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/wire",
            "-q",
            "-p",
            "no:cacheprovider",
            "--kimi-model",
            "moonshot/kimi-k2.6",
            "-k",
            "plain",
            f"--kimi-cassette-dir={dst.parents[2]}",
            f"--junitxml={junit}",
            f"--alluredir={allure_dir}",
            f"--kimi-results-dir={tmp_path / 'results'}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and "1 failed" in r.stdout, r.stdout[-2000:]
    assert "[wire.status] at /response/status: expected 200, got 400" in r.stdout
    assert "sk-canary" not in r.stdout + r.stderr
    # the scenario's verdict is data: its violation (rule, check id, pointer) is in the results file
    results = json.loads((tmp_path / "results" / "results-wire-emulator.json").read_text())["results"]
    failed = next(rec for rec in results if rec["outcome"] == "failed")
    assert [(v["rule"], v["check"], v["path"], v["expected"], v["actual"]) for v in failed["violations"]] == [
        ("wire", "wire.status", "/response/status", 200, 400)
    ]

    xml = junit.read_text()
    assert "sk-canary" not in xml
    case = next(c for c in ET.parse(junit).iter("testcase") if "plain" in c.get("name", ""))
    assert case.find("failure") is not None
    props = {}
    for p in case.iter("property"):
        props.setdefault(p.get("name"), []).append(p.get("value"))
    assert set(props) >= {"wire.request", "wire.response", "wire.steps"}
    assert "Reply exactly: KIMI_WIRE_OK" in props["wire.request"][0]
    assert "400" in props["wire.response"][0] and scrub.REDACTED_KEY in props["wire.response"][0]
    assert "'status': 400" in props["wire.steps"][0]

    files = [f for f in allure_dir.iterdir() if f.is_file()]
    assert not [f.name for f in files if b"sk-canary" in f.read_bytes()]
    result = next(
        json.loads(f.read_text())
        for f in files
        if f.name.endswith("-result.json")
        and "plain" in json.loads(f.read_text())["name"]
        and "messages" not in json.loads(f.read_text())["name"]
    )
    assert result["status"] == "failed"
    names = {a["name"]: a["source"] for a in result.get("attachments", [])}
    assert {"request body", "response body", "wire exchanges"} <= set(names), names
    body = (allure_dir / names["response body"]).read_text()
    assert "invalid_request_error" in body and "<redacted" in body and "sk-canary" not in body
