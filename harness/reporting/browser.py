"""A browser that can only see the report: Playwright driving the system's Chromium, offline.

**What counts.** The check measures the report, not the browser: only requests made by the
report's pages count. Chromium itself talks to Google on its own (the browser process: component
updater, GAIA, variations, network time, search preconnects; and, per browser context, services
such as autofill's field-type queries for a page's forms). That says nothing about the report, and
it differs from one Chromium build to the next. So every request is attributed to its initiator:

* the report's pages live in one browser context. `context.route` sees every request their content
  makes (documents, scripts, styles, fonts, images, fetch/XHR, EventSource, beacons, workers): the
  report's own origin (its loopback server, or its folder over `file://`) and data:/blob: go
  through, anything else is refused and recorded; `context.route_web_socket` does the same for
  WebSockets. These — `Guard.outside()` — are what counts;
* nothing else can leave either: the browser process and the report's context each get a
  loopback *trap proxy* (`TrapProxy`, which records and refuses every request). What lands there
  was sent by Chromium, not by a page (a page's requests pass the route first): it is recorded
  and shown (`Guard.browser_traffic()`), never counted.

A page that fetches an outside URL therefore fails the check (tests/reporting/test_browser.py),
whatever the browser does in the background.

**How Chromium is launched.** As Playwright launches it for automation: Playwright's default
switches (`chromiumSwitches` in playwright-core: no background networking, no component updates,
no default-browser check, metrics recording only, no sync, field trials off, and its
`--disable-features` list: OptimizationHints, NetworkTimeServiceQuerying, AimEnabled,
PreconnectToSearch, MediaRouter …) are kept. We add only switches Playwright does not set, and
never a `--disable-features` of our own: Chromium keeps the *last* value of a switch, so ours
would replace Playwright's list and bring back e.g. the search preconnect to www.google.com — the
"CONNECT www.google.com" of issue 28. Background services that still start get loopback URLs
(closed port 9). The real binary is launched, not a distribution's wrapper script (Debian's
`/usr/bin/chromium` sources /etc/chromium.d, which adds flags and Google API keys that switch
Google services on), with an environment without API keys or proxy settings.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.reporting.serve import serve  # noqa: F401  (re-exported: the check serves multi-file reports)

# Added to Playwright's defaults; none of them is a switch Playwright sets (see the module doc).
CHROMIUM_ARGS = [
    "--disable-quic",
    "--disable-domain-reliability",
    "--no-pings",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    # what the browser process still starts goes to a closed loopback port
    "--component-updater=url-source=http://127.0.0.1:9",
    "--gaia-url=http://127.0.0.1:9",
    "--lso-url=http://127.0.0.1:9",
    "--google-apis-url=http://127.0.0.1:9",
    "--variations-server-url=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOCAL_SCHEMES = ("data:", "blob:", "about:", "chrome-error:")
# Where distributions keep the real binary behind a wrapper script on the PATH.
REAL_BINARIES = ("/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser")
# Never handed to the browser: keys (ours, and the Google API keys a distribution exports), proxies.
_ENV_DROPPED = re.compile(r"^(GOOGLE_.*|.*_API_KEY|.*_proxy|.*_PROXY|NODE_OPTIONS)$")


def find_chromium(explicit: str | None = None) -> str | None:
    for cand in (
        explicit,
        os.environ.get("KIMI_CONFORMANCE_CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
        "/usr/bin/chromium",
    ):
        found = cand and (shutil.which(cand) or (cand if Path(cand).is_file() else None))
        if found:
            return real_binary(found)
    return None


def real_binary(path: str) -> str:
    """The browser binary behind a wrapper script (Debian's /usr/bin/chromium), else `path`."""
    try:
        with open(path, "rb") as f:
            is_script = f.read(2) == b"#!"
    except OSError:
        return path
    if is_script:
        for real in REAL_BINARIES:
            if os.access(real, os.X_OK):
                return real
    return path


def chromium_env(environ: dict[str, str] | None = None) -> dict[str, str | float | bool]:
    return {k: v for k, v in (os.environ if environ is None else environ).items() if not _ENV_DROPPED.match(k)}


# ----------------------------------------------------------------------------------- traps
class TrapProxy:
    """A loopback 'proxy' that records each request sent to it and refuses it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._loop, daemon=True).start()

    @property
    def server(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
    """What the report's pages asked for, and what the browser did on its own.

    `requests`: every URL the pages requested; `refused`: those outside the report (route);
    `sockets`: WebSockets the pages opened to outside hosts; `page_trap` / `browser_trap`: the trap
    proxies of the report's context and of the browser process (Chromium's own traffic)."""

    origin: str
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    page_trap: TrapProxy | None = None
    browser_trap: TrapProxy | None = None

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

    def web_socket(self, ws: Any) -> None:
        if self.allowed(re.sub(r"^ws", "http", ws.url)):
            ws.connect_to_server()
        else:
            self.sockets.append(ws.url)
            ws.close()

    def outside(self) -> list[str]:
        """What counts: every outside request the report's pages made (refused, all of them)."""
        return sorted(set(self.refused) | {f"websocket {u}" for u in self.sockets})

    def browser_traffic(self) -> list[str]:
        """Chromium's own requests (refused, shown, not counted): the browser process's, and those it
        sent for the report's context without a page asking (autofill queries and the like)."""
        found = list(self.browser_trap.hits) if self.browser_trap else []
        return found + [f"context: {hit}" for hit in (self.page_trap.hits if self.page_trap else [])]


@contextlib.contextmanager
def offline_browser(chromium: str, origin: str) -> Iterator[tuple[Any, Guard]]:
    """(page, guard): a Playwright page in the system Chromium that can reach `origin` only.

    `origin` is the report's loopback server (`http://127.0.0.1:PORT`) or its folder as a
    `file://` URL (no trailing slash)."""
    from playwright.sync_api import sync_playwright

    guard = Guard(origin, page_trap=TrapProxy(), browser_trap=TrapProxy())
    assert guard.page_trap is not None and guard.browser_trap is not None
    bypass = "127.0.0.1,localhost"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium,
                headless=True,
                args=CHROMIUM_ARGS,
                env=chromium_env(),
                proxy={"server": guard.browser_trap.server, "bypass": bypass},
            )
            try:
                context = browser.new_context(
                    viewport={"width": 1440, "height": 1000},
                    service_workers="block",
                    proxy={"server": guard.page_trap.server, "bypass": bypass},
                )
                context.route("**/*", guard.route)
                context.route_web_socket(re.compile(r".*"), guard.web_socket)
                yield context.new_page(), guard
            finally:
                browser.close()
    finally:
        guard.page_trap.close()
        guard.browser_trap.close()


def click_text(page: Any, text: str) -> bool:
    """Click the first visible element whose text is exactly `text` (else one containing it)."""
    for exact in (True, False):
        hit = page.get_by_text(text, exact=exact).filter(visible=True)
        if hit.count():
            hit.first.click()
            return True
    return False
