"""Open a built report in headless Chromium, take screenshots, and prove it stays offline.

    python -m harness.reporting.screenshot [--report reports/allure-report] [--shots reports/screenshots]
                                           [--chromium /usr/bin/chromium] [--expect-regressions N]

What it does, with nothing but the standard library and Debian's `chromium`:

* serves the report from a loopback HTTP server (127.0.0.1, random port) — the Awesome report
  loads its data with fetch(), which file:// does not allow;
* starts Chromium headless with a fresh profile, background networking / component updates /
  sync off, QUIC off, `--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE
  127.0.0.1"` (no name resolves but loopback) and `--proxy-server` pointing at a loopback *trap*
  proxy that records and refuses every request for an outside host (Chromium sends page *and*
  browser-level requests there; loopback bypasses it);
* drives it over the DevTools protocol on a pipe (`--remote-debugging-pipe`, no websocket
  library, no Playwright), logging every network request of the page;
* checks and screenshots: the overview (`overview.png`), the categories tree with the regression
  category (`categories.png`), a failing test with its `diff` attachment opened (`failure-diff.png`),
  the history trend charts (`trend.png`), and the matrix page when the report links one (`matrix.png`);
* fails (exit 1) if any request went to a host other than the loopback server, or a check did
  not find what it looked for. A JSON summary is printed and written to `<shots>/summary.json`.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
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
def _failing_result(report: Path) -> dict | None:
    best = None
    for p in sorted((report / "data" / "test-results").glob("*.json")):
        tr = json.loads(p.read_text())
        if tr.get("status") in ("failed", "broken"):
            names = json.dumps(tr.get("steps", []))
            if '"diff"' in names:
                return tr
            best = best or tr
    return best


def _history_points(report: Path) -> int:
    """How many runs the charts' status-dynamics (trend) widget holds (history + this one)."""
    try:
        charts = json.loads((report / "widgets" / "charts.json").read_text())
    except (OSError, ValueError):
        return 0
    for chart in (charts.get("general") or {}).values():
        if chart.get("type") in ("trend", "statusDynamics", "status-dynamics") or "dynamics" in str(chart.get("title", "")).lower():
            for key in ("data", "items", "points", "slices"):
                if isinstance(chart.get(key), (list, dict)):
                    return len(chart[key])
    return -1


