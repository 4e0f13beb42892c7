"""Cassettes of real provenance: built from the shipped captures, one per source at least, equal to
their captures, checks that can fail, and the emulator held to their shapes and error texts."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import pytest

from harness.cassettes import provenance, real
from harness.cassettes.captures import SHIPPED
from harness.emulator import Emulator
from harness.scenarios import real_checks
from harness.util import yamlio
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "cassettes"


def replayed(cid: str):
    return real.replay(real.entry(cid), CASSETTES)


# --- the cassettes ----------------------------------------------------------------------------
def test_real_cassettes_are_up_to_date_with_their_captures():
    stale = real.write_all(CASSETTES, check=True)
    assert stale == [], f"rebuild with python -m harness.cassettes.real: {stale}"


def test_every_capture_source_has_real_cassettes_and_every_real_cassette_is_listed():
    sources = {p.name for p in SHIPPED.iterdir() if p.is_dir()}
    assert {e["source"] for e in real.entries()} == sources
    listed = {real.cassette_path(CASSETTES, e) for e in real.entries()}
    assert set((CASSETTES / real.REAL_DIR).rglob("*.yaml")) == listed
    for path in listed:
        p = provenance.read(path)
        assert p is not None and p.source == "real" and p.request in ("captured", "reconstructed"), path
        assert (SHIPPED / p.capture).is_file() and p.origin.startswith("github.com/")


@pytest.mark.parametrize("cid", [e["id"] for e in real.entries() if e["request"] != "capture"])
def test_replayed_answer_is_the_captured_answer(cid):
    e = real.entry(cid)
    (x,) = replayed(cid)
    capture = SHIPPED / e["source"] / e["captures"][0]
    if x.response.streamed:
        if capture.suffix == ".json":
            assert x.response.chunks == [json.loads(capture.read_text())]
        else:
            assert x.response.chunks == [json.loads(ln) for ln in capture.read_text().splitlines() if ln.strip()]
        assert x.response.byte_chunks > 1 or len(x.response.chunks) == 1, "replayed event by event"
    else:
        assert x.response.json == json.loads(capture.read_text())
    assert x.response.status == e["status"]


def test_go_vcr_requests_and_answers_are_the_captured_ones():
    e = real.entry("multi-tool-streaming-kimi-k2-moonshotai")
    doc = yamlio.safe_load((SHIPPED / e["source"] / e["captures"][0]).read_text())
    exchanges = replayed(e["id"])
    assert [x.request for x in exchanges] == [json.loads(i["request"]["body"]) for i in doc["interactions"]]
    ids = [i for x in exchanges for _, i in real_checks.tool_call_ids(real_checks.body_of(x.response))]
    assert ids == ["add:0", "multiply:1"]


# --- the checks can fail ----------------------------------------------------------------------
def _checks(cid: str, mutate) -> set[str]:
    e = real.entry(cid)
    exchanges = replayed(cid)
    mutate(exchanges)
    return {v.check for v in real_checks.run(e, exchanges)}


def test_unmodified_real_answers_pass_their_checks():
    assert _checks("usage-live-stream", lambda xs: None) == set()


def test_a_missing_trailing_usage_chunk_is_a_t8_violation():
    def drop(xs):
        xs[0].response.chunks = [c for c in xs[0].response.chunks if c.get("choices") != []]

    assert "T8.trailing-usage" in _checks("usage-live-stream", drop)


def test_usage_missing_from_the_finish_chunk_is_a_t9_violation():
    def strip(xs):
        for c in xs[0].response.chunks:
            for ch in c.get("choices") or []:
                ch.pop("usage", None)

    assert "T9.usage-present" in _checks("stream-choice-usage-stream", strip)


def test_cached_tokens_beyond_the_prompt_are_a_t9_violation():
    def inflate(xs):
        xs[0].response.json["usage"]["cached_tokens"] = 10**6

    assert "T9.cached-within-prompt" in _checks("usage-live", inflate)


def test_an_error_table_that_disagrees_with_the_real_text_is_a_violation():
    def reword(xs):
        xs[0].response.json["error"]["message"] = "tool_choice required is not allowed"

    assert "errors.table" in _checks("required-tool-choice-error", reword)


def test_a_tool_call_id_of_an_unlisted_form_is_a_t6_violation():
    def rename(xs):
        xs[0].response.json["choices"][0]["message"]["tool_calls"][0]["id"] = "toolu_01X|y"

    assert "T6.upstream-id-form" in _checks("metadata-live", rename)


# --- the emulator against real answers ---------------------------------------------------------
def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return type(v).__name__


def sig(chunk, ignore=()) -> str:
    return json.dumps(shape({k: v for k, v in chunk.items() if k not in ignore}), sort_keys=True)


def collapse(seq):
    return [s for i, s in enumerate(seq) if i == 0 or s != seq[i - 1]]


def emulator_answer(e: dict):
    how = e["emulator"]
    body = copy.deepcopy(how.get("request", e["request"]))
    with (
        Emulator() as emu,
        httpx.Client(
            base_url=emu.base_url,
            headers={"Authorization": "Bearer sk-test-key"},
            timeout=10,
            verify=False,
        ) as c,
    ):
        for _ in range(2 if how.get("twice") else 1):  # twice: the prompt cache hits, cached tokens appear
            r = c.post("/chat/completions", json=body)
    if "event-stream" not in r.headers.get("content-type", ""):
        return r.status_code, r.json()
    events = [ln.removeprefix("data: ") for ln in r.text.split("\n\n") if ln]
    assert events[-1] == "[DONE]"
    return r.status_code, [json.loads(x) for x in events[:-1]]


@pytest.mark.parametrize("cid", [e["id"] for e in real.entries() if e.get("emulator")])
def test_emulator_matches_the_real_answer(cid):
    e = real.entry(cid)
    (x,) = replayed(cid)
    status, got = emulator_answer(e)
    assert status == x.response.status
    mode, ignore = e["emulator"]["compare"], e["emulator"].get("ignore", ())
    if mode == "body":  # error texts: byte for byte what the real API said
        assert got == x.response.json
    elif mode == "shape":
        assert shape(got) == shape(x.response.json)
    elif mode == "stream":
        assert collapse([sig(c) for c in got]) == collapse([sig(c) for c in x.response.chunks])
    elif mode == "stream-set":
        assert {sig(c, ignore) for c in got} == {sig(c, ignore) for c in x.response.chunks}
    elif mode == "last-chunk":
        assert shape(got[-1]) == shape(x.response.chunks[-1])
    else:
        pytest.fail(f"{cid}: unknown emulator comparison {mode!r} in {real.SPEC.name}")
    if "tool_call_ids" in e["checks"]:  # the emulator gives the ids the real API gave for the same tool
        want = [i for _, i in real_checks.tool_call_ids(real_checks.body_of(x.response))]
        assert want and [i for _, i in real_checks.tool_call_ids(got)] == want


# --- shown apart in the report ------------------------------------------------------------------
@pytest.mark.integration
def test_the_report_groups_real_cassettes_apart(tmp_path):
    import sys

    r = run_child(
        [sys.executable, "-m", "pytest", "suites/wire", "-q", "-p", "no:cacheprovider",
         "--kimi-model", "moonshot/kimi-k2.6", "-k", "usage-live or plain",
         "--alluredir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-2000:]
    epics: dict[str, set[str]] = {}
    for p in tmp_path.glob("*-result.json"):
        result = json.loads(p.read_text())
        labels = result["labels"]
        if result["status"] == "skipped" and "no-model" in result["name"]:
            continue  # a surface none of the selected models takes: one placeholder, skipped
        epic = next(lb["value"] for lb in labels if lb["name"] == "epic")
        prov = {lb["value"] for lb in labels if lb["name"] == "provenance"}
        epics.setdefault(epic, set()).update(prov)
    assert epics.get("wire (real)") == {"real"}
    assert epics.get("wire (emulator)") == {"emulator"}
