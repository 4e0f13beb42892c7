"""Running a wire scenario: replayed from its cassette, or sent to an upstream (and recorded).

`WireSettings` is the session (from the plugin's options); `WireSession` is one model x scenario:
it opens the cassette (replay / record) or none (plain live run), sends through `WireClient`,
and on exit checks the stale-cassette guard and writes provenance. `run_scenario` holds the
checks every response goes through: status and documented error, wire schemas, usage and
cost against the catalog prices, stream shapes (T8/T9).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from harness.cassettes import provenance as prov
from harness.cassettes import scenarios as sc
from harness.cassettes import scrub
from harness.live import (
    Budget,
    BudgetExceeded,
    RetryPolicy,
    UpstreamBroken,
    WireClient,
    WireResponse,
    budget_prices,
    catalog_prices,
    key_owner,
    missing_key_reason,
    provider_key,
)
from harness.upstream import UpstreamHealth

REPLAY_KEY = "sk-kimi-conformance-replay"  # never sent anywhere: replayed requests are not matched on headers
# Keys the harness sends to the emulator, one per provider: the emulator, like the real services,
# answers one provider's key on the other's host with 401 (Kimi Coding keys start sk-kimi-).
EMULATOR_KEYS = {"moonshot": "sk-conformance-emulator-moonshot", "kimi": "sk-kimi-conformance-emulator"}
EMULATOR_KEY = EMULATOR_KEYS["moonshot"]


@dataclass
class WireSettings:
    catalog: Any
    cassette_dir: Path
    record_mode: str = "none"
    live: bool = False
    upstream: str | None = None  # stands in for the Moonshot endpoint (e.g. the emulator's /v1)
    upstream_kimi: str | None = None  # stands in for Kimi Coding; default derived from upstream
    endpoint: str = "international"
    budget: Budget | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # online runs: transport errors name the URL, requests have a total deadline, a gone upstream
    # ends the remaining wire sessions at once (harness.upstream)
    upstream_health: UpstreamHealth = field(default_factory=UpstreamHealth)

    @property
    def online(self) -> bool:
        return self.live or bool(self.upstream)

    @property
    def mode(self) -> str:
        return "online" if self.online else "replay"

    def canonical_base(self, model) -> str:
        endpoints = model.provider.endpoints()
        ep = endpoints.get(self.endpoint) if model.provider.id == "moonshot" else None
        return (ep or {}).get("baseUrl") or model.base_url

    def upstream_for(self, model) -> str | None:
        """The base URL that stands in for this model's provider endpoint under --upstream.

        Moonshot -> --upstream. Kimi Coding -> --upstream-kimi, else the sibling of --upstream
        with the catalog's path swapped: http://127.0.0.1:N/v1 (Moonshot's /v1) becomes
        http://127.0.0.1:N/coding/v1 (Kimi Coding's /coding/v1) — the emulator serves both.
        None when no upstream stands in for the provider.
        """
        if not self.upstream:
            return None
        pid = model.provider.id
        if pid == "moonshot":
            return self.upstream.rstrip("/")
        if pid == "kimi" and self.upstream_kimi:
            return _surface(self.upstream_kimi.rstrip("/"), model)
        moonshot = self.catalog.providers.get("moonshot")
        if moonshot is None:
            return None
        base_path = urlsplit(moonshot.base_url).path.rstrip("/")  # /v1
        own_path = urlsplit(model.provider.base_url).path.rstrip("/")  # /coding/v1
        up = self.upstream.rstrip("/")
        if pid == "kimi" and base_path and up.endswith(base_path):
            return _surface(up[: len(up) - len(base_path)] + own_path, model)
        return None

    def live_hosts(self) -> set[str]:
        return {urlsplit(ep["baseUrl"]).hostname for p in self.catalog.providers.values()
                for ep in p.endpoints().values()}


class WireSession:
    def __init__(self, settings: WireSettings, model, sid: str):
        self.s, self.model, self.sid = settings, model, sid
        self.path = sc.cassette_path(settings.cassette_dir, model.ref, sid)
        self.facts = sc.facts(model)
        self.cassette = None
        self.client: WireClient | None = None
        self.base_url = ""
        self.key = REPLAY_KEY
        self.responses: list[WireResponse] = []
        self.provenance: dict | None = None
        # what went over the wire, scrubbed, appended as it happens (failure attachments)
        self.exchanges: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.on_exchange = None  # callable(exchange dict), set by the `wire` fixture

    # --- setup ---------------------------------------------------------------------
    def __enter__(self) -> "WireSession":
        from harness.cassettes._vcr import CassetteSession

        s, model = self.s, self.model
        canonical = self.canonical = self.s.canonical_base(model)
        provider_cfg = sc.data()["providers"].get(model.provider.id, {})
        if not s.online:
            if not self.path.is_file():
                msg = (f"no cassette {self.path} for {model.ref} / {self.sid}; record it: "
                       "python -m harness.cassettes.record")
                if provider_cfg.get("replay_without_cassette") == "skip":
                    pytest.skip(f"{provider_cfg['reason']}")
                pytest.fail(msg, pytrace=False)
            from harness.errors import CassetteError

            try:
                stored = prov.read(self.path)
            except CassetteError as e:
                pytest.fail(str(e), pytrace=False)
            self.provenance = stored.to_dict() if stored else None
            self.base_url = (self.provenance or {}).get("endpoint") or canonical
            self.cassette = CassetteSession(self.path, mode="none")
        else:
            upstream = s.upstream_for(model)
            if s.upstream and upstream is None:
                pytest.skip(f"--upstream {s.upstream} stands in for {model.provider.id}'s endpoint "
                            f"{model.provider.base_url} only when its path is the Moonshot base path; "
                            f"give --upstream-kimi URL (or run with --live and "
                            f"{' or '.join(model.provider.auth_env)})")
            self.base_url = upstream or canonical
            gone = s.upstream_health.not_run_reason(self.base_url)
            if gone:
                pytest.skip(gone)
            found = provider_key(model.provider, s.catalog)
            if s.live and found is None:
                own = [n for n in model.provider.auth_env if key_owner(s.catalog, n) == model.provider.id]
                pytest.skip(missing_key_reason(own, model.provider.id) + " (its own key: another provider's "
                            "variable or value is never sent to this host)")
            self.key = found[1] if found else EMULATOR_KEYS.get(model.provider.id, EMULATOR_KEY)
            if s.record_mode != "none":
                self.cassette = CassetteSession(self.path, mode=s.record_mode, upstream_base=self.base_url,
                                                canonical_base=canonical)
        transport = s.upstream_health.transport(self.base_url) if s.online else None
        self.client = WireClient(self.base_url, self.key, budget=s.budget if s.online else None, retry=s.retry,
                                 transport=transport)
        if self.cassette is not None:
            from harness.errors import CassetteError

            try:
                self.cassette.__enter__()
            except CassetteError as e:
                self.client.close()
                pytest.fail(str(e), pytrace=False)
            if self.provenance is None:
                p = self.cassette.provenance()
                self.provenance = dict(p) if p else None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.cassette is not None:
                if exc_type is None and self.s.online and self.cassette.recorded:
                    self._stamp_provenance()
                self.cassette.__exit__(exc_type, exc, tb)
                if exc_type is None and not self.s.online:
                    self.cassette.check_all_played()
        finally:
            self.client.close()

    def _stamp_provenance(self) -> None:
        kind = prov.classify(self.base_url, live_hosts=self.s.live_hosts(),
                             emulator_marker_seen=self.cassette.emulator_marker_seen)
        old = self.cassette.provenance() or {}
        if self.cassette.loaded and old.get("source") == "emulator":
            kind = "emulator"  # mixed cassettes are only as good as their weakest part
        self.provenance = prov.Provenance(
            source=kind, model=self.model.ref, scenario=self.sid, endpoint=self.canonical,
            upstream_host=urlsplit(self.base_url).hostname or "").to_dict()
        self.cassette.set_provenance(self.provenance)

    # --- sending -----------------------------------------------------------------------
    def send(self, body: dict, *, key: str | None = None) -> WireResponse:
        prices = budget_prices(self.model, self.s.catalog) if self.s.online else None
        anthropic = self.model.api == "anthropic-messages"
        path = "/v1/messages" if anthropic else "/chat/completions"
        exchange: dict[str, Any] = {"n": len(self.exchanges) + 1, "url": f"{self.base_url}{path}",
                                    "request": scrub.scrub_obj(copy.deepcopy(body))}
        try:
            if anthropic:  # Kimi Coding's Anthropic surface: x-api-key and the endpoint's headers
                fixed = self.model.provider.endpoint_for(self.model.base_url).get("headers") or {}
                r = self.client.messages(body, prices=prices, key=key, headers=fixed)
            else:
                r = self.client.chat(body, prices=prices, key=key)
        except BudgetExceeded as e:
            pytest.skip(str(e))
        except UpstreamBroken as e:
            exchange["error"] = scrub.scrub_text(str(e))
            self._note(exchange)
            if not self.s.online:  # replayed: the cassette is what is broken
                pytest.fail(f"cassette {self.path}: {scrub.scrub_text(e.what)}", pytrace=False)
            # online: the upstream broke the transport; that is no verdict on the rules
            pytest.skip(scrub.scrub_text(str(e)))
        except BaseException as e:
            exchange["error"] = scrub.scrub_text(f"{type(e).__name__}: {e}")
            self._note(exchange)
            raise
        exchange["status"] = r.status
        exchange["response"] = scrub.scrub_obj(_response_body(r))
        self._note(exchange)
        self.responses.append(r)
        return r

    def _note(self, exchange: dict[str, Any]) -> None:
        self.exchanges.append(exchange)
        if self.on_exchange is not None:
            self.on_exchange(exchange)


def _surface(coding_v1: str, model) -> str:
    """The stand-in for a Kimi Coding model's own surface: <root>/coding/v1 (chat completions)
    becomes <root>/coding for an Anthropic Messages model (catalog baseUrl .../coding)."""
    provider_path = urlsplit(model.provider.base_url).path.rstrip("/")  # /coding/v1
    model_path = urlsplit(model.base_url).path.rstrip("/")  # /coding
    if model_path != provider_path and coding_v1.endswith(provider_path):
        return coding_v1[: len(coding_v1) - len(provider_path)] + model_path
    return coding_v1


def _response_body(r: WireResponse) -> Any:
    """The body as it arrived: parsed JSON, the list of stream chunks, or the text."""
    if r.streamed:
        return r.chunks + (["[DONE]"] if r.events and r.events[-1] == "[DONE]" else [])
    return r.json if r.json is not None else r.text


# ------------------------------------------------------------------------------- checks
def check_cost(model, usage) -> Decimal:
    """Usage priced at the catalog rates, computed here independently of harness.wire.usage
    and compared with estimate_cost (T9)."""
    from harness.wire.usage import UNITS, estimate_cost

    cost = model.cost
    unit = UNITS[cost["unit"]]
    rate = lambda k: Decimal(str(cost.get(k, 0) or 0)) / unit  # noqa: E731
    uncached = max(0, usage.prompt_tokens - usage.cached_tokens - usage.cache_write_tokens)
    want = (uncached * rate("input") + usage.completion_tokens * rate("output")
            + usage.cached_tokens * rate("cacheRead") + usage.cache_write_tokens * rate("cacheWrite"))
    got = estimate_cost(usage, catalog_prices(cost)).total
    assert got == want, f"estimated cost {got} != catalog-priced {want} for {usage}"
    assert got >= 0
    return got


def check_ok(model, outbound: dict, r: WireResponse, *, replay: bool) -> dict[str, Any]:
    """A 200: schemas, usage, cost, stream shapes. Returns facts for the report."""
    from harness.wire import schemas
    from harness.wire.usage import parse_usage

    assert r.status == 200, f"expected 200, got {r.status}: {scrub.scrub_text(r.text[:500])}"
    want_stream = outbound.get("stream") is True
    assert r.streamed == want_stream, f"stream={want_stream} but content-type {r.headers.get('content-type')!r}"
    if not want_stream:
        schemas.validate("response", r.json)
        usage = parse_usage(r.json)
        assert usage is not None and usage.source == "response", "a Moonshot response always carries usage"
        return {"usage": usage, "cost": check_cost(model, usage), "message": r.json["choices"][0]["message"],
                "finish_reason": r.json["choices"][0]["finish_reason"]}
    assert r.events and r.events[-1] == "[DONE]", "a stream ends with data: [DONE]"
    for i, chunk in enumerate(r.chunks):
        try:
            schemas.validate("chunk", chunk)
        except schemas.WireSchemaError as e:
            raise AssertionError(f"chunk {i}: {e}") from None
    if replay:
        assert r.byte_chunks > 1, "a replayed stream must arrive event by event, not as one blob"
    finish = [c for c in r.chunks if c["choices"] and c["choices"][0].get("finish_reason")]
    assert finish, "no chunk carries a finish_reason"
    assert isinstance(finish[-1]["choices"][0].get("usage"), dict), \
        "T9: Moonshot puts usage in choices[0].usage of the finish chunk"
    trailing = [c for c in r.chunks if c["choices"] == [] and isinstance(c.get("usage"), dict)]
    include = ((outbound.get("stream_options") or {}).get("include_usage") is True)
    assert bool(trailing) == include, (f"T9: trailing usage chunk present={bool(trailing)} but "
                                       f"stream_options.include_usage={include}")
    if trailing:
        assert trailing[-1] is r.chunks[-1], "the usage-only chunk is the last one"
        assert trailing[-1]["usage"] == finish[-1]["choices"][0]["usage"], "n=1: trailing usage == choice usage"
    usage = parse_usage(r.chunks)
    assert usage is not None and usage.source == ("stream.trailing" if include else "stream.choices")
    message = {"content": "".join((c["choices"][0]["delta"].get("content") or "") for c in r.chunks if c["choices"]),
               "reasoning_content": "".join((c["choices"][0]["delta"].get("reasoning_content") or "")
                                            for c in r.chunks if c["choices"]) or None}
    return {"usage": usage, "cost": check_cost(model, usage), "message": message,
            "finish_reason": finish[-1]["choices"][0]["finish_reason"], "trailing": bool(trailing)}


def check_expected(model, outbound: dict, r: WireResponse, expect: dict[str, Any], *, replay: bool):
    from harness.wire import schemas

    if "error" in expect:
        err = sc.data()["errors"][expect["error"]]
        params = {"model": outbound.get("model"), **expect.get("params", {})}
        message = err["message"].format(**params) if "{" in err["message"] else err["message"]
        assert r.status == err["status"], (f"expected {err['status']} {err['type']} ({err['source']}), "
                                           f"got {r.status}: {scrub.scrub_text(r.text[:300])}")
        schemas.validate("error", r.json)
        assert r.json["error"]["type"] == err["type"]
        assert r.json["error"]["message"] == message, f"error message {scrub.scrub_text(repr(r.json['error']['message']))} != {message!r}"
        return None
    facts = check_ok(model, outbound, r, replay=replay)
    reasoning = expect.get("reasoning")
    if reasoning == "when_thinks_by_default" and sc.facts(model).thinks_by_default:
        assert facts["message"].get("reasoning_content"), "a thinking model returned no reasoning_content"
    if reasoning is False:
        assert not facts["message"].get("reasoning_content"), "thinking is off but reasoning_content came back"
    if "outbound_keep" in expect:
        assert (outbound.get("thinking") or {}).get("keep") == expect["outbound_keep"]
    return facts


def _assistant(message: dict) -> dict:
    out = {"role": "assistant", "content": message.get("content") or ""}
    if message.get("reasoning_content") is not None:
        out["reasoning_content"] = message["reasoning_content"]
    if message.get("tool_calls"):
        out["tool_calls"] = [{"id": t["id"], "type": "function",
                              "function": {"name": t["function"]["name"], "arguments": t["function"]["arguments"]}}
                             for t in message["tool_calls"]]
    return out


@dataclass
class ScenarioResult:
    steps: list[dict[str, Any]] = field(default_factory=list)
    cost: Decimal = Decimal(0)
    gap: str | None = None


def run_scenario(ws: WireSession, sid: str) -> ScenarioResult:
    from harness.reference import transform
    from harness.wire import schemas

    model, s = ws.model, sc.scenario(sid)
    expect = sc.expectation(sid, model)
    replay = not ws.s.online
    result = ScenarioResult(steps=ws.steps, gap=expect.get("reference", {}).get("gap"))
    key = sc.expand(s["key"]) if s.get("key") else None

    def step(name: str, case: dict, which: str, want: dict | None):
        if want is None:
            return None
        out = transform(case, ws.s.catalog)
        body = out["body"] if which == "reference" else {"model": model.id, **copy.deepcopy(case["request"])}
        if which == "reference":
            schemas.validate("request", body)
        r = ws.send(body, key=key)
        # noted before checking, so a failing step is in the report too
        entry = {"step": name, "send": which, "status": r.status, "exchange": len(ws.exchanges),
                 "cost_usd": None}
        result.steps.append(entry)
        facts = check_expected(model, body, r, want, replay=replay)
        if facts:
            result.cost += facts["cost"]
            entry["cost_usd"] = str(facts["cost"])
        return body, r, facts

    case = sc.case_for(sid, model)
    kind = s["kind"]
    if kind in ("single", "stream"):
        step(sid, case, "reference", expect.get("reference"))
        step(sid, case, "raw", expect.get("raw"))
    elif kind == "multi_turn":
        _, _, first = step("turn 1", case, "reference", expect["reference"])
        case2 = copy.deepcopy(case)
        case2["request"]["messages"] += [_assistant(first["message"]),
                                         {"role": "user", "content": s["follow_up"]}]
        step("turn 2", case2, "reference", expect["reference"])
    elif kind == "tool_round_trip":
        _, r1, f1 = step("call", case, "reference", {"status": 200})
        msg = r1.json["choices"][0]["message"]
        assert f1["finish_reason"] == "tool_calls" and msg.get("tool_calls"), \
            f"asked to use the tool, the model answered {scrub.scrub_text(repr(msg))}"
        call = _assistant(msg)
        cid = call["tool_calls"][0]["id"]
        result_msg = {"role": "tool", "tool_call_id": cid, "content": s["tool_result"]}
        case2 = copy.deepcopy(case)
        case2["request"]["messages"] += [call, result_msg]
        _, _, f2 = step("tool result -> answer", case2, "reference", {"status": 200})
        case3 = copy.deepcopy(case2)
        case3["request"]["messages"] += [_assistant(f2["message"]), {"role": "user", "content": s["follow_up"]},
                                         copy.deepcopy(call), copy.deepcopy(result_msg)]
        step(f"repeated id {cid}", case3, "reference", expect.get("reference"))
        raw = expect.get("raw")
        if raw and "error" in raw:
            raw = {**raw, "params": {"id": cid}}
        step(f"repeated id {cid} (raw)", case3, "raw", raw)
    elif kind == "web_search":
        from harness.cassettes.websearch_scenario import run_web_search

        result.cost += run_web_search(step, case, ws, s)
    else:
        raise ValueError(f"unknown scenario kind {kind!r}")
    return result
