"""Build the HTML conformance report offline with Allure 3 — the one entry point of `tox -e report`.

    python -m harness.reporting.build [--results reports/allure-results] [--out reports/allure-report]
                                      [--history reports/history.jsonl] [--matrix reports/matrix.md]

Steps:

1. install Allure 3 (npm package `allure`, pinned in harness/reporting/allure3/package.json and its
   lock file) into ``<cache>/allure3/allure-<version>/`` with the system Node (>= 20) and npm —
   idempotent (a stamp holds the package.json + lock hash) and atomic; ``<cache>`` is
   ``$KIMI_CONFORMANCE_CACHE`` or ``~/.cache/kimi-conformance`` (as for Node targets);
2. scrub every file of the results directory with `harness.reporting.allure.scrub` and refuse to
   go on if an API key survived;
3. mark regressions from the history file (`harness.reporting.history`): passed in the previous
   run, failed now -> label `regression=true`, matched by the "Regressions" category;
4. generate with the Awesome plugin, history kept in ``--history`` (outside allure-results, so
   it survives `--clean-alluredir`), categories from `harness.reporting.categories`, under a Node
   preload (allure3/offline-guard.cjs) that refuses and records any connection, DNS lookup or
   fetch to a non-loopback host;
5. strip Allure's analytics (the Awesome template always emits a Google Tag Manager script),
   render the conformance matrix (Markdown from harness/reporting/matrix.py) to matrix.html and
   link it from the report;
6. check the output: no HTML/CSS/JS reference that would make a browser fetch from an outside
   host (script/link/img/iframe sources, CSS url()/@import, fetch()/importScripts of http(s) URLs,
   known analytics / font / CDN hosts). Any hit fails the build.

Exit status: 2 when the report could not be built (or would not be offline-clean, or a key
survived scrubbing); else, with `--fail-on-failures`, 1 when a test failed or broke (after the
report is written, so a CI job publishes it and still goes red); else 0.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.reporting import categories
from harness.reporting.allure import contains_secret, scrub
from harness.reporting.history import mark_regressions

HERE = Path(__file__).resolve().parent
ALLURE3_SRC = HERE / "allure3"
GUARD = ALLURE3_SRC / "offline-guard.cjs"
STAMP = ".kimi-conformance-install.json"
NODE_MIN = 20
HISTORY_LIMIT = 30


def _say(msg: str) -> None:
    print(f"[report] {msg}", flush=True)


class BuildError(RuntimeError):
    pass


# ----------------------------------------------------------------------------------- install
def allure_version() -> str:
    pkg = json.loads((ALLURE3_SRC / "package.json").read_text())
    return pkg["dependencies"]["allure"]


def cache_root() -> Path:
    from harness.targets.node.install import cache_root as node_cache_root

    return node_cache_root()


def install_dir() -> Path:
    return cache_root() / "allure3" / f"allure-{allure_version()}"


def _fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        p = ALLURE3_SRC / name
        if p.is_file():
            h.update(name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def cli_path(directory: Path) -> Path:
    return directory / "node_modules" / "allure" / "cli.js"


def node_binary() -> str:
    node = os.environ.get("KIMI_CONFORMANCE_NODE") or shutil.which("node")
    if not node:
        raise BuildError("node not found on PATH (Allure 3 needs Node >= 20): install nodejs >= 20 or set KIMI_CONFORMANCE_NODE")
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    major = int(out.lstrip("v").split(".")[0])
    if major < NODE_MIN:
        raise BuildError(f"{node} is {out}; Allure 3 needs Node >= {NODE_MIN}")
    return node


def is_installed(directory: Path | None = None) -> bool:
    directory = directory or install_dir()
    try:
        stamp = json.loads((directory / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("fingerprint") == _fingerprint() and cli_path(directory).is_file()


def install(force: bool = False) -> Path:
    """Allure 3 in the cache (npm ci of the pinned package.json + lock); returns its folder."""
    target = install_dir()
    if not force and is_installed(target):
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm not found on PATH (needed once, to install the pinned Allure 3 into the cache)")
    node_binary()
    target.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            if (ALLURE3_SRC / name).is_file():
                shutil.copyfile(ALLURE3_SRC / name, tmp / name)
        verb = "ci" if (tmp / "package-lock.json").is_file() else "install"
        cmd = [npm, verb, "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev", "--prefix", str(tmp)]
        _say("$ " + " ".join(cmd))
        subprocess.run(cmd, cwd=tmp, check=True)
        (tmp / STAMP).write_text(json.dumps({
            "allure": allure_version(), "fingerprint": _fingerprint(),
            "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=2) + "\n")
        if target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            os.rename(target, old)
            os.rename(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _say(f"installed Allure {allure_version()} at {target} in {time.monotonic() - t0:.0f}s")
    return target


# ----------------------------------------------------------------------------------- scrubbing
TEXT_SUFFIXES = (".json", ".txt", ".html", ".htm", ".xml", ".yaml", ".yml", ".properties", ".csv", ".md", ".log", ".uri")


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
def allure_config(out: Path, history: Path, name: str, single_file: bool) -> dict:
    return {
        "name": name,
        "output": str(out),
        "historyPath": str(history),
        "historyLimit": HISTORY_LIMIT,
        "appendHistory": True,
        "categories": {"rules": categories.allure3()},
        "plugins": {
            "awesome": {"options": {
                "reportName": name,
                "singleFile": single_file,
                "reportLanguage": "en",
                "theme": "light",
                "groupBy": ["epic", "feature", "story"],
            }},
        },
    }


# ----------------------------------------------------------------------------------- offline
_ANALYTICS_SCRIPT_RE = re.compile(
    r"<script\b[^>]*\bsrc=[\"']https?://(?!localhost|127\.0\.0\.1)[^\"']*[\"'][^>]*>\s*</script>\s*"
    r"|<script\b[^>]*>(?:(?!</script>)[\s\S])*?(?:gtag\(|dataLayer)(?:(?!</script>)[\s\S])*</script>\s*",
    re.I)

LOCAL_HOST_RE = r"(?:localhost|127\.0\.0\.1|\[::1\])"
# What makes a browser fetch by itself (not a link the user has to click).
_FETCH_PATTERNS = [
    ("html src/href", re.compile(
        r"<(?:script|img|iframe|frame|embed|source|video|audio|track|input)\b[^>]*\b(?:src|srcset|poster)\s*=\s*[\"']?\s*"
        r"(?://|https?://)(?!" + LOCAL_HOST_RE + r")[^\s\"'>]+", re.I)),
    ("html link", re.compile(
        r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?://|https?://)(?!" + LOCAL_HOST_RE + r")[^\s\"'>]+", re.I)),
    ("html object", re.compile(r"<object\b[^>]*\bdata\s*=\s*[\"']?\s*(?://|https?://)(?!" + LOCAL_HOST_RE + r")", re.I)),
    ("css url()", re.compile(r"url\(\s*[\"']?\s*(?://|https?://)(?!" + LOCAL_HOST_RE + r")[^)\"']+", re.I)),
    ("css @import", re.compile(r"@import\s+(?:url\()?\s*[\"']?(?://|https?://)(?!" + LOCAL_HOST_RE + r")", re.I)),
    ("js fetch/import", re.compile(
        r"(?:fetch|importScripts|sendBeacon|import)\(\s*[\"'`](?://|https?://)(?!" + LOCAL_HOST_RE + r")[^\"'`]+", re.I)),
    ("known tracker/CDN host", re.compile(
        r"(?:googletagmanager\.com|google-analytics\.com|gtag/js|fonts\.googleapis\.com|fonts\.gstatic\.com|"
        r"cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|segment\.(?:io|com)|mixpanel\.com|sentry\.io|"
        r"hotjar\.com|plausible\.io|amplitude\.com|posthog\.com|clarity\.ms)", re.I)),
]
_URL_RE = re.compile(r"https?://[^\s\"'`()<>\\,;]+", re.I)
# URLs the app bundle contains that are not fetched: XML namespaces, links opened on click.
INERT_URL_RE = re.compile(
    r"^https?://(?:" + LOCAL_HOST_RE + r"|www\.w3\.org/|allurereport\.org/?$|trace\.playwright\.dev/?$|\$\{)", re.I)


def strip_analytics(out: Path) -> int:
    removed = 0
    for page in out.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        new, n = _ANALYTICS_SCRIPT_RE.subn("", text)
        if n:
            page.write_text(new, encoding="utf-8")
            removed += n
    return removed


def offline_problems(out: Path) -> tuple[list[str], list[str]]:
    """(problems: references that would fetch from an outside host, notes: inert outside URLs)."""
    problems, notes = [], set()
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in (".html", ".htm", ".js", ".mjs", ".css", ".svg", ".json"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(out)
        is_attachment = "attachments" in rel.parts
        if path.suffix.lower() == ".json" and not is_attachment:
            continue  # report data: rendered as text by the app
        if is_attachment and path.suffix.lower() == ".json":
            continue  # shown as text (e.g. the outbound request's api.moonshot.ai URL)
        for label, rx in _FETCH_PATTERNS:
            for m in rx.finditer(text):
                problems.append(f"{rel}: {label}: {m.group(0)[:160]}")
        if path.suffix.lower() in (".js", ".mjs", ".html", ".css") and not is_attachment:
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
MATRIX_LINK_ID = "kimi-conformance-matrix-link"


def matrix_markdown(matrix: Path, results_dirs: list[Path]) -> str | None:
    """The matrix Markdown: the file if it exists, else harness.reporting.matrix if it is there.

    Hook for harness/reporting/matrix.py: a function `render_markdown(results_dir) -> str` (or
    `markdown(results_dir)`) is used when present; otherwise the tox env writes reports/matrix.md
    before calling this command.
    """
    if matrix.is_file():
        return matrix.read_text(encoding="utf-8")
    try:
        from harness.reporting import matrix as matrix_module  # written by the matrix work
    except ImportError:
        return None
    for fn_name in ("render_markdown", "markdown"):
        fn = getattr(matrix_module, fn_name, None)
        if callable(fn):
            for d in results_dirs:
                if d.is_dir() and any(d.glob("*.json")):
                    try:
                        return fn(d)
                    except Exception as e:  # the report still builds without the matrix
                        _say(f"matrix: {fn_name}({d}) failed: {e}")
    return None


def markdown_to_html(md: str, title: str = "Conformance matrix") -> str:
    """A small, dependency-free Markdown renderer: headings, pipe tables, lists, code, paragraphs."""
    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"\[([^\]]+)\]\(((?!https?:|//)[^)\s]+)\)", r'<a href="\2">\1</a>', s)  # local links only
        return s

    out, lines, i = [], md.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if re.match(r"^\s*\|.*\|\s*$", line) and i + 1 < len(lines) and re.match(r"^\s*\|?[\s:|-]+\|?\s*$", lines[i + 1]):
            cells = lambda l: [c.strip() for c in l.strip().strip("|").split("|")]  # noqa: E731
            out.append("<table><thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in cells(line)) + "</tr></thead><tbody>")
            i += 2
            while i < len(lines) and re.match(r"^\s*\|.*\|\s*$", lines[i]):
                out.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in cells(lines[i])) + "</tr>")
                i += 1
            out.append("</tbody></table>")
            continue
        if line.startswith("```"):
            block = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                block.append(lines[i])
                i += 1
            out.append("<pre>" + html.escape("\n".join(block)) + "</pre>")
            i += 1
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            n = len(m.group(1))
            out.append(f"<h{n}>{inline(m.group(2))}</h{n}>")
        elif re.match(r"^\s*[-*]\s+", line):
            out.append("<ul>")
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                out.append("<li>" + inline(re.sub(r"^\s*[-*]\s+", "", lines[i])) + "</li>")
                i += 1
            out.append("</ul>")
            continue
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
        i += 1
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>" + html.escape(title) + "</title>"
            "<style>body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px;color:#22252a}"
            "table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #d0d4dc;padding:4px 8px;text-align:left}"
            "th{background:#f3f4f7}code,pre{font-family:monospace;background:#f3f4f7}pre{padding:8px}</style></head><body>"
            "<p><a href='index.html'>&larr; back to the report</a></p>" + "\n".join(out) + "</body></html>")


def add_matrix(out: Path, md: str | None) -> bool:
    if md is None:
        return False
    (out / "matrix.md").write_text(scrub(md), encoding="utf-8")
    (out / "matrix.html").write_text(scrub(markdown_to_html(md)), encoding="utf-8")
    index = out / "index.html"
    text = index.read_text(encoding="utf-8")
    if MATRIX_LINK_ID not in text:
        link = (f'<a id="{MATRIX_LINK_ID}" href="matrix.html" style="position:fixed;right:16px;bottom:12px;'
                'z-index:2147483646;background:#3d7eff;color:#fff;padding:6px 12px;border-radius:6px;'
                'font:13px Arial,Helvetica,sans-serif;text-decoration:none;box-shadow:0 1px 4px rgba(0,0,0,.25)">'
                'Conformance matrix</a>\n')
        text = text.replace("</body>", link + "</body>", 1)
        index.write_text(text, encoding="utf-8")
    return True


# ----------------------------------------------------------------------------------- build
def generate(results: Path, out: Path, history: Path, *, name: str = "kimi-conformance",
             single_file: bool = False, matrix: Path | None = None, results_dir: Path | None = None,
             allure_dir: Path | None = None) -> dict:
    t0 = time.monotonic()
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise BuildError(f"no Allure results in {results} (run pytest with --alluredir {results})")
    allure_dir = allure_dir or install()
    changed = scrub_results(results)
    regressions = mark_regressions(results, history)
    for r in regressions:
        _say(f"regression: {r['name']} ({r['status']})")
    out.parent.mkdir(parents=True, exist_ok=True)
    history.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        shutil.rmtree(out)
    work = Path(tempfile.mkdtemp(prefix="kimi-allure-"))
    try:
        config = work / "allurerc.json"
        config.write_text(json.dumps(allure_config(out.resolve(), history.resolve(), name, single_file), indent=1))
        guard_log = work / "offline-guard.jsonl"
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        env.update(KIMI_OFFLINE_GUARD_LOG=str(guard_log), NO_COLOR="1", FORCE_COLOR="0", CI=env.get("CI", ""))
        env.pop("NODE_OPTIONS", None)
        cmd = [node_binary(), "--require", str(GUARD), str(cli_path(allure_dir)), "generate", str(results.resolve()),
               "--config", str(config), "--output", str(out.resolve())]
        _say("$ " + " ".join(cmd))
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        if proc.stdout.strip():
            print(proc.stdout.rstrip())
        if proc.returncode != 0 or not (out / "index.html").is_file():
            raise BuildError(f"allure generate failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
        blocked = guard_log.read_text().splitlines() if guard_log.is_file() else []
        if blocked:
            raise BuildError("report generation tried to reach outside hosts:\n" + "\n".join(blocked))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stripped = strip_analytics(out)
    md = matrix_markdown(matrix, [d for d in (results_dir,) if d]) if matrix else None
    has_matrix = add_matrix(out, md)
    problems, notes = offline_problems(out)
    if problems:
        raise BuildError("the report would fetch from outside hosts:\n" + "\n".join(problems[:50]))
    (out / "regressions.json").write_text(json.dumps(regressions, indent=1), encoding="utf-8")
    summary = {"out": str(out), "index": str(out / "index.html"), "regressions": regressions,
               "scrubbed_files": changed, "analytics_removed": stripped, "matrix": has_matrix,
               "inert_urls_in_attachments": len(notes), "seconds": round(time.monotonic() - t0, 1)}
    _say(f"report: {out / 'index.html'} ({len(regressions)} regression(s), matrix: {'yes' if has_matrix else 'no'}, "
         f"analytics tags removed: {stripped}, {summary['seconds']}s)")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.reporting.build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=Path, default=Path("reports/allure-results"), help="allure-results dir (pytest --alluredir)")
    ap.add_argument("--out", type=Path, default=Path("reports/allure-report"), help="report output dir")
    ap.add_argument("--history", type=Path, default=Path("reports/history.jsonl"),
                    help="Allure 3 history file, kept across runs (default reports/history.jsonl)")
    ap.add_argument("--matrix", type=Path, default=Path("reports/matrix.md"),
                    help="conformance matrix Markdown to include (default reports/matrix.md, skipped when absent)")
    ap.add_argument("--results-dir", type=Path, default=Path("reports/results"),
                    help="per-test conformance results (pytest --results-dir), for the matrix hook")
    ap.add_argument("--name", default="kimi-conformance", help="report title")
    ap.add_argument("--single-file", action="store_true", help="one self-contained index.html (opens from file://)")
    ap.add_argument("--fail-on-failures", action="store_true",
                    help="after building, exit 1 when a test failed or broke (the report is published first)")
    ap.add_argument("--install-only", action="store_true", help="install the pinned Allure 3 into the cache and exit")
    ap.add_argument("--force-install", action="store_true", help="reinstall Allure 3 even when up to date")
    args = ap.parse_args(argv)
    try:
        if args.install_only or args.force_install:
            d = install(force=args.force_install)
            print(d)
            if args.install_only:
                return 0
        generate(args.results, args.out, args.history, name=args.name, single_file=args.single_file,
                 matrix=args.matrix, results_dir=args.results_dir)
    except (BuildError, subprocess.CalledProcessError) as e:
        print(f"[report] error: {e}", file=sys.stderr)
        return 2
    if args.fail_on_failures:
        bad = failing_tests(args.results)
        if bad:
            _say(f"{len(bad)} test(s) failed or broke; the report is built, ending non-zero:")
            for name in bad[:20]:
                print(f"  {name}")
            return 1
    return 0


def failing_tests(results: Path) -> list[str]:
    from harness.reporting.history import FAILING, latest_results

    return sorted(f"{r.get('status')}: {r.get('fullName')} {r.get('name')}"
                  for _, r in latest_results(results).values() if r.get("status") in FAILING)


if __name__ == "__main__":
    sys.exit(main())
