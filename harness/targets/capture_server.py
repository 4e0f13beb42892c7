"""A loopback capture server: stands in for the Moonshot API and records what reaches it.

Real integrations (LiteLLM in-process, any OpenAI-compatible gateway behind `http:URL`) are
pointed at this server instead of the real upstream. It records every request — method, path,
headers (credentials redacted), JSON body — and answers with a minimal valid Moonshot chat
completion (or an SSE stream when the body asks for `stream: true`), so the client is
satisfied and never reaches the network.

Standalone: `python -m harness.targets.capture_server --port 8765` prints each captured request
as a JSON line (useful to see what a gateway sends before pointing the harness at it).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REDACTED = "Bearer <redacted>"
SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "proxy-authorization", "cookie")


@dataclass
class Captured:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it is not JSON
    seq: int = 0  # capture number, also in the completion id it is answered with (chatcmpl-kc-N)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def redact(headers: dict[str, str]) -> dict[str, str]:
    out = {}
    for k, v in headers.items():
        key = k.lower()
        if key in SECRET_HEADERS:
            v = (
                REDACTED
                if key in ("authorization", "proxy-authorization") and str(v).lower().startswith("bearer")
                else "<redacted>"
            )
        out[key] = v
    return out


def completion_id(seq: int) -> str:
    """The id a capture is answered with: a gateway that passes the upstream's id through lets
    the harness pair its answer with the capture (harness.targets.http_gateway)."""
    return f"chatcmpl-kc-{seq}"


def completion(model: str, cid: str = "chatcmpl-capture") -> dict[str, Any]:
    """A minimal non-streamed Moonshot chat completion (shape of the real captures, harness/cassettes/real_captures)."""
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def stream_chunks(model: str, include_usage: bool, cid: str = "chatcmpl-capture") -> list[dict[str, Any]]:
    """Moonshot's stream: role+content, then the finish chunk carrying `choices[0].usage`, then,
    with include_usage, the trailing `{"choices": [], "usage"}` chunk (docs/contract.md#t9)."""
    base = {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "OK"}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "usage": usage}]},
    ]
    if include_usage:
        chunks.append({**base, "choices": [], "usage": usage})
    return chunks


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls

    def log_message(self, *args):  # quiet
        pass

    def _read_body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            raw = self._read_chunked()
        text = raw.decode("utf-8", "replace")
        try:
            return json.loads(text) if text else None
        except json.JSONDecodeError:
            return text

    def _read_chunked(self) -> bytes:
        data = b""
        while True:
            size = int(self.rfile.readline().strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.server.record(Captured("GET", self.path, redact(dict(self.headers.items())), None))
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": []})
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "resource_not_found_error"}})

    def do_CONNECT(self):
        # HTTPS through this server as an explicit proxy (a client configured with a proxy, as
        # OpenClaw's models.providers.*.request.proxy): terminate TLS with the server's own
        # certificate and serve the tunnelled requests like direct ones.
        context = self.server.tls_context
        if context is None:
            self.send_error(405, "CONNECT needs CaptureServer(tls_context=...)")
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        try:
            tunnel = context.wrap_socket(self.connection, server_side=True)
        except OSError:
            self.close_connection = True
            return
        _Handler(tunnel, self.client_address, self.server)
        self.close_connection = True

    def do_POST(self):
        body = self._read_body()
        seq = self.server.record(Captured("POST", self.path, redact(dict(self.headers.items())), body))
        status, content_type, payload = answer(self.path, body, seq, self.server.reply)
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def answer(path: str, body: Any, seq: int, reply: Any = None) -> tuple[int, str, bytes]:
    """What the capture answers to a POST: (status, content type, payload); shared by the
    loopback server and the in-process transport (harness.targets.capture_transport). `reply`:
    body -> stream chunks to answer with instead (e.g. a tool call), or None for the default."""
    cid = completion_id(seq)
    model = body.get("model", "unknown") if isinstance(body, dict) else "unknown"
    if not path.rstrip("/").endswith("/chat/completions"):
        error = {"error": {"message": f"no route {path}", "type": "resource_not_found_error"}}
        return 404, "application/json", json.dumps(error).encode()
    if isinstance(body, dict) and body.get("stream"):
        options = body.get("stream_options")
        include = bool(options.get("include_usage")) if isinstance(options, dict) else False
        scripted = reply(body) if reply else None
        chunks = scripted if scripted is not None else stream_chunks(model, include, cid)
        payload = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
        return 200, "text/event-stream", payload + b"data: [DONE]\n\n"
    return 200, "application/json", json.dumps(completion(model, cid)).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, on_capture=None, tls_context=None):
        super().__init__(("127.0.0.1", port), _Handler)
        self.tls_context = tls_context
        self.reply = None  # body -> stream chunks, or None for the default answer
        self.captured: list[Captured] = []
        self.cond = threading.Condition()
        self.on_capture = on_capture
        self._seq = 0

    def record(self, item: Captured) -> int:
        with self.cond:
            self._seq += 1
            item.seq = self._seq
            self.captured.append(item)
            self.cond.notify_all()
        if self.on_capture:
            self.on_capture(item)
        return item.seq


class CaptureServer:
    """`with CaptureServer() as cap: ... cap.url ... cap.take()`; port 0 picks a free port."""

    def __init__(self, port: int = 0, on_capture=None, tls_context=None):
        self._server = _Server(port, on_capture, tls_context)
        # a short poll: close() (shutdown) waits for the loop to notice, 0.5 s by default
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="kimi-capture", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The base URL to give a client as its Moonshot endpoint (`.../v1`)."""
        return self.base + "/v1"

    def clear(self) -> None:
        with self._server.cond:
            self._server.captured.clear()

    def take(self, count: int = 1, timeout: float = 10.0) -> list[Captured]:
        """Wait for `count` requests, return and forget everything captured so far."""
        deadline = time.monotonic() + timeout
        with self._server.cond:
            while len(self._server.captured) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._server.cond.wait(left)
            got, self._server.captured[:] = list(self._server.captured), []
        return got

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CaptureServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = CaptureServer(
        args.port, on_capture=lambda c: print(json.dumps(c.to_dict(), ensure_ascii=False), flush=True)
    )
    print(f"capturing on {server.url}", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
