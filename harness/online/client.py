"""Talking to a real (or emulated) Moonshot endpoint: keys, cost budget, 429 retries, client.

`--live` uses the catalog provider's auth env vars (MOONSHOT_API_KEY, KIMI_API_KEY, …); without
one the live tests are skipped with a reason naming them. Every request first reserves its
worst-case cost (prompt estimate + max_tokens at the catalog's prices) against a session-wide
`Budget`; a request that could pass the budget is refused, and so is every later one — the run
ends cleanly, the remaining tests skipped with the reason. 429s (rate limit, overload) and
5xx are retried with jittered exponential backoff, honouring Retry-After, bounded in count and in
total wait. A body cut short or a stalled stream raises `UpstreamBroken` naming the URL: a broken
upstream, not a rule failure. Given the run's `UpstreamHealth` (harness.online.guard), the client
sends through its guarded transport, reports every complete answer and every fault to it, and an
answer still 429 / 5xx after the retry budget raises `UpstreamUnavailable` (a broken upstream
too) instead of being returned. Log lines are scrubbed of keys.

This module is the client; keys are in harness.online.keys, the budget in harness.online.budget,
the retry policy in harness.online.retry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from harness.online.budget import Budget, worst_case_cost
from harness.online.guard import GuardedTransport, UpstreamHealth, is_fault_status
from harness.online.retry import RetryPolicy
from harness.util import scrub
from harness.util.tls import shared_tls

log = logging.getLogger("harness.wire")


class UpstreamBroken(Exception):
    """The upstream answered but broke the transport: a body cut short, a stream cut mid-event,
    a stall after the headers. Says nothing about the rules; the message names the URL.
    (No answer at all — refused, hung before the headers — stays httpx's error, which
    harness.online.guard names and counts.)"""

    def __init__(self, url: str, what: str):
        super().__init__(f"broken upstream {url}: {what}")
        self.url, self.what = url, what


class UpstreamCut(UpstreamBroken, httpx.RemoteProtocolError):
    """The body ended before it was complete (also an httpx.RemoteProtocolError). `counted`: the
    guarded transport already counted it toward the upstream being gone."""

    def __init__(self, url: str, what: str, *, counted: bool = False):
        super().__init__(url, what)
        self.counted = counted


class UpstreamStalled(UpstreamBroken, httpx.ReadTimeout):
    """The body stopped arriving (also an httpx.ReadTimeout, as callers waiting on it expect)."""


class UpstreamUnavailable(UpstreamBroken):
    """Still 429 or 5xx when the retry budget ran out (raised only by a client given the run's
    `UpstreamHealth`): throttled or down, no verdict on the rules. `status` is the last answer's."""

    def __init__(self, url: str, what: str, status: int):
        super().__init__(url, what)
        self.status = status


# ------------------------------------------------------------------------------- client
@dataclass
class WireResponse:
    status: int
    headers: dict[str, str]
    json: Any = None  # parsed body of a non-streamed (or error) response
    events: list[str] = field(default_factory=list)  # SSE data payloads, in order ("[DONE]" included)
    chunks: list[Any] = field(default_factory=list)  # parsed chunks (without [DONE])
    byte_chunks: int = 0  # how many pieces the body arrived in
    attempts: int = 1
    cost: Decimal | None = None
    text: str = ""

    @property
    def streamed(self) -> bool:
        return "event-stream" in self.headers.get("content-type", "")


def parse_sse(buffer: bytes) -> tuple[list[str], bytes]:
    """Complete events' data payloads from the buffer, and the incomplete rest."""
    out: list[str] = []
    while True:
        cut = buffer.find(b"\n\n")
        if cut < 0:
            return out, buffer
        event, buffer = buffer[:cut], buffer[cut + 2 :]
        data = [ln[5:].lstrip() for ln in event.decode("utf-8").splitlines() if ln.startswith("data:")]
        if data:
            out.append("\n".join(data))


