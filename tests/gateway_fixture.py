"""Tiny OpenAI-compatible gateways for testing the `http:URL` target.

- the conformant one applies the contract (`harness.reference.transform`) to what it receives —
  the request, plus the case configuration from the `X-Kimi-Conformance-Case` header — and
  forwards the result to its upstream;
- the broken one forwards the request verbatim (model name included);
- the stale one is conformant but answers each request with the previous request's answer;
- the refusing one (broken and refuse) forwards verbatim, then answers 400 whatever upstream said.

All but the refusing one relay the upstream's answer (status, content type, body) to the caller.
`python -m tests.gateway_fixture --upstream http://127.0.0.1:8765/v1 [--port N] [--broken]`.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CASE_HEADER = "X-Kimi-Conformance-Case"


class _Handler(BaseHTTPRequestHandler):
    server: Gateway
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls

    def log_message(self, *args):
        pass

    def _reply(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._reply(404, "application/json", b'{"error": {"message": "not found"}}')
            return
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        if self.server.broken:
            outbound = body
        else:
            from harness.errors import CaseError
            from harness.reference import transform

            config = json.loads(self.headers.get(CASE_HEADER) or "{}")
            case = {"model": body.get("model"), "request": body, **config}
            try:
                outbound = transform(case)["body"]
            except CaseError as e:
                self._reply(400, "application/json", json.dumps({"error": {"message": str(e)}}).encode())
                return
        req = urllib.request.Request(
            self.server.upstream.rstrip("/") + "/chat/completions",
            data=json.dumps(outbound).encode(),
            method="POST",
            headers={"content-type": "application/json", "authorization": "Bearer sk-upstream-key-of-the-gateway"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                answer = (resp.status, resp.headers.get("content-type", "application/json"), resp.read())
                if self.server.stale:  # hand back the previous exchange's answer
                    answer, self.server.previous = self.server.previous or answer, answer
                if self.server.refuse:  # sent upstream, and yet a refusal to its caller
                    answer = (400, "application/json", b'{"error": {"message": "invalid request"}}')
                self._reply(*answer)
        except urllib.error.HTTPError as e:
            self._reply(e.code, "application/json", e.read())
        except OSError as e:
            self._reply(502, "application/json", json.dumps({"error": {"message": str(e)}}).encode())


class Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, broken: bool = False, port: int = 0, stale: bool = False, refuse: bool = False):
        super().__init__(("127.0.0.1", port), _Handler)
        self.upstream = upstream
        self.broken = broken
        self.stale = stale
        self.refuse = refuse
        self.previous: tuple | None = None
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def start(self) -> Gateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="a tiny gateway for the http:URL target")
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--broken", action="store_true")
    args = parser.parse_args(argv)
    gw = Gateway(args.upstream, args.broken, args.port)
    print(gw.url, flush=True)
    gw.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
