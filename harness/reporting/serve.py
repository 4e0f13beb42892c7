"""Serve a built report on loopback: `kimi-conformance report serve [DIR]` (also
`python -m harness.reporting.serve [DIR]`).

The default build (`tox -e report`) is one self-contained `index.html` that opens from disk
(`file://`). A multi-file report (`python -m harness.reporting.build --multi-file`) loads its data
with `fetch()`, which browsers refuse over `file://`: serve it. The server binds 127.0.0.1 only
(never another interface), serves the folder read-only, prints the URL, and stops on Ctrl-C.
The browser check (harness.reporting.browser) uses the same server for multi-file reports.
"""

from __future__ import annotations

import argparse
import http.server
import socketserver
import sys
import threading
from functools import partial
from pathlib import Path

LOOPBACK = "127.0.0.1"
DEFAULT_DIR = Path("reports/allure-report")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class ReportServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(directory: Path, port: int = 0) -> ReportServer:
    """A server for `directory` on 127.0.0.1:`port` (0: a free port), not started."""
    return ReportServer((LOOPBACK, port), partial(_QuietHandler, directory=str(directory)))


def serve(directory: Path, port: int = 0) -> tuple[ReportServer, int]:
    """Serve `directory` on loopback from a background thread; (server, port). Stop: server.shutdown()."""
    server = make_server(directory, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def serve_main(argv: list[str] | None = None, *, prog: str = "kimi-conformance report serve") -> int:
    """Serve DIR until Ctrl-C; exit 0 when stopped, 2 when DIR holds no report or the port is taken."""
    ap = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    args = ap.parse_args(argv)
    return run(args.dir, args.port)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "dir",
        metavar="DIR",
        nargs="?",
        type=Path,
        default=DEFAULT_DIR,
        help=f"the built report (a folder with index.html; default {DEFAULT_DIR})",
    )
    ap.add_argument("--port", type=int, default=0, help="the loopback port (default: a free one)")


def run(directory: Path, port: int = 0) -> int:
    index = directory / "index.html"
    if not index.is_file():
        print(
            f"kimi-conformance report serve: no report in {directory} (no index.html; build one with tox -e report)",
            file=sys.stderr,
        )
        return 2
    try:
        server = make_server(directory.resolve(), port)
    except OSError as e:
        print(f"kimi-conformance report serve: cannot listen on {LOOPBACK}:{port}: {e.strerror or e}", file=sys.stderr)
        return 2
    url = f"http://{LOOPBACK}:{server.server_address[1]}/index.html"
    print(f"serving {directory} at {url}  (loopback only; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
    return 0


def add_report_command(sub) -> None:
    """`kimi-conformance report serve [DIR]` (the CLI wiring, kept here as `compare`'s is)."""
    report = sub.add_parser("report", help="the built HTML report: serve it on loopback")
    actions = report.add_subparsers(dest="report_command", required=True)
    p = actions.add_parser(
        "serve",
        help="serve a built report on 127.0.0.1 (prints the URL; Ctrl-C stops)",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
    )
    add_arguments(p)
    p.set_defaults(func=lambda args: run(args.dir, args.port))


if __name__ == "__main__":
    sys.exit(serve_main(prog="python -m harness.reporting.serve"))
