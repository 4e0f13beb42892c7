"""An upstream that is gone ends the online wire run fast, and every wait on it is bounded.

`--live` / `--upstream` runs send through `GuardedTransport`, an httpx transport around the
ordinary one that

* names the URL in every transport error (a bare `ReadTimeout` or `ConnectError` said nothing
  about which upstream) — the exception keeps its httpx type, so callers handle it as before;
* bounds each request twice: `read_deadline`, the longest wait for the next byte (a stall: the
  upstream holds the connection open and sends nothing), and `deadline`, the whole request
  (an upstream trickling a byte every few seconds cannot hold a test forever either);
* counts consecutive faults per upstream in `UpstreamHealth`. A refused connection marks the
  upstream gone at once; `max_failures` faults in a row do too, whatever their mix: stalls,
  bodies cut short, and answers that stayed 429 / 5xx after the client's retry budget
  (`WireClient`, given the health, reports those and each complete answer). The wire sessions
  after that are skipped as not run, naming the URL and the cause, instead of each waiting out
  its own retries and timeouts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NoReturn

import httpx

from harness.util.scrub import scrub_text
from harness.util.tls import shared_tls

DEFAULT_DEADLINE = 120.0  # seconds for a whole request: connect, headers, the full body
DEFAULT_READ_DEADLINE = 60.0  # seconds without a byte: a stall (shorter than the whole deadline)
DEFAULT_MAX_FAILURES = 3


def is_fault_status(status: int) -> bool:
    """A final answer that is the upstream's trouble, not the request's: 429 and 5xx."""
    return status == 429 or 500 <= status <= 599


@dataclass
class UpstreamHealth:
    """Per upstream base URL: consecutive faults, and why (and since when) it is considered gone."""

    max_failures: int = DEFAULT_MAX_FAILURES
    deadline: float = DEFAULT_DEADLINE
    read_deadline: float = DEFAULT_READ_DEADLINE
    failures: dict[str, int] = field(default_factory=dict)
    gone: dict[str, str] = field(default_factory=dict)
    gone_at: dict[str, float] = field(default_factory=dict)  # time.monotonic() of the declaration

    def cause(self, base_url: str) -> str | None:
        return self.gone.get(base_url)

    def not_run_reason(self, base_url: str) -> str | None:
        cause = self.cause(base_url)
        return None if cause is None else f"not run: upstream {base_url} is gone: {cause}"

    def ok(self, base_url: str) -> None:
        self.failures[base_url] = 0

    def failed(self, base_url: str, error: str, *, final: bool = False) -> None:
        n = self.failures[base_url] = self.failures.get(base_url, 0) + 1
        if (final or n >= self.max_failures) and base_url not in self.gone:
            self.gone[base_url] = scrub_text(error) + ("" if final else f" ({n} in a row)")
            self.gone_at[base_url] = time.monotonic()

    def transport(self, base_url: str, inner: httpx.BaseTransport | None = None) -> GuardedTransport:
        return GuardedTransport(base_url, self, inner or httpx.HTTPTransport(verify=shared_tls()))


class GuardedTransport(httpx.BaseTransport):
    """`judge_answers`: a complete answer that is not 429 / 5xx starts the count over. A
    `WireClient` given the health turns it off and judges itself: it knows when the retries are
    spent and when a complete body holds a cut stream event."""

    def __init__(self, base_url: str, health: UpstreamHealth, inner: httpx.BaseTransport):
        self.base_url, self.health, self.inner = base_url, health, inner
        self.judge_answers = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url.copy_with(query=None))
        # the read deadline is what tells a stall from a slow answer: httpx's read timeout is the
        # longest wait for any one read, headers included
        timeout = dict(request.extensions.get("timeout") or {})
        asked = timeout.get("read")
        read = timeout["read"] = self.health.read_deadline if asked is None else min(asked, self.health.read_deadline)
        request.extensions = {**request.extensions, "timeout": timeout}
        started = time.monotonic()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as e:
            self._fail(url, e, started, read)
        body = _Bounded(response.stream, self, url, started, read, response.status_code)
        response.stream = body  # type: ignore[assignment]
        return response

    @staticmethod
    def describe(error: httpx.TransportError, started: float, read: float) -> str:
        """What went wrong, as the cause of a skip: a stall, a cut, no connection."""
        took = time.monotonic() - started
        if isinstance(error, httpx.ReadTimeout):
            return f"stalled: no byte for {read:g}s"
        if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError)):
            text = " ".join(str(error).split())
            return f"response cut short ({type(error).__name__}: {text})"
        return f"{type(error).__name__} after {took:.1f}s: {error}"

    def _fail(self, url: str, error: httpx.TransportError, started: float, read: float) -> NoReturn:
        message = scrub_text(f"upstream {url}: {self.describe(error, started, read)}")
        # nobody listening is final at once; a stall or a cut may be one bad request
        self.health.failed(self.base_url, message, final=isinstance(error, httpx.ConnectError))
        raise type(error)(message, request=getattr(error, "_request", None)) from None

    def close(self) -> None:
        self.inner.close()


class _Bounded(httpx.SyncByteStream):
    """The response body, cut off at the request's deadline; a stall or a cut mid-body counts."""

    def __init__(self, stream, transport: GuardedTransport, url: str, started: float, read: float, status: int):
        self.stream, self.transport, self.url, self.started, self.read = stream, transport, url, started, read
        self.status = status

    def __iter__(self) -> Iterator[bytes]:
        deadline = self.started + self.transport.health.deadline
        pieces = iter(self.stream)
        while True:
            try:
                piece = next(pieces)
            except StopIteration:
                if self.transport.judge_answers and not is_fault_status(self.status):
                    self.transport.health.ok(self.transport.base_url)
                return
            except httpx.TransportError as e:  # stalled or cut mid-body: count it, name the URL
                self.transport._fail(self.url, e, self.started, self.read)
            yield piece
            if time.monotonic() > deadline:
                total = self.transport.health.deadline
                message = f"upstream {self.url}: no complete answer within {total:g}s (request deadline)"
                self.transport.health.failed(self.transport.base_url, message)
                raise httpx.ReadTimeout(message)

    def close(self) -> None:
        close = getattr(self.stream, "close", None)
        if close is not None:
            close()
