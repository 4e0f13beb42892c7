"""A browser that can only see the report: Playwright driving the system's Chromium, offline.

* `serve` serves the report from a loopback HTTP server (the Awesome report loads its data with
  fetch(), which file:// does not allow);
* `offline_browser` launches the system Chromium through Playwright (`executable_path`, never a
  browser Playwright downloads) with its background services off, no name resolving but loopback
  (`--host-resolver-rules`), and a loopback *trap* proxy (`TrapProxy`) that records and refuses
  every request Chromium itself tries to send out; in the page, `context.route` lets through only
  the report's origin (and data:/blob:) and aborts — and records — everything else.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-default-browser-check",
    "--disable-extensions",
    (
        "--disable-features=NetworkTimeServiceQuerying,Translate,OptimizationHints,MediaRouter,"
        "InterestFeedContentSuggestions,AutofillServerCommunication"
    ),
    "--disable-domain-reliability",
    "--metrics-recording-only",
    "--no-pings",
    "--mute-audio",
    "--hide-scrollbars",
    # Chromium's own background traffic (component updater, GAIA, variations) goes to a closed
    # loopback port, so nothing is even attempted outside
    "--component-updater=url-source=http://127.0.0.1:9",
    "--gaia-url=http://127.0.0.1:9",
    "--lso-url=http://127.0.0.1:9",
    "--google-apis-url=http://127.0.0.1:9",
    "--variations-server-url=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOCAL_SCHEMES = ("data:", "blob:", "about:", "chrome-error:")


def find_chromium(explicit: str | None = None) -> str | None:
    for cand in (
        explicit,
        os.environ.get("KIMI_CONFORMANCE_CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
        "/usr/bin/chromium",
    ):
        if cand and (shutil.which(cand) or Path(cand).is_file()):
            return shutil.which(cand) or cand
    return None


# ----------------------------------------------------------------------------------- servers
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(directory: Path) -> tuple[_Server, int]:
    server = _Server(("127.0.0.1", 0), partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


class TrapProxy:
    """A loopback 'proxy' that records each request Chromium tries to send out and refuses it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        try:
            conn.settimeout(5)
            first = conn.recv(4096).decode("latin-1", "replace").split("\r\n", 1)[0]
            if first:
                self.hits.append(first)
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


# ----------------------------------------------------------------------------------- the browser
@dataclass
class Guard:
    """What the page asked for: every URL, and those refused for leaving the report's origin."""

    origin: str
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def allowed(self, url: str) -> bool:
        return url.startswith(self.origin + "/") or url == self.origin or url.startswith(LOCAL_SCHEMES)

    def route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if self.allowed(url):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort("blockedbyclient")


@contextlib.contextmanager
def offline_browser(chromium: str, origin: str, trap: TrapProxy) -> Iterator[tuple[Any, Guard]]:
    """(page, guard): a Playwright page in the system Chromium that can reach `origin` only."""
    from playwright.sync_api import sync_playwright

    guard = Guard(origin)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            proxy={
                "server": f"http://127.0.0.1:{trap.port}",
                "bypass": "127.0.0.1,localhost",
            },
        )
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000}, service_workers="block")
            context.route("**/*", guard.route)
            yield context.new_page(), guard
        finally:
            browser.close()


def click_text(page: Any, text: str) -> bool:
    """Click the first visible element whose text is exactly `text` (else one containing it)."""
    for exact in (True, False):
        hit = page.get_by_text(text, exact=exact).filter(visible=True)
        if hit.count():
            hit.first.click()
            return True
    return False
