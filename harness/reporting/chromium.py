"""Headless Chromium plumbing for looking at a report: a loopback file server, a trap proxy
that records and refuses every request for an outside host, and a minimal DevTools-protocol
client on a pipe (standard library only: no websocket library, no Playwright)."""

from __future__ import annotations

import base64
import http.server
import json
import os
import shutil
import socket
import socketserver
import subprocess
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--no-default-browser-check", "--disable-extensions",
    "--disable-features=NetworkTimeServiceQuerying,Translate,OptimizationHints,MediaRouter,"
    "InterestFeedContentSuggestions,AutofillServerCommunication",
    "--disable-domain-reliability", "--metrics-recording-only", "--no-pings", "--mute-audio",
    "--hide-scrollbars", "--window-size=1440,1000",
    # Chromium's own background traffic, seen through the trap proxy even with the flags above:
    # the component updater (update.googleapis.com), GAIA (accounts.google.com), variations.
    # Point them at a closed loopback port so nothing is even attempted outside.
    "--component-updater=url-source=http://127.0.0.1:9", "--gaia-url=http://127.0.0.1:9",
    "--lso-url=http://127.0.0.1:9", "--google-apis-url=http://127.0.0.1:9",
    "--variations-server-url=http://127.0.0.1:9",
]
HOST_RULES = "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"


def find_chromium(explicit: str | None = None) -> str | None:
    for cand in (explicit, os.environ.get("KIMI_CONFORMANCE_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome", "/usr/bin/chromium"):
        if cand and (shutil.which(cand) or Path(cand).is_file()):
            return shutil.which(cand) or cand
    return None


# ----------------------------------------------------------------------------------- servers
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(directory: Path) -> tuple[_Server, int]:
    handler = partial(_QuietHandler, directory=str(directory))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


class TrapProxy:
    """A loopback 'proxy' that records each request Chromium tries to send out and refuses it."""

    def __init__(self):
        self.hits: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        try:
            conn.settimeout(5)
            data = conn.recv(4096).decode("latin-1", "replace")
            first = data.split("\r\n", 1)[0]
            if first:
                self.hits.append(first)
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self._stop = True
        try:
            self.sock.close()
        except OSError:
            pass


# ----------------------------------------------------------------------------------- CDP over a pipe
class CDP:
    def __init__(self, chromium: str, profile: Path, proxy_port: int):
        to_chrome_r, self._to_chrome_w = os.pipe()
        self._from_chrome_r, from_chrome_w = os.pipe()

        def child_fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        args = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
                f"--host-resolver-rules={HOST_RULES}", f"--proxy-server=http://127.0.0.1:{proxy_port}",
                "about:blank"]
        # our pipe ends are O_CLOEXEC (os.pipe); the child's dup2'ed fds 3 and 4 are inherited
        self.proc = subprocess.Popen(args, preexec_fn=child_fds, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        self._lock = threading.Lock()
        self._responses: dict[int, dict] = {}
        self._cv = threading.Condition()
        threading.Thread(target=self._reader, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self):
        for _ in iter(self.proc.stderr.readline, b""):
            pass

    def _reader(self):
        while True:
            try:
                chunk = os.read(self._from_chrome_r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cv:
                    self._cv.notify_all()
                return
            self._buf += chunk
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cv:
                    if "id" in msg:
                        self._responses[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                    self._cv.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        with self._lock:
            self._id += 1
            mid = self._id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cv:
            while mid not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError(f"CDP {method}: no answer")
                self._cv.wait(left)
            resp = self._responses.pop(mid)
        if "error" in resp:
            raise RuntimeError(f"CDP {method}: {resp['error']}")
        return resp.get("result", {})

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome_w, self._from_chrome_r):
            try:
                os.close(fd)
            except OSError:
                pass


class Page:
    def __init__(self, cdp: CDP):
        self.cdp = cdp
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1440, "height": 1000, "deviceScaleFactor": 1, "mobile": False})

    def send(self, method, params=None, timeout=30):
        return self.cdp.send(method, params, session=self.session, timeout=timeout)

    def eval(self, expr: str, timeout: float = 30) -> Any:
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True}, timeout)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate failed: {r['exceptionDetails'].get('text')}: {expr[:80]}")
        return r.get("result", {}).get("value")

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def wait_for(self, expr: str, timeout: float = 20, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.eval(expr)
            except RuntimeError:
                last = None
            if last:
                return last
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what or expr[:80]}")

    def text(self) -> str:
        return self.eval("document.body ? document.body.innerText : ''") or ""

    def screenshot(self, path: Path, full: bool = False) -> Path:
        params = {"format": "png", "captureBeyondViewport": full}
        data = self.send("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.cdp.events
                if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == self.session]


def click_text(page: Page, text: str, selector: str = "*") -> bool:
    """Click the innermost visible element whose text is exactly `text` (or starts with it)."""
    js = """
    (() => {
      const want = %s;
      const els = [...document.querySelectorAll(%s)].filter(e => e.offsetParent !== null);
      const exact = els.filter(e => (e.innerText || '').trim() === want);
      const pool = exact.length ? exact : els.filter(e => (e.innerText || '').trim().startsWith(want));
      const inner = pool.filter(e => !pool.some(o => o !== e && e.contains(o)));
      const el = inner[0];
      if (!el) return false;
      (el.closest('button,a,[role=button],summary') || el).click();
      return true;
    })()""" % (json.dumps(text), json.dumps(selector))
    return bool(page.eval(js))


# ----------------------------------------------------------------------------------- checks
