"""Cassette files on disk: read with the format checked, written atomically and only when changed.

Reading checks the format before vcrpy sees the file: a truncated or malformed cassette, or one
from a newer format version, is a `CassetteError` naming the file on one line — never a YAML
traceback from inside vcrpy. Writing goes to a temporary file beside the cassette
(`.NAME.*.tmp`, git-ignored), fsynced and renamed over it, so a crash never leaves half a
cassette; the file keeps its mode. A recording that differs only in its provenance stamps
(`recorded` date, `harness` version) is not written at all, so re-recording shows no diff.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from pathlib import Path
from typing import Any

from harness.errors import CassetteError
from harness.util import yamlio
from harness.util.proc import process_alive

FORMAT_VERSION = 1  # the `version:` this harness writes and the newest it reads
TMP_GLOB = ".*.tmp"  # atomic_write's temporary files: .NAME.<pid>.<random>.tmp
_TMP_PID = re.compile(r"\.(?P<pid>\d+)\.[^.]+\.tmp$")
LEGACY_TMP_AGE = 3600.0  # a temp file without a pid untouched this long is no running writer's


def header_value(headers: dict, name: str) -> str:
    for k, v in (headers or {}).items():
        if k.lower() == name:
            return str(v[0] if isinstance(v, list) and v else v)
    return ""


# ------------------------------------------------------------------------------- reading, checked
def read_cassette(path: str | Path) -> dict:
    """The parsed cassette document; any problem is a one-line CassetteError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CassetteError(f"cassette {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise CassetteError(f"cassette {path}: cannot read ({e.__class__.__name__}: {e})") from None
    if not text.strip():
        raise CassetteError(
            f"cassette {path}: empty file (truncated?); re-record it: python -m harness.cassettes.record"
        )
    try:
        doc = yamlio.safe_load(text)
    except yamlio.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise CassetteError(
            f"cassette {path}: not valid YAML ({where}{problem}); truncated? "
            "re-record it: python -m harness.cassettes.record"
        ) from None
    check_document(doc, path)
    return doc


def check_document(doc: Any, path: str | Path) -> None:
    def bad(what: str) -> CassetteError:
        return CassetteError(f"cassette {path}: {what}")

    if not isinstance(doc, dict):
        raise bad("not a cassette (a YAML mapping with provenance, interactions and version)")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise bad(f"no format version (`version: {FORMAT_VERSION}` at the end); truncated?")
    if version > FORMAT_VERSION:
        raise bad(
            f"format version {version} is newer than this harness reads ({FORMAT_VERSION}); "
            "upgrade kimi-conformance or re-record the cassette"
        )
    interactions = doc.get("interactions")
    if not isinstance(interactions, list):
        raise bad("no `interactions` list")
    for i, it in enumerate(interactions):
        req = it.get("request") if isinstance(it, dict) else None
        resp = it.get("response") if isinstance(it, dict) else None
        if not (isinstance(req, dict) and req.get("method") and req.get("uri")):
            raise bad(f"interaction #{i} has no request method and uri")
        if not (
            isinstance(resp, dict)
            and isinstance(resp.get("status"), dict)
            and isinstance(resp["status"].get("code"), int)
            and isinstance(resp.get("body"), dict)
        ):
            raise bad(f"interaction #{i} has no response status code and body")
        ctype = header_value(resp.get("headers") or {}, "content-type")
        body = resp["body"]
        if "json" in ctype:
            # The writer stores parsed JSON under `json`; a `string` here means it did not parse
            # (a body cut short). Caught when read, so the test never judges half a response.
            if "json" in body and body["json"] is None:
                raise bad(f"interaction #{i}: JSON response body is empty (`json:` with no value); truncated?")
            text = body.get("string")
            if isinstance(text, str) and text.strip():
                try:
                    json.loads(text)
                except ValueError as e:
                    raise bad(
                        f"interaction #{i}: JSON response body cut short or invalid ({e}); "
                        "re-record it: python -m harness.cassettes.record"
                    ) from None
        if "event-stream" in ctype:
            text = resp["body"].get("string")
            if not isinstance(text, str) or not _stream_complete(text):
                last = (text or "").rstrip().rsplit("\n", 1)[-1][:60] if isinstance(text, str) else text
                raise bad(
                    f"interaction #{i}: event stream cut short (ends with {last!r}, not data: [DONE] "
                    "or an Anthropic message_stop event)"
                )


def _stream_complete(text: str) -> bool:
    """An OpenAI-style stream ends with `data: [DONE]`; an Anthropic Messages stream with the
    `message_stop` event (Kimi Coding's other surface)."""
    tail = text.rstrip()
    return tail.endswith("data: [DONE]") or tail.rsplit("\n", 1)[-1].replace(" ", "") == 'data:{"type":"message_stop"}'


_STAMP_RE = re.compile(r"^  (?:recorded|harness): .*$", re.MULTILINE)


def same_recording(old: str, new: str) -> bool:
    """Equal but for the provenance stamps that say when and by which harness version."""

    def norm(text: str) -> str:
        head, sep, rest = text.partition("\ninteractions:")
        return _STAMP_RE.sub("", head) + sep + rest

    return norm(old) == norm(new)


def clean_temp_files(root: str | Path) -> list[Path]:
    """Remove temporary files an interrupted atomic_write left under root; the removed paths.
    A file whose writer (the pid in its name) still runs is a write in progress and stays; a file
    named before pids were is removed once it has not been touched for an hour."""
    removed = []
    for p in Path(root).rglob(TMP_GLOB):
        if p.is_file() and _stale_temp(p):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


def _stale_temp(path: Path) -> bool:
    m = _TMP_PID.search(path.name)
    if m:
        return not process_alive(int(m["pid"]))
    try:
        return time.time() - path.stat().st_mtime > LEGACY_TMP_AGE
    except OSError:
        return False
