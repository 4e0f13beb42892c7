"""The offline browser (Playwright + the system Chromium): the page reaches its loopback origin only;
every outside request — script, image, fetch, CSS import — is refused and reported."""

from __future__ import annotations

import pytest

from harness.reporting import browser

pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python is not installed: pip install -e '.[report]'",
)
CHROMIUM = browser.find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install chromium)",
)

PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="https://fonts.example.invalid/font.css">
<script src="https://cdn.example.invalid/lib.js"></script>
</head><body><p id="t">local page</p><button onclick="this.innerText='clicked'">Press me</button>
<img src="https://img.example.invalid/pixel.png"><img src="local.png">
<script>fetch('https://api.example.invalid/beacon').catch(() => {}); fetch('local.json').catch(() => {});</script>
</body></html>"""


def test_outside_requests_are_refused_and_reported(tmp_path):
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "local.json").write_text("{}")
    server, port = browser.serve(tmp_path)
    origin = f"http://127.0.0.1:{port}"
    trap = browser.TrapProxy()
    try:
        with browser.offline_browser(CHROMIUM, origin, trap) as (page, guard):
            page.goto(f"{origin}/index.html")
            page.wait_for_timeout(500)
            assert page.inner_text("#t") == "local page"
            assert browser.click_text(page, "Press me") and page.get_by_text("clicked").count() == 1
            assert not browser.click_text(page, "no such text")
            page.screenshot(path=str(tmp_path / "shot.png"))
    finally:
        server.shutdown()
        trap.close()
    outside = {u for u in guard.requests if not guard.allowed(u)}
    assert outside == set(guard.refused)
    assert {
        "https://cdn.example.invalid/lib.js",
        "https://img.example.invalid/pixel.png",
        "https://api.example.invalid/beacon",
        "https://fonts.example.invalid/font.css",
    } <= set(guard.refused)
    assert f"{origin}/local.json" in guard.requests and f"{origin}/local.json" not in guard.refused
    assert trap.hits == [], "Chromium itself tried to reach an outside host"
    assert (tmp_path / "shot.png").stat().st_size > 1000
