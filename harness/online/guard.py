"""An upstream that is gone ends the online wire run fast, and every wait on it is bounded.

`--live` / `--upstream` runs send through `GuardedTransport`, an httpx transport around the
ordinary one that

* names the URL in every transport error (a bare `ReadTimeout` or `ConnectError` said nothing
  about which upstream) — the exception keeps its httpx type, so callers handle it as before;
* bounds each request in total (`deadline`), not only between two reads: an upstream trickling
  a byte every few seconds cannot hold a test forever;
* counts consecutive transport failures per upstream in `UpstreamHealth`: a refused connection
  marks the upstream gone at once, `max_failures` timeouts in a row do too; the wire sessions
  after that are skipped as not run, naming the URL and the cause, instead of each waiting out
  its own timeout.
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
DEFAULT_MAX_FAILURES = 3


@dataclass
class UpstreamHealth:
    """Per upstream base URL: consecutive transport failures, and why it is considered gone."""

    max_failures: int = DEFAULT_MAX_FAILURES
    deadline: float = DEFAULT_DEADLINE
    failures: dict[str, int] = field(default_factory=dict)
    gone: dict[str, str] = field(default_factory=dict)

    def cause(self, base_url: str) -> str | None:
        return self.gone.get(base_url)

    def not_run_reason(self, base_url: str) -> str | None:
        cause = self.cause(base_url)
        return None if cause is None else f"not run: upstream {base_url} is gone: {cause}"

    def ok(self, base_url: str) -> None:
        self.failures[base_url] = 0

    def failed(self, base_url: str, error: str, *, final: bool = False) -> None:
        n = self.failures[base_url] = self.failures.get(base_url, 0) + 1
        if final or n >= self.max_failures:
            self.gone.setdefault(base_url, scrub_text(error) + ("" if final else f" ({n} in a row)"))

    def transport(self, base_url: str, inner: httpx.BaseTransport | None = None) -> GuardedTransport:
        return GuardedTransport(base_url, self, inner or httpx.HTTPTransport(verify=shared_tls()))


class GuardedTransport(httpx.BaseTransport):
    def __init__(self, base_url: str, health: UpstreamHealth, inner: httpx.BaseTransport):
        self.base_url, self.health, self.inner = base_url, health, inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url.copy_with(query=None))
        started = time.monotonic()
        try:
            response = self.inner.handle_request(request)
        except httpx.TimeoutException as e:
            self._fail(url, e, started, final=False)
        except (httpx.ConnectError, httpx.NetworkError, httpx.ProtocolError) as e:
            self._fail(url, e, started, final=isinstance(e, httpx.ConnectError))
        self.health.ok(self.base_url)
        response.stream = _Bounded(response.stream, self, url, started)  # type: ignore[assignment]
        return response

    def _fail(self, url: str, error: httpx.TransportError, started: float, *, final: bool) -> NoReturn:
        message = scrub_text(f"upstream {url}: {type(error).__name__} after {time.monotonic() - started:.1f}s: {error}")
        self.health.failed(self.base_url, message, final=final)
        raise type(error)(message, request=getattr(error, "_request", None)) from None

    def close(self) -> None:
        self.inner.close()


class _Bounded(httpx.SyncByteStream):
    """The response body, cut off at the request's deadline."""

    def __init__(self, stream, transport: GuardedTransport, url: str, started: float):
        self.stream, self.transport, self.url, self.started = stream, transport, url, started

    def __iter__(self) -> Iterator[bytes]:
        deadline = self.started + self.transport.health.deadline
        pieces = iter(self.stream)
        while True:
            try:
                piece = next(pieces)
            except StopIteration:
                return
            except httpx.TimeoutException as e:  # stalled mid-body: count it, name the URL
                self.transport._fail(self.url, e, self.started, final=False)
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
