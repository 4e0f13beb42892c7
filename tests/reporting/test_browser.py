"""The offline browser (Playwright + the system Chromium): the page reaches its own origin only; every
outside request — script, image, fetch, CSS import, WebSocket — is refused and reported, and only the
report's pages count: the browser's own background traffic is shown, never counted."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from harness.reporting import browser, screenshot

CHROMIUM = browser.find_chromium()


def _needs_browser():
    pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is not installed: pip install -e '.[report]'"
    )
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="https://fonts.example.invalid/font.css">
<script src="https://cdn.example.invalid/lib.js"></script>
</head><body><p id="t">local page</p><button onclick="this.innerText='clicked'">Press me</button>
<img src="https://img.example.invalid/pixel.png"><img src="local.png">
<script>fetch('https://api.example.invalid/beacon').catch(() => {}); fetch('local.json').catch(() => {});</script>
</body></html>"""


@pytest.mark.integration
def test_outside_requests_are_refused_and_reported(tmp_path):
    _needs_browser()
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "local.json").write_text("{}")
    server, port = browser.serve(tmp_path)
    origin = f"http://127.0.0.1:{port}"
    try:
        with browser.offline_browser(CHROMIUM, origin) as (page, guard):
            page.goto(f"{origin}/index.html")
            page.wait_for_timeout(500)
            assert page.inner_text("#t") == "local page"
            assert browser.click_text(page, "Press me") and page.get_by_text("clicked").count() == 1
            assert not browser.click_text(page, "no such text")
            page.screenshot(path=str(tmp_path / "shot.png"))
    finally:
        server.shutdown()
    outside = {u for u in guard.requests if not guard.allowed(u)}
    assert outside == set(guard.refused)
    assert (
        {
            "https://cdn.example.invalid/lib.js",
            "https://img.example.invalid/pixel.png",
            "https://api.example.invalid/beacon",
            "https://fonts.example.invalid/font.css",
        }
        <= set(guard.refused)
        <= set(guard.outside())
    )
    assert f"{origin}/local.json" in guard.requests and f"{origin}/local.json" not in guard.refused
    # the page's outside requests fail the check, whatever the browser did in the background
    verdict = {"outside_requests": guard.outside(), "checks": {"overview": {"shows_results": True}}}
    assert any("api.example.invalid" in p for p in screenshot.problems(verdict))
    assert (tmp_path / "shot.png").stat().st_size > 1000


@pytest.mark.integration
def test_a_clean_page_passes_and_the_browsers_own_traffic_does_not_count(tmp_path):
    """Only requests of the report's pages count. Another context of the same browser stands for
    Chromium's own traffic: it has no proxy of its own, so what it sends lands in the browser's trap."""
    _needs_browser()
    (tmp_path / "index.html").write_text("<!doctype html><p id='t'>report</p><script>fetch('data.json')</script>")
    (tmp_path / "data.json").write_text("{}")
    origin = tmp_path.as_uri()  # the report's folder, over file://, as a double-click opens it
    with browser.offline_browser(CHROMIUM, origin) as (page, guard):
        page.goto(f"{origin}/index.html")
        assert page.inner_text("#t") == "report"
        other = page.context.browser.new_context().new_page()
        with pytest.raises(Exception, match="ERR_"):  # the trap refuses it
            other.goto("http://background.example.invalid/update", wait_until="commit", timeout=10_000)
        page.wait_for_timeout(300)
    assert guard.outside() == [], "the report's page made no outside request"
    assert any("background.example.invalid" in hit for hit in guard.browser_traffic())
    verdict = {
        "outside_requests": guard.outside(),
        "browser_traffic": guard.browser_traffic(),
        "checks": {"overview": {"shows_results": True}},
    }
    assert screenshot.problems(verdict) == []
    assert any("background traffic" in w for w in screenshot.warnings(verdict))


