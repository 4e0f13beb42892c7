"""Keeping the report offline and secret-free: scrub the results before generation, strip
Allure's analytics afterwards, and list anything that would still make a browser fetch from an
outside host."""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness.reporting.allure3_install import BuildError
from harness.reporting.redact import contains_secret, scrub

TEXT_SUFFIXES = (
    ".json",
    ".txt",
    ".html",
    ".htm",
    ".xml",
    ".yaml",
    ".yml",
    ".properties",
    ".csv",
    ".md",
    ".log",
    ".uri",
)


def scrub_results(results: Path) -> int:
    """Scrub every text file of an allure-results directory in place; return how many changed."""
    changed = 0
    for path in results.rglob("*"):
        if not path.is_file() or not path.name.lower().endswith(TEXT_SUFFIXES):
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        clean = None
        if path.suffix == ".json":
            try:  # scrub the decoded values: escaped quotes hide header names from the text regexes
                data = json.loads(text)
            except ValueError:
                data = None
            if data is not None:
                cleaned = _scrub_json(data)
                clean = json.dumps(cleaned, ensure_ascii=False) if cleaned != data else text
        if clean is None:
            clean = scrub(text)
        if clean != text:
            path.write_text(clean, encoding="utf-8")
            changed += 1
    leaks = [str(p) for p in results.rglob("*") if p.is_file() and contains_secret(p.read_bytes())]
    if leaks:
        raise BuildError(f"an API key is still present after scrubbing in: {', '.join(leaks[:5])}")
    return changed


def _scrub_json(obj):
    if isinstance(obj, str):
        return scrub(obj)
    if isinstance(obj, list):
        return [_scrub_json(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _scrub_json(v) for k, v in obj.items()}
    return obj


# ----------------------------------------------------------------------------------- config


_ANALYTICS_SCRIPT_RE = re.compile(
    r"<script\b[^>]*\bsrc=[\"']https?://(?!localhost|127\.0\.0\.1)[^\"']*[\"'][^>]*>\s*</script>\s*"
    r"|<script\b[^>]*>(?:(?!</script>)[\s\S])*?(?:gtag\(|dataLayer)(?:(?!</script>)[\s\S])*</script>\s*",
    re.I,
)

LOCAL_HOST_RE = r"(?:localhost|127\.0\.0\.1|\[::1\])"
# What makes a browser fetch by itself (not a link the user has to click).
_FETCH_PATTERNS = [
    (
        "html src/href",
        re.compile(
            r"<(?:script|img|iframe|frame|embed|source|video|audio|track|input)\b[^>]*\b(?:src|srcset|poster)\s*=\s*[\"']?\s*"
            r"(?://|https?://)(?!" + LOCAL_HOST_RE + r")[^\s\"'>]+",
            re.I,
        ),
    ),
    (
        "html link",
        re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?://|https?://)(?!" + LOCAL_HOST_RE + r")[^\s\"'>]+", re.I),
    ),
    (
        "html object",
        re.compile(r"<object\b[^>]*\bdata\s*=\s*[\"']?\s*(?://|https?://)(?!" + LOCAL_HOST_RE + r")", re.I),
    ),
    ("css url()", re.compile(r"url\(\s*[\"']?\s*(?://|https?://)(?!" + LOCAL_HOST_RE + r")[^)\"']+", re.I)),
    ("css @import", re.compile(r"@import\s+(?:url\()?\s*[\"']?(?://|https?://)(?!" + LOCAL_HOST_RE + r")", re.I)),
    (
        "js fetch/import",
        re.compile(
            r"(?:fetch|importScripts|sendBeacon|import)\(\s*[\"'`](?://|https?://)(?!" + LOCAL_HOST_RE + r")[^\"'`]+",
            re.I,
        ),
    ),
    (
        "known tracker/CDN host",
        re.compile(
            r"(?:googletagmanager\.com|google-analytics\.com|gtag/js|fonts\.googleapis\.com|fonts\.gstatic\.com|"
            r"cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|segment\.(?:io|com)|mixpanel\.com|sentry\.io|"
            r"hotjar\.com|plausible\.io|amplitude\.com|posthog\.com|clarity\.ms)",
            re.I,
        ),
    ),
]
_URL_RE = re.compile(r"https?://[^\s\"'`()<>\\,;]+", re.I)
# URLs the app bundle contains that are not fetched: XML namespaces, links opened on click.
INERT_URL_RE = re.compile(
    r"^https?://(?:" + LOCAL_HOST_RE + r"|www\.w3\.org/|allurereport\.org/?$|trace\.playwright\.dev/?$|\$\{)", re.I
)


def strip_analytics(out: Path) -> int:
    removed = 0
    for page in out.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        new, n = _ANALYTICS_SCRIPT_RE.subn("", text)
        if n:
            page.write_text(new, encoding="utf-8")
            removed += n
    return removed


# Pages this project renders itself, with no script: a bare URL in their text is prose (an n/a
# reason naming an endpoint), never fetched, so only the fetch patterns apply to them.
OWN_PAGES = frozenset({"matrix.html", "summary.html", "coverage.html"})


def offline_problems(out: Path) -> tuple[list[str], list[str]]:
    """(problems: references that would fetch from an outside host, notes: inert outside URLs).

    Both report forms are scanned alike: a single-file report's app (its `data:` script and
    stylesheet) and data files are decoded from index.html first (harness.reporting.report_files)."""
    from harness.reporting.report_files import files

    problems, notes = [], set()
    for rel, raw in sorted(files(out).items()):
        suffix = Path(rel.split("#")[-1]).suffix.lower()
        if suffix not in (".html", ".htm", ".js", ".mjs", ".css", ".svg", ".json"):
            continue
        text = raw.decode("utf-8", errors="replace")
        is_attachment = "attachments" in Path(rel).parts
        if suffix == ".json":  # report data and JSON attachments: shown as text by the app, never fetched
            continue
        for label, rx in _FETCH_PATTERNS:
            for m in rx.finditer(text):
                problems.append(f"{rel}: {label}: {m.group(0)[:160]}")
        own_page = rel in OWN_PAGES and "<script" not in text.lower()
        if suffix in (".js", ".mjs", ".html", ".css") and not is_attachment and not own_page:
            for m in _URL_RE.finditer(text):
                url = m.group(0)
                if INERT_URL_RE.match(url):
                    continue
                problems.append(f"{rel}: unknown outside URL in the app: {url[:160]}")
        elif is_attachment:
            for m in _URL_RE.finditer(text):
                notes.add(f"{rel}: {m.group(0)[:120]}")
    return problems, sorted(notes)


# ----------------------------------------------------------------------------------- matrix