class WireClient:
    """httpx client for /chat/completions with budget, retries and scrubbed logging."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        budget: Budget | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        logger: logging.Logger = log,
        health: UpstreamHealth | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.budget = budget
        self.retry = retry or RetryPolicy()
        self.log = logger
        if health is not None:
            if not isinstance(transport, GuardedTransport):
                transport = health.transport(self.base_url, transport)
            # the guarded transport counts transport faults; this client judges the answers, as
            # only it knows when the retries are spent and whether the stream's events were whole
            transport.judge_answers = False
        self.health = health
        self._health_key = transport.base_url if isinstance(transport, GuardedTransport) else self.base_url
        self._client = httpx.Client(
            timeout=timeout, transport=transport, verify=shared_tls(), headers={"accept-encoding": "identity"}
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def chat(
        self,
        body: Mapping[str, Any],
        *,
        prices: Mapping[str, Any] | None = None,
        key: str | None = None,
        url: str | None = None,
    ) -> WireResponse:
        headers = {
            "authorization": f"Bearer {key if key is not None else self.key}",
            "content-type": "application/json",
        }
        return self._post(url or f"{self.base_url}/chat/completions", body, headers, prices)

    def messages(
        self,
        body: Mapping[str, Any],
        *,
        prices: Mapping[str, Any] | None = None,
        key: str | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> WireResponse:
        """Anthropic Messages (Kimi Coding's other surface): the key in x-api-key, the endpoint's
        fixed headers (anthropic-version, User-Agent) from the catalog."""
        sent = {
            **(headers or {}),
            "x-api-key": key if key is not None else self.key,
            "content-type": "application/json",
        }
        return self._post(url or f"{self.base_url}/v1/messages", body, sent, prices)

    def _post(self, url: str, body: Mapping[str, Any], headers: dict, prices: Mapping[str, Any] | None) -> WireResponse:
        if self.budget is not None and prices is not None:
            self.budget.reserve(worst_case_cost(body, prices), f"{body.get('model')} request")
        attempt, waited = 0, 0.0
        while True:
            try:
                result = self._send(url, body, headers)
            except UpstreamCut as e:
                if self.health is not None and not e.counted:
                    self.health.failed(self._health_key, f"upstream {url}: {e.what}")
                raise
            result.attempts = attempt + 1
            wait = self.retry.delay(_as_httpx(result), attempt, waited)
            if wait is None:
                break
            self.log.warning(
                "%d from %s (%s); retry %d/%d after %.2fs",
                result.status,
                url,
                scrub.scrub_text(result.text[:200]),
                attempt + 1,
                self.retry.max_retries,
                wait,
            )
            self.retry.sleep(wait)
            attempt, waited = attempt + 1, waited + wait
        if self.health is not None:
            if is_fault_status(result.status):
                etype = _error_type(result)
                tried = (
                    f"after retries ({result.attempts} attempts, {waited:.1f}s of waits)"
                    if result.attempts > 1
                    else "(not retried)"
                )
                what = f"{result.status}{' ' + etype if etype else ''} {tried}"
                self.health.failed(self._health_key, f"upstream {url}: {what}")
                raise UpstreamUnavailable(url, what, result.status)
            self.health.ok(self._health_key)
        if self.budget is not None and prices is not None:
            result.cost = self._actual_cost(result, prices)
            self.budget.spend(result.cost)
        return result

    def _send(self, url: str, body: Mapping[str, Any], headers: dict) -> WireResponse:
        self.log.info("POST %s model=%s stream=%s", url, body.get("model"), bool(body.get("stream")))
        self.log.debug(
            "request headers %s body %s",
            scrub.scrub_request_headers(headers),
            scrub.scrub_text(json.dumps(body, ensure_ascii=False)[:2000]),
        )
        out = None
        try:
            with self._client.stream("POST", url, json=body, headers=headers) as r:
                out = WireResponse(r.status_code, {k.lower(): v for k, v in r.headers.items()})
                raw, buffer = [], b""
                for piece in r.iter_bytes():
                    out.byte_chunks += 1
                    raw.append(piece)
                    if out.streamed:
                        events, buffer = parse_sse(buffer + piece)
                        out.events.extend(events)
                if out.streamed and buffer.strip():
                    events, _ = parse_sse(buffer + b"\n\n")
                    out.events.extend(events)
                out.text = b"".join(raw).decode("utf-8", "replace")
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout) as e:
            if out is None:  # no answer at all: not ours to classify (harness.online.guard names it)
                raise
            got = f" after {len(out.events)} event(s)" if out.streamed else ""
            text = " ".join(str(e).split())
            prefix = f"upstream {url}: "
            if text.startswith(prefix):  # the guard's own words (already counted): no need to repeat them
                text = text[len(prefix) :]
                if isinstance(e, httpx.ReadTimeout):
                    raise UpstreamStalled(url, f"{text}{got}") from None
                raise UpstreamCut(url, f"{text}{got}", counted=True) from None
            if isinstance(e, httpx.ReadTimeout):
                raise UpstreamStalled(url, f"stalled{got}: {text or 'read timeout'}") from None
            raise UpstreamCut(url, f"response cut short{got} ({e.__class__.__name__}: {text})") from None
        if out.streamed:
            out.chunks = []
            for i, event in enumerate(out.events):
                if event == "[DONE]":
                    continue
                try:
                    out.chunks.append(json.loads(event))
                except ValueError:
                    raise UpstreamCut(
                        url,
                        f"stream event {i + 1} of {len(out.events)} is cut or not JSON: "
                        f"{scrub.scrub_text(event[:80])!r}",
                    ) from None
        elif out.text.strip():
            try:
                out.json = json.loads(out.text)
            except ValueError:
                out.json = None
        self.log.info("-> %d (%s, %d byte chunk(s))", out.status, out.headers.get("content-type", ""), out.byte_chunks)
        self.log.debug("response %s", scrub.scrub_text(out.text[:2000]))
        return out

    @staticmethod
    def _actual_cost(result: WireResponse, prices: Mapping[str, Any]) -> Decimal:
        from harness.wire.anthropic_usage import parse_any
        from harness.wire.usage import estimate_cost

        usage = parse_any(result.chunks if result.streamed else result.json)
        return estimate_cost(usage, prices).total if usage is not None else Decimal(0)


def _error_type(result: WireResponse) -> str:
    error = result.json.get("error") if isinstance(result.json, dict) else None
    etype = error.get("type") if isinstance(error, dict) else None
    return etype if isinstance(etype, str) else ""


def _as_httpx(result: WireResponse) -> httpx.Response:
    return httpx.Response(result.status, headers=result.headers, content=result.text.encode())
