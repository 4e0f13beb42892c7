"""The capture as an httpx transport: what the loopback capture server records and answers,
without a socket or a server thread.

For in-process clients that accept an httpx client (LiteLLM's `litellm.client_session`, handed to
the OpenAI SDK client LiteLLM builds itself): the request is serialized by the client's real
stack exactly as it would be for the wire, and recorded where a server would first see it.
Saves the loopback round trip and two thread hand-offs per case.
"""

from __future__ import annotations

import json
import threading

import httpx

from harness.targets.capture_server import Captured, answer, redact


class CaptureTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._captured: list[Captured] = []
        self._seq = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raw = request.read().decode("utf-8", "replace")
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._captured.append(
                Captured(request.method, request.url.raw_path.decode("ascii"), redact(dict(request.headers)), body, seq)
            )
        if request.method != "POST":
            status, content_type, payload = 404, "application/json", b'{"error": {"message": "not found"}}'
        else:
            status, content_type, payload = answer(request.url.path, body, seq)
        return httpx.Response(status, headers={"content-type": content_type}, content=payload, request=request)

    def take(self) -> list[Captured]:
        """Everything captured so far, forgotten here."""
        with self._lock:
            got, self._captured = self._captured, []
        return got
