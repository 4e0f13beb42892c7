"""The emulator's HTTP transport: a threading server with a real listen backlog, and the handler
that writes replies (JSON, or SSE one chunk per event) and plays the transport faults (stall,
truncate) a fault plan asks for. Routing and bodies live in server.Emulator.handle."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BACKLOG = 512  # listen queue: 200+ clients connecting at once must not be refused


class Server(ThreadingHTTPServer):
    emulator: Any = None  # the server.Emulator whose handle() answers (set by Emulator.start)
    daemon_threads = True
    request_queue_size = BACKLOG  # socketserver's default of 5 refuses bursts of connections
    allow_reuse_address = True


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    server_version = "kimi-emulator"

    def setup(self) -> None:
        super().setup()
        # small writes (headers, then one SSE event each) must not wait for delayed ACKs
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        emu = self.server.emulator
        reply = emu.handle(method, self.path, dict(self.headers.items()), raw)
        self.send_response(reply.status)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        if isinstance(reply.body, bytes):
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.fault == "truncate":
                return self._break(reply.body[: len(reply.body) // 2])
            if reply.fault == "stall":
                return self._stall(emu)
            self.wfile.write(reply.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        events = list(reply.body)
        cut = len(events) // 2 if reply.fault else len(events)
        for event in events[:cut]:  # one HTTP chunk per SSE event, flushed at once
            self._chunk(event)
        if reply.fault == "truncate":  # half an event, then the connection drops
            half = events[cut][: max(1, len(events[cut]) // 2)]
            return self._break(b"%x\r\n%s\r\n" % (len(half), half))
        if reply.fault == "stall":
            return self._stall(emu)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _break(self, partial: bytes) -> None:
        """Send `partial` and drop the connection: the body ends before it is complete."""
        self.wfile.write(partial)
        self.wfile.flush()
        self.close_connection = True

    def _stall(self, emu) -> None:
        """Send nothing more until the client gives up (or the emulator stops), then drop."""
        emu._stopping.wait(emu.faults.stall_seconds)
        self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, *args) -> None:  # keep test output clean
        pass
