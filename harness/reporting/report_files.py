"""The files of a built Allure 3 report, whichever form it has.

* multi-file: `index.html`, the app's assets, `data/…` and `widgets/…` as files (served over HTTP:
  the app fetches them);
* single-file (the default; opens from `file://`): one `index.html` holding the app as `data:`
  URLs (`<script src="data:text/javascript;base64,…">`, a `data:text/css` stylesheet) and every
  data file as a call `d("widgets/categories.json", "<base64>")`.

`files(report)` gives both as {relative name: bytes}: the offline check scans them, the browser
check and the tests read the report's data through it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Any

_DATA_CALL = re.compile(r'd\("((?:[^"\\]|\\.)*)","([A-Za-z0-9+/=]*)"\)')
_DATA_URL = re.compile(r"""(?:src|href)\s*=\s*["']data:([\w.+-]+/[\w.+-]+);base64,([A-Za-z0-9+/=]+)["']""")
_SUFFIX = {"text/javascript": ".js", "application/javascript": ".js", "text/css": ".css"}
EMBEDDED = "index.html#"  # prefix of an asset decoded from a data: URL of index.html


def is_single_file(report: Path) -> bool:
    index = report / "index.html"
    if not index.is_file() or (report / "data").is_dir() or (report / "widgets").is_dir():
        return False
    return "allureReportData" in index.read_text(encoding="utf-8", errors="replace")


def embedded(index_html: str) -> dict[str, bytes]:
    """The data files and the `data:` assets of a single-file index.html."""
    out: dict[str, bytes] = {}
    for n, m in enumerate(_DATA_URL.finditer(index_html)):
        suffix = _SUFFIX.get(m.group(1), "")
        if suffix:
            out[f"{EMBEDDED}asset-{n}{suffix}"] = _b64(m.group(2))
    for m in _DATA_CALL.finditer(index_html):
        out[json.loads(f'"{m.group(1)}"')] = _b64(m.group(2))
    return out


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text)
    except (binascii.Error, ValueError):
        return b""


def files(report: Path) -> dict[str, bytes]:
    """Every file of the report by its relative (posix) name, embedded ones included."""
    out: dict[str, bytes] = {}
    for path in sorted(report.rglob("*")):
        if path.is_file():
            out[path.relative_to(report).as_posix()] = path.read_bytes()
    index = out.get("index.html")
    if index is not None:
        out.update(embedded(index.decode("utf-8", "replace")))
    return out


def read_json(report: Path, name: str, default: Any = None) -> Any:
    """One JSON data file of the report (`widgets/categories.json`), in either form."""
    path = report / name
    try:
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        index = report / "index.html"
        if index.is_file():
            raw = embedded(index.read_text(encoding="utf-8", errors="replace")).get(name)
            if raw is not None:
                return json.loads(raw)
    except ValueError:
        pass
    return default


def results_of(report: Path) -> list[dict[str, Any]]:
    """The report's test results (`data/test-results/*.json`), in either form."""
    prefix = "data/test-results/"
    found = []
    for name, raw in sorted(files(report).items()):
        if name.startswith(prefix) and name.endswith(".json"):
            try:
                found.append(json.loads(raw))
            except ValueError:
                continue
    return found
