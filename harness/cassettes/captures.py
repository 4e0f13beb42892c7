"""Read recorded Moonshot traffic in every format we hold and validate it.

Formats: plain JSON bodies (kind decided by shape), vercel ``.chunks.txt`` (one SSE
payload per line), ``.chunks.jsonl``, go-vcr v2 YAML cassettes and vcrpy YAML
cassettes (``response.body.string`` holding JSON or SSE text; a ``parsed`` key is
accepted too). Every body becomes a ``Unit``; a stream is one unit whose payload is
the list of chunks, so error paths read ``$[12].choices[0]...``.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.util import yamlio
from harness.wire.schemas import WireError, iter_errors
from harness.wire.stream_rules import stream_errors

# The real captures ship inside the package (one folder per source, each with its PROVENANCE.md):
# tests, the wire suites and `validate-captures` read them from here, in a checkout and a wheel alike.
SHIPPED = Path(__file__).resolve().parent / "real_captures"

STREAM_SUFFIXES = (".chunks.txt", ".chunks.jsonl", ".jsonl", ".sse")
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Unit:
    """One validatable body. ``kind``: request|response|chunk|error|models|stream|unknown."""

    kind: str
    payload: Any
    root: str = "$"  # JSON path of this body inside its file
    problems: tuple[WireError, ...] = ()  # parse problems found while reading


@dataclass(frozen=True)
class FileResult:
    """``ok`` is None for skipped files: they were not validated, so neither passed nor failed."""

    file: Path
    kind: str
    ok: bool | None
    errors: tuple[WireError, ...] = ()
    reason: str = ""

    @property
    def status(self) -> str:
        return "SKIP" if self.ok is None else ("PASS" if self.ok else "FAIL")


class CaptureFormatError(ValueError):
    pass


def skip_reason(path: Path) -> str | None:
    """Why a file is not a capture (README, _commits.json, dotfiles...), or None."""
    name = path.name
    if name.startswith("."):
        return "hidden file"
    if name.startswith("_"):
        return "metadata file (leading underscore)"
    if name.lower().endswith(STREAM_SUFFIXES + YAML_SUFFIXES + (".json",)):
        return None
    return "not a capture format (documentation or other)"


def capture_files(root: Path) -> list[Path]:
    """The capture files below `root`, sorted (what skip_reason leaves out is not listed)."""
    return sorted(p for p in Path(root).rglob("*") if p.is_file() and skip_reason(p) is None)


def classify(obj: Any) -> str:
    """Decide a JSON body's kind from its shape."""
    if isinstance(obj, list):
        return "stream"
    if not isinstance(obj, dict):
        return "unknown"
    if "error" in obj and "choices" not in obj:
        return "error"
    tag = obj.get("object")
    if tag == "chat.completion":
        return "response"
    if tag == "chat.completion.chunk":
        return "chunk"
    if tag == "list" or ("data" in obj and isinstance(obj.get("data"), list)):
        return "models"
    if "messages" in obj:
        return "request"
    if "choices" in obj:  # object tag missing/corrupted: judge by payload
        chs = obj["choices"]
        return (
            "chunk" if isinstance(chs, list) and any(isinstance(c, dict) and "delta" in c for c in chs) else "response"
        )
    return "unknown"


