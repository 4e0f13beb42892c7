"""One model x scenario on the wire: `WireSession` opens the cassette (replay / record) or none
(plain live run), sends through `WireClient`, notes every exchange (scrubbed) as it happens, and
on exit checks the stale-cassette guard and writes provenance."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from harness.cassettes import provenance as prov
from harness.cassettes.settings import REPLAY_KEY, WireSettings
from harness.errors import CassetteError, NotRun
from harness.online.budget import BudgetExceeded, budget_prices
from harness.online.client import UpstreamBroken, WireClient, WireResponse
from harness.online.keys import key_owner, missing_key_reason, provider_key
from harness.scenarios import definitions as sc
from harness.util import scrub

if TYPE_CHECKING:  # imported lazily at run time (vcrpy is only needed with cassettes)
    from harness.cassettes._vcr import CassetteSession

# Keys the harness sends to the emulator, one per provider: the emulator, like the real services,
# answers one provider's key on the other's host with 401 (Kimi Coding keys start sk-kimi-).
EMULATOR_KEYS = {"moonshot": "sk-conformance-emulator-moonshot", "kimi": "sk-kimi-conformance-emulator"}
EMULATOR_KEY = EMULATOR_KEYS["moonshot"]


class WireSession:
    def __init__(self, settings: WireSettings, model, sid: str):
        self.s, self.model, self.sid = settings, model, sid
        self.path = sc.cassette_path(settings.cassette_dir, model.ref, sid)
        self.facts = sc.facts(model)
        self.cassette: CassetteSession | None = None
        self.client: WireClient | None = None
        self.base_url = ""
        self.key = REPLAY_KEY
        self.responses: list[WireResponse] = []
        self.provenance: dict | None = None
        # what went over the wire, scrubbed, appended as it happens (failure attachments)
        self.exchanges: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.on_exchange: Callable[[dict[str, Any]], None] | None = None  # set by the `wire` fixture

    # --- setup ---------------------------------------------------------------------
    def __enter__(self) -> WireSession:
        from harness.cassettes._vcr import CassetteSession

        s, model = self.s, self.model
        canonical = self.canonical = self.s.canonical_base(model)
        provider_cfg = sc.data()["providers"].get(model.provider.id, {})
        if not s.online:
            if not self.path.is_file():
                msg = (
                    f"no cassette {self.path} for {model.ref} / {self.sid}; record it: "
                    "python -m harness.cassettes.record"
                )
                if provider_cfg.get("replay_without_cassette") == "skip":
                    raise NotRun(f"{provider_cfg['reason']}")
                raise CassetteError(msg)
            stored = prov.read(self.path)
            self.provenance = stored.to_dict() if stored else None
            self.base_url = (self.provenance or {}).get("endpoint") or canonical
            self.cassette = CassetteSession(self.path, mode="none")
        else:
            upstream = s.upstream_for(model)
            if s.upstream and upstream is None:
                raise NotRun(
                    f"--kimi-upstream {s.upstream} stands in for {model.provider.id}'s endpoint "
                    f"{model.provider.base_url} only when its path is the Moonshot base path; "
                    f"give --kimi-upstream-coding URL (or run with --kimi-live and "
                    f"{' or '.join(model.provider.auth_env)})"
                )
            self.base_url = upstream or canonical
            gone = s.upstream_health.not_run_reason(self.base_url)
            if gone:
                raise NotRun(gone)
            found = provider_key(model.provider, s.catalog)
            if s.live and found is None:
                own = [n for n in model.provider.auth_env if key_owner(s.catalog, n) == model.provider.id]
                raise NotRun(
                    missing_key_reason(own, model.provider.id) + " (its own key: another provider's "
                    "variable or value is never sent to this host)"
                )
            self.key = found[1] if found else EMULATOR_KEYS.get(model.provider.id, EMULATOR_KEY)
            if s.record_mode != "none":
                self.cassette = CassetteSession(
                    self.path, mode=s.record_mode, upstream_base=self.base_url, canonical_base=canonical
                )
        # online: the run's health guards the transport (read deadline, total deadline) and counts
        # faults toward the upstream being gone (harness.online.guard)
        client = self.client = WireClient(
            self.base_url,
            self.key,
            budget=s.budget if s.online else None,
            retry=s.retry,
            health=s.upstream_health if s.online else None,
        )
        if self.cassette is not None:
            try:
                self.cassette.__enter__()
            except CassetteError:
                client.close()
                raise
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
            if self.client is not None:  # always set once __enter__ succeeded
                self.client.close()

    def _stamp_provenance(self) -> None:
        cassette = self.cassette
        assert cassette is not None  # called from __exit__ only when recording into one
        kind = prov.classify(
            self.base_url, live_hosts=self.s.live_hosts(), emulator_marker_seen=cassette.emulator_marker_seen
        )
        old = cassette.provenance() or {}
        if cassette.loaded and old.get("source") == "emulator":
            kind = "emulator"  # mixed cassettes are only as good as their weakest part
        self.provenance = prov.Provenance(
            source=kind,
            model=self.model.ref,
            scenario=self.sid,
            endpoint=self.canonical,
            upstream_host=urlsplit(self.base_url).hostname or "",
        ).to_dict()
        cassette.set_provenance(self.provenance)

    # --- sending -----------------------------------------------------------------------
    def send(self, body: dict, *, key: str | None = None) -> WireResponse:
        prices = budget_prices(self.model, self.s.catalog) if self.s.online else None
        anthropic = self.model.api == "anthropic-messages"
        path = "/v1/messages" if anthropic else "/chat/completions"
        client = self.client
        assert client is not None, "send() needs the session entered (`with WireSession(...)`)"
        exchange: dict[str, Any] = {
            "n": len(self.exchanges) + 1,
            "url": f"{self.base_url}{path}",
            "request": scrub.scrub_obj(copy.deepcopy(body)),
        }
        try:
            if anthropic:  # Kimi Coding's Anthropic surface: x-api-key and the endpoint's headers
                fixed = self.model.provider.endpoint_for(self.model.base_url).get("headers") or {}
                r = client.messages(body, prices=prices, key=key, headers=fixed)
            else:
                r = client.chat(body, prices=prices, key=key)
        except BudgetExceeded as e:
            raise NotRun(str(e)) from None
        except UpstreamBroken as e:
            exchange["error"] = scrub.scrub_text(str(e))
            self._note(exchange)
            if not self.s.online:  # replayed: the cassette is what is broken
                raise CassetteError(f"cassette {self.path}: {scrub.scrub_text(e.what)}") from None
            # online: the upstream broke the transport, or stayed 429 / 5xx after the retries;
            # that is no verdict on the rules
            raise NotRun(self._upstream_reason(str(e))) from None
        except httpx.TransportError as e:
            exchange["error"] = scrub.scrub_text(f"{type(e).__name__}: {e}")
            self._note(exchange)
            if not self.s.online:
                raise
            # no answer at all (refused, stalled before the headers): the guard named the URL
            text = str(e) if str(e).startswith("upstream ") else f"upstream {exchange['url']}: {type(e).__name__}: {e}"
            raise NotRun(self._upstream_reason(f"broken {text}")) from None
        except BaseException as e:
            exchange["error"] = scrub.scrub_text(f"{type(e).__name__}: {e}")
            self._note(exchange)
            raise
        exchange["status"] = r.status
        exchange["response"] = scrub.scrub_obj(_response_body(r))
        self._note(exchange)
        self.responses.append(r)
        return r

    def _upstream_reason(self, text: str) -> str:
        reason = scrub.scrub_text(text)
        if self.s.upstream_health.cause(self.base_url) is not None:
            reason += f"; upstream {self.base_url} is now considered gone: its remaining online tests are not run"
        return reason

    def _note(self, exchange: dict[str, Any]) -> None:
        self.exchanges.append(exchange)
        if self.on_exchange is not None:
            self.on_exchange(exchange)


def _response_body(r: WireResponse) -> Any:
    """The body as it arrived: parsed JSON, the list of stream chunks, or the text."""
    if r.streamed:
        return r.chunks + (["[DONE]"] if r.events and r.events[-1] == "[DONE]" else [])
    return r.json if r.json is not None else r.text
