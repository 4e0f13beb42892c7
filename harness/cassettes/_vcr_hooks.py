"""What vcrpy calls while a cassette is in use: the request-body matcher, the record hooks
(scrubbing, the emulator marker, retried 429s dropped) and event-by-event stream replay."""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from vcr.stubs import httpx_stubs

from harness.cassettes._vcr_format import _as_text
from harness.cassettes.provenance import has_emulator_marker
from harness.util import scrub


# ------------------------------------------------------------------------------- matching
def _json_or_bytes(body: Any) -> Any:
    text = _as_text(body)
    if text is None:
        return body
    try:
        return json.loads(text)
    except ValueError:
        return text


def json_body(r1, r2) -> None:
    """Bodies match when they are equal as JSON (key order and spacing do not matter)."""
    a, b = _json_or_bytes(r1.body), _json_or_bytes(r2.body)
    assert a == b, "request bodies differ (the request the harness builds changed: re-record the cassette)"


# ------------------------------------------------------------------------------- stream replay
_EVENT_RE = re.compile(rb".*?(?:\r?\n\r?\n|\Z)", re.S)


def split_events(body: bytes) -> list[bytes]:
    """SSE bytes -> one element per event (each keeps its blank-line terminator)."""
    return [m.group(0) for m in _EVENT_RE.finditer(body or b"") if m.group(0)]


def _event_stream_class(httpx):
    class EventStream(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __init__(self, events: list[bytes]):
            self.events = events

        def __iter__(self) -> Iterator[bytes]:
            yield from self.events

        async def __aiter__(self):
            for e in self.events:
                yield e

    return EventStream


_original_deserialize = httpx_stubs._deserialize_response


def _deserialize_by_event(vcr_response, httpx):
    response = _original_deserialize(vcr_response, httpx)
    if "event-stream" in response.headers.get("content-type", ""):
        body = vcr_response["body"]["string"] or b""
        response.stream = _event_stream_class(httpx)(split_events(body))
    return response


@contextlib.contextmanager
def event_by_event_replay() -> Iterator[None]:
    httpx_stubs._deserialize_response = _deserialize_by_event
    try:
        yield
    finally:
        httpx_stubs._deserialize_response = _original_deserialize


# ------------------------------------------------------------------------------- hooks
def request_scrubber(rewrite_from: str | None = None, rewrite_to: str | None = None) -> Callable:
    """before_record_request: store the canonical endpoint URL, scrubbed headers and body."""

    def hook(request):
        request = copy.copy(request)
        if rewrite_from and rewrite_to and request.uri.startswith(rewrite_from):
            request.uri = rewrite_to + request.uri[len(rewrite_from) :]
        request.headers = scrub.scrub_request_headers(dict(request.headers))
        if request.body:
            request.body = scrub.scrub_bytes(
                request.body if isinstance(request.body, bytes) else str(request.body).encode()
            )
        return request

    return hook


def response_scrubber(observed: dict, drop_statuses: tuple[int, ...] = (429,)) -> Callable:
    """before_record_response: note the emulator marker, drop retried 429s, scrub the rest."""

    def hook(response):
        headers = response.get("headers") or {}
        if has_emulator_marker(headers):
            observed["emulator_marker"] = True
        if response["status"]["code"] in drop_statuses:
            return None  # rate limits are retried by the client; the cassette keeps the answer
        response["headers"] = scrub.scrub_response_headers(headers)
        body = response.get("body") or {}
        if isinstance(body.get("string"), (bytes, str)):
            s = body["string"]
            body["string"] = scrub.scrub_bytes(s if isinstance(s, bytes) else s.encode())
        observed["recorded"] = observed.get("recorded", 0) + 1
        return response

    return hook