def run(report: Path, shots: Path, chromium: str, expect_regressions: int | None = None) -> dict:
    report = report.resolve()
    shots.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"report": str(report), "screenshots": {}, "checks": {}, "outside_requests": []}
    server, port = serve(report)
    origin = f"http://127.0.0.1:{port}"
    trap = TrapProxy()
    profile = Path(tempfile.mkdtemp(prefix="kimi-chromium-"))
    cdp = None
    t0 = time.monotonic()
    try:
        cdp = CDP(chromium, profile, trap.port)
        page = Page(cdp)
        loaded = "document.querySelector('#app') && document.querySelector('#app').innerText.trim().length > 50"

        # 1. overview
        page.goto(f"{origin}/index.html")
        page.wait_for(loaded, what="the report app to render")
        time.sleep(1.0)
        text = page.text()
        summary["checks"]["overview"] = {"has_title": "kimi-conformance" in text,
                                         "mentions_failed": "failed" in text.lower() or "Failed" in text}
        summary["screenshots"]["overview"] = str(page.screenshot(shots / "overview.png"))

        # 2. categories (regressions)
        page.goto(f"{origin}/index.html#/categories")
        page.wait_for("document.body.innerText.includes('Regressions') || document.body.innerText.includes('Product errors')"
                      " || document.body.innerText.includes('Known divergences')", what="the categories tab")
        time.sleep(0.5)
        text = page.text()
        summary["checks"]["categories"] = {"regressions_category": "Regressions (passed in the previous run" in text}
        if expect_regressions is not None and expect_regressions > 0:
            click_text(page, "Regressions (passed in the previous run, fail now)")
            time.sleep(0.5)
        summary["screenshots"]["categories"] = str(page.screenshot(shots / "categories.png"))

        # 3. a failing test with its diff attachment (Attachments tab -> "diff")
        failing = _failing_result(report)
        if failing is not None:
            page.goto(f"{origin}/index.html#/{failing['id']}")
            page.wait_for(f"document.body.innerText.includes({json.dumps(failing['name'])})", what="the failing test page")
            time.sleep(0.5)
            click_text(page, "Attachments")
            time.sleep(0.5)
            opened = click_text(page, "diff")
            got = False
            if opened:
                try:  # this line is only in the diff attachment, not in the error message
                    got = page.wait_for("document.body.innerText.includes('Whole request, unified diff')", timeout=8,
                                        what="the diff attachment content")
                except AssertionError:
                    got = False
                page.eval("""(() => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                    let n; while ((n = w.nextNode())) { if (n.nodeValue.includes('What the rule compares')) {
                    n.parentElement.scrollIntoView({block: 'start'}); window.scrollBy(0, -120); return true; } }
                    return false; })()""")
                time.sleep(0.3)
            summary["checks"]["failure"] = {"test": failing["name"], "diff_clicked": opened, "diff_visible": bool(got)}
            summary["screenshots"]["failure-diff"] = str(page.screenshot(shots / "failure-diff.png"))
        else:
            summary["checks"]["failure"] = {"test": None}

        # 4. history trend
        page.goto(f"{origin}/index.html#/charts")
        page.wait_for("document.querySelectorAll('svg').length > 2", what="the charts")
        time.sleep(1.5)
        text = page.text()
        summary["checks"]["trend"] = {"trend_title": "Status dynamics" in text or "trend" in text.lower(),
                                      "history_points": _history_points(report),
                                      "svg_charts": page.eval("document.querySelectorAll('svg path').length")}
        summary["screenshots"]["trend"] = str(page.screenshot(shots / "trend.png", full=True))

        # 5. the matrix page, if linked
        if (report / "matrix.html").is_file():
            page.goto(f"{origin}/matrix.html")
            page.wait_for("document.body && document.body.innerText.length > 10", what="the matrix page")
            summary["checks"]["matrix"] = {"linked_from_index": "matrix.html" in (report / "index.html").read_text()}
            summary["screenshots"]["matrix"] = str(page.screenshot(shots / "matrix.png", full=True))

        time.sleep(0.5)
        every = page.requests()
        summary["requests"] = len(every)
        summary["outside_requests"] = sorted({u for u in every if not (
            u.startswith(origin + "/") or u.startswith(("data:", "blob:", "about:", "chrome-error:")))})
    finally:
        if cdp is not None:
            cdp.close()
        server.shutdown()
        trap.close()
        shutil.rmtree(profile, ignore_errors=True)
    summary["proxy_trap_hits"] = trap.hits
    summary["seconds"] = round(time.monotonic() - t0, 1)
    (shots / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def problems(summary: dict, expect_regressions: int | None = None) -> list[str]:
    out = []
    if summary["outside_requests"]:
        out.append(f"requests to outside hosts: {summary['outside_requests']}")
    if summary["proxy_trap_hits"]:
        out.append(f"Chromium tried to reach outside hosts: {summary['proxy_trap_hits']}")
    c = summary["checks"]
    if not c.get("overview", {}).get("has_title"):
        out.append("overview did not render the report title")
    if expect_regressions:
        if not c.get("categories", {}).get("regressions_category"):
            out.append("no Regressions category in the categories tab")
        if not c.get("failure", {}).get("diff_visible"):
            out.append("the failing test's diff attachment did not show")
    if not c.get("trend", {}).get("trend_title"):
        out.append("no trend chart on the charts page")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.reporting.screenshot", description=__doc__.split("\n\n")[0])
    ap.add_argument("--report", type=Path, default=Path("reports/allure-report"))
    ap.add_argument("--shots", type=Path, default=Path("reports/screenshots"))
    ap.add_argument("--chromium", default=None, help="Chromium binary (default: chromium on PATH)")
    ap.add_argument("--expect-regressions", type=int, default=None,
                    help="also require the Regressions category and a failing test's diff to show")
    args = ap.parse_args(argv)
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("chromium not found (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    summary = run(args.report, args.shots, chromium, args.expect_regressions)
    print(json.dumps(summary, indent=1))
    bad = problems(summary, args.expect_regressions)
    for p in bad:
        print(f"[screenshot] FAIL: {p}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