def parse_sse_lines(text: str, root: str = "$") -> Unit:
    """Lines of JSON, optionally ``data: `` prefixed (SSE); blank/comment/event lines
    and ``[DONE]`` are dropped. A line that is not JSON is a problem at ``$[i]``."""
    chunks: list[Any] = []
    problems = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(":") or line.startswith(("event:", "id:", "retry:")):
            continue
        if line.startswith("data:"):
            line = line[5:].strip()
        if line == "[DONE]":
            continue
        try:
            chunks.append(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(
                WireError(f"{root}[{len(chunks)}]", f"invalid JSON in stream line: {exc.msg} ({line[:60]!r})")
            )
            chunks.append(None)
    return Unit("stream", chunks, root, tuple(problems))


def _looks_like_sse(text: str, content_type: str = "") -> bool:
    if "event-stream" in content_type:
        return True
    return any(line.lstrip().startswith("data:") for line in text.splitlines()[:20])


def _body_unit(body: Any, root: str, content_type: str = "", hint: str | None = None) -> Unit | None:
    """A cassette body (str, bytes, or vcrpy dict) as a Unit; None when empty."""
    if isinstance(body, dict):  # vcrpy: {"string": ...}; some serializers: {"parsed": ...}
        if "parsed" in body or "json" in body:
            obj = body.get("parsed", body.get("json"))
            return Unit(hint or classify(obj), obj, root)
        body = body.get("string")
        root += ".string"
    if body is None:
        return None
    if isinstance(body, bytes):
        if body[:2] == b"\x1f\x8b":  # vcrpy keeps gzip bodies as !!binary
            body = gzip.decompress(body)
        body = body.decode("utf-8")
    if not isinstance(body, str) or not body.strip():
        return None
    if _looks_like_sse(body, content_type):
        return parse_sse_lines(body, root)
    try:
        obj = json.loads(body)
    except json.JSONDecodeError as exc:
        return Unit("unknown", body, root, (WireError(root, f"body is not JSON: {exc.msg}"),))
    return Unit(hint or classify(obj), obj, root)


def _header(headers: Any, name: str) -> str:
    if not isinstance(headers, dict):
        return ""
    for k, v in headers.items():
        if str(k).lower() == name.lower():
            return str(v[0] if isinstance(v, list) and v else v)
    return ""


def _cassette_units(doc: dict) -> tuple[str, list[Unit]]:
    interactions = doc.get("interactions")
    if not isinstance(interactions, list):
        raise CaptureFormatError("YAML has no `interactions` list (not a go-vcr/vcrpy cassette)")
    flavour = "go-vcr" if doc.get("version") == 2 else "vcrpy"
    units: list[Unit] = []
    for i, it in enumerate(interactions):
        req, resp = it.get("request") or {}, it.get("response") or {}
        url = str(req.get("url") or req.get("uri") or "")
        base = f"$.interactions[{i}]"
        # Kimi Coding's Anthropic Messages surface: its own schemas (anthropic-*)
        pre = "anthropic-" if url.rstrip("/").endswith("/v1/messages") else ""
        u = _body_unit(req.get("body"), f"{base}.request.body", hint=pre + "request")
        if u is not None:
            units.append(u)
        status = resp.get("code") if flavour == "go-vcr" else (resp.get("status") or {}).get("code")
        hint = (
            "error"
            if isinstance(status, int) and status >= 400
            else ("models" if url.rstrip("/").endswith("/models") else None)
        )
        if pre:
            hint = pre + (hint or "response")
        u = _body_unit(resp.get("body"), f"{base}.response.body", _header(resp.get("headers"), "content-type"), hint)
        if u is not None:
            units.append(Unit(pre + "stream", u.payload, u.root, u.problems) if pre and u.kind == "stream" else u)
    return flavour, units


def load_units(path: Path) -> tuple[str, list[Unit]]:
    """(file kind, units) for one capture file. Raises CaptureFormatError on unreadable files."""
    path = Path(path)
    name = path.name.lower()
    text = path.read_text(encoding="utf-8")
    if name.endswith(STREAM_SUFFIXES):
        return "stream", [parse_sse_lines(text)]
    if name.endswith(YAML_SUFFIXES):
        try:
            doc = yamlio.safe_load(text)
        except yamlio.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
            raise CaptureFormatError(f"invalid YAML ({where}{problem}); truncated?") from None
        if not isinstance(doc, dict):
            raise CaptureFormatError("YAML top level is not a mapping")
        if "provenance" in doc:  # this harness's own layout: checked as the replay checks it
            from harness.cassettes.files import check_document
            from harness.errors import CassetteError

            try:
                check_document(doc, path)
            except CassetteError as e:
                raise CaptureFormatError(str(e).removeprefix(f"cassette {path}: ")) from None
        return _cassette_units(doc)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptureFormatError(f"invalid JSON: {exc}") from exc
    kind = classify(obj)
    return kind, [Unit(kind, obj)]


def unit_errors(unit: Unit) -> list[WireError]:
    errors = list(unit.problems)
    if unit.kind == "stream":
        errors += stream_errors(unit.payload, unit.root)
    elif unit.kind == "anthropic-stream":
        for i, event in enumerate(unit.payload):
            errors += iter_errors("anthropic-event", event, f"{unit.root}[{i}]")
    elif unit.kind == "unknown":
        if not unit.problems:
            errors.append(WireError(unit.root, "unrecognized body shape (not request/response/chunk/error/models)"))
    else:
        errors += iter_errors(unit.kind, unit.payload, unit.root)
    return errors


def validate_file(path: Path) -> FileResult:
    path = Path(path)
    reason = skip_reason(path)
    if reason:
        return FileResult(path, "-", None, reason=reason)
    try:
        kind, units = load_units(path)
    except (CaptureFormatError, UnicodeDecodeError, OSError) as exc:
        return FileResult(path, "unreadable", False, (WireError("$", str(exc)),))
    if not units:
        return FileResult(path, kind, False, (WireError("$", "no bodies found"),))
    if kind in ("go-vcr", "vcrpy"):
        kind = f"{kind}[{','.join(u.kind for u in units)}]"
    errors = tuple(e for u in units for e in unit_errors(u))
    return FileResult(path, kind, not errors, errors)


def validate_path(path: Path | str) -> list[FileResult]:
    """Validate one file, or every file below a directory (sorted, recursive)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return [validate_file(p) for p in files]
    return [validate_file(path)]