@pytest.mark.integration
def test_a_pages_websocket_to_an_outside_host_counts(tmp_path):
    _needs_browser()
    (tmp_path / "index.html").write_text(
        "<!doctype html><p id='t'>x</p><script>try { new WebSocket('wss://ws.example.invalid/live') } catch (e) {}"
        "</script>"
    )
    origin = tmp_path.as_uri()
    with browser.offline_browser(CHROMIUM, origin) as (page, guard):
        page.goto(f"{origin}/index.html")
        page.wait_for_timeout(1000)
    assert "websocket wss://ws.example.invalid/live" in guard.outside()


# ----------------------------------------------------------------------------------- fast
def _playwright_switches() -> list[str]:
    """The switches Playwright itself passes to Chromium (chromiumSwitches in playwright-core)."""
    playwright = pytest.importorskip("playwright")
    bundles = list((Path(playwright.__file__).parent / "driver" / "package" / "lib").rglob("*.js"))
    for bundle in bundles:
        text = bundle.read_text(encoding="utf-8", errors="replace")
        start = text.find("chromiumSwitches = (options) => [")
        if start != -1:
            body = text[start : text.index("].filter(Boolean)", start)]
            return re.findall(r'"(--[a-z0-9-]+)', body)
    pytest.skip("playwright-core's chromiumSwitches not found in the installed package")


def test_playwrights_switches_are_kept_not_overridden():
    """Chromium keeps the last value of a switch: one of ours named like Playwright's would replace
    it — our --disable-features once replaced Playwright's list and let the search preconnect
    (CONNECT www.google.com) back in."""
    ours = {a.split("=", 1)[0] for a in browser.CHROMIUM_ARGS}
    theirs = set(_playwright_switches())
    assert {"--disable-background-networking", "--disable-component-update", "--disable-features"} <= theirs
    assert ours & theirs == set()
    assert "--disable-features" not in ours and "--enable-features" not in ours


def test_the_real_binary_is_launched_not_a_wrapper_script(tmp_path, monkeypatch):
    wrapper = tmp_path / "chromium"
    wrapper.write_text('#!/bin/sh\n. /etc/chromium.d/apikeys\nexec /usr/lib/chromium/chromium "$@"\n')
    real = tmp_path / "lib" / "chromium"
    real.parent.mkdir()
    real.write_bytes(b"\x7fELF")
    for f in (wrapper, real):
        f.chmod(f.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(browser, "REAL_BINARIES", (str(tmp_path / "missing"), str(real)))
    assert browser.real_binary(str(wrapper)) == str(real)
    assert browser.real_binary(str(real)) == str(real)
    monkeypatch.setattr(browser, "REAL_BINARIES", ())
    assert browser.real_binary(str(wrapper)) == str(wrapper)


def test_the_browser_gets_no_keys_and_no_proxy_settings():
    env = browser.chromium_env(
        {
            "PATH": "/usr/bin",
            "HOME": "/root",
            "GOOGLE_API_KEY": "AIza-x",
            "GOOGLE_DEFAULT_CLIENT_SECRET": "s",
            "MOONSHOT_API_KEY": "sk-x",
            "HTTPS_PROXY": "http://proxy:3128",
            "no_proxy": "x",
        }
    )
    assert env == {"PATH": "/usr/bin", "HOME": "/root"}


def test_screenshot_problems_and_warnings():
    clean = {"outside_requests": [], "browser_traffic": [], "checks": {"overview": {"shows_results": True}}}
    assert screenshot.problems(clean) == [] and screenshot.warnings(clean) == []
    spinner = {**clean, "checks": {"overview": {"shows_results": False}}}
    assert screenshot.problems(spinner) == ["the overview did not render the run's test results"]
    assert screenshot.problems({**clean, "outside_requests": ["proxy: CONNECT x.example:443 HTTP/1.1"]})


def test_find_chromium_honours_the_environment(tmp_path, monkeypatch):
    exe = tmp_path / "my-chromium"
    exe.write_bytes(b"\x7fELF")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("KIMI_CONFORMANCE_CHROMIUM", str(exe))
    assert browser.find_chromium() == str(exe)
    assert os.access(browser.find_chromium(str(exe)) or "", os.X_OK)
