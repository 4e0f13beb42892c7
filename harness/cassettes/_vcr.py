"""The only module that touches vcrpy: serializer, persister, matcher, hooks, stream replay.

Cassette file layout (YAML, meant to be read in review):

    provenance: {source: emulator|live, model, scenario, recorded, harness, endpoint, upstream_host}
    interactions:
    - request:  {method, uri, headers, body: {json: <parsed JSON>}}
      response: {status, headers, body: {json: <parsed>} | {string: "data: {...}\\n\\ndata: ...\\n\\n"}}
    version: 1

JSON bodies are stored parsed; an SSE body is stored as text, one event per line (a YAML block
literal). On replay an SSE body is handed to httpx as one stream chunk per event, so stream
parsing is exercised as it is against the network. Files are read checked and written atomically
by harness.cassettes.files (format errors name the file; unchanged recordings keep their bytes).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import vcr
import yaml
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.record_mode import RecordMode
from vcr.stubs import httpx_stubs

from harness.cassettes import scrub
from harness.cassettes.files import atomic_write, read_cassette, same_recording
from harness.cassettes.files import header_value as _header
from harness.cassettes.provenance import has_emulator_marker
from harness.errors import CassetteError

__all__ = ["atomic_write", "read_cassette"]  # re-exported: tests and callers know them from here

RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
_VCR_MODE = {"none": RecordMode.NONE, "once": RecordMode.ONCE, "new_episodes": RecordMode.NEW_EPISODES,
             "all": RecordMode.ALL, "rewrite": RecordMode.NEW_EPISODES}


class StaleCassette(AssertionError):
    """A replayed cassette holds interactions the test never played."""


# ------------------------------------------------------------------------------- YAML format
class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, data: str):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)
_JSON_SEPARATORS = (",", ":")


def _as_text(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return body if isinstance(body, str) else None


def _parsed(body: Any) -> Any:
    """{"json": obj} when the body is JSON text, else the body unchanged."""
    text = _as_text(body)
    if text is None or not text.strip():
        return body
    try:
        return {"json": json.loads(text)}
    except ValueError:
        return text


def _unparsed(body: Any) -> Any:
    if isinstance(body, dict) and "json" in body:
        return json.dumps(body["json"], ensure_ascii=False, separators=_JSON_SEPARATORS)
    return body


class ReadableSerializer:
    """vcrpy serializer: parsed JSON bodies, SSE as text, provenance as a top-level key."""

    @staticmethod
    def serialize(data: dict) -> str:
        data = scrub.scrub_obj(copy.deepcopy(data))  # belt and braces: the hooks scrubbed already
        doc: dict[str, Any] = {}
        metadata = dict(data.get("metadata") or {})
        if "provenance" in metadata:
            doc["provenance"] = metadata.pop("provenance")
        interactions = []
        for it in data["interactions"]:
            req, resp = it["request"], it["response"]
            req = {**req, "body": _parsed(req.get("body"))}
            body = dict(resp.get("body") or {})
            ctype = _header(resp.get("headers"), "content-type")
            if "json" in ctype and "string" in body:
                parsed = _parsed(body["string"])
                body = parsed if isinstance(parsed, dict) else body
            resp = {**resp, "body": body}
            interactions.append({"request": req, "response": resp})
        doc["interactions"] = interactions
        if metadata:
            doc["metadata"] = metadata
        doc["version"] = data.get("version", 1)
        return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100000)

    @staticmethod
    def deserialize(text: str) -> dict:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        return _from_doc(doc)


def _from_doc(doc: dict) -> dict:
    """Our YAML layout -> vcrpy's cassette dict."""
    metadata = dict(doc.get("metadata") or {})
    if "provenance" in doc:
        metadata["provenance"] = doc["provenance"]
    interactions = []
    for it in doc.get("interactions") or []:
        req = {**it["request"], "body": _unparsed(it["request"].get("body"))}
        body = it["response"].get("body") or {}
        resp = {**it["response"], "body": {"string": _unparsed(body) if "json" in body else body.get("string")}}
        interactions.append({"request": req, "response": resp})
    return {"version": doc.get("version", 1), "interactions": interactions, "metadata": metadata}


def dumps_cassette(data: dict) -> str:
    return ReadableSerializer.serialize(data)


# ------------------------------------------------------------------------------- persister
class AtomicPersister:
    """FilesystemPersister's reading; atomic writing. `fresh=True` ignores the file on load
    (record mode `rewrite`): the old cassette stays intact until the new one is complete."""

    def __init__(self, fresh: bool = False):
        self.fresh = fresh

    def load_cassette(self, cassette_path, serializer):
        from vcr.serialize import deserialize

        path = Path(cassette_path)
        if self.fresh or not path.is_file() or not path.read_text(encoding="utf-8", errors="replace").strip():
            raise CassetteNotFoundError()
        read_cassette(path)  # format checked here, so vcrpy never sees a broken file
        try:
            return deserialize(path.read_text(encoding="utf-8"), serializer)
        except Exception as e:  # whatever vcrpy trips on, the file is the culprit
            raise CassetteError(f"cassette {path}: unreadable by vcrpy ({e.__class__.__name__}: "
                                f"{' '.join(str(e).split())[:200]})") from None

    def save_cassette(self, cassette_path, cassette_dict, serializer):
        from vcr.serialize import serialize

        path = Path(cassette_path)
        text = serialize(cassette_dict, serializer)
        if path.is_file() and same_recording(path.read_text(encoding="utf-8", errors="replace"), text):
            return  # nothing but the date would change: keep the file byte for byte
        atomic_write(path, text)


# ------------------------------------------------------------------------------- matching
def _json_or_bytes(body: Any) -> Any:
    text = _as_text(body)
    if text is None:
        return body
    try:
        return json.loads(text)
    except ValueError:
        return text


def json_body(r1, r2) -> None:
    """Bodies match when they are equal as JSON (key order and spacing do not matter)."""
    a, b = _json_or_bytes(r1.body), _json_or_bytes(r2.body)
    assert a == b, "request bodies differ (the request the harness builds changed: re-record the cassette)"


# ------------------------------------------------------------------------------- stream replay
_EVENT_RE = re.compile(rb".*?(?:\r?\n\r?\n|\Z)", re.S)


def split_events(body: bytes) -> list[bytes]:
    """SSE bytes -> one element per event (each keeps its blank-line terminator)."""
    return [m.group(0) for m in _EVENT_RE.finditer(body or b"") if m.group(0)]


def _event_stream_class(httpx):
    class EventStream(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __init__(self, events: list[bytes]):
            self.events = events

        def __iter__(self) -> Iterator[bytes]:
            yield from self.events

        async def __aiter__(self):
            for e in self.events:
                yield e

    return EventStream


_original_deserialize = httpx_stubs._deserialize_response


def _deserialize_by_event(vcr_response, httpx):
    response = _original_deserialize(vcr_response, httpx)
    if "event-stream" in response.headers.get("content-type", ""):
        body = vcr_response["body"]["string"] or b""
        response.stream = _event_stream_class(httpx)(split_events(body))
    return response


@contextlib.contextmanager
def event_by_event_replay():
    httpx_stubs._deserialize_response = _deserialize_by_event
    try:
        yield
    finally:
        httpx_stubs._deserialize_response = _original_deserialize


# ------------------------------------------------------------------------------- hooks
def request_scrubber(rewrite_from: str | None = None, rewrite_to: str | None = None) -> Callable:
    """before_record_request: store the canonical endpoint URL, scrubbed headers and body."""

    def hook(request):
        request = copy.copy(request)
        if rewrite_from and rewrite_to and request.uri.startswith(rewrite_from):
            request.uri = rewrite_to + request.uri[len(rewrite_from):]
        request.headers = scrub.scrub_request_headers(dict(request.headers))
        if request.body:
            request.body = scrub.scrub_bytes(request.body if isinstance(request.body, bytes)
                                             else str(request.body).encode())
        return request

    return hook


def response_scrubber(observed: dict, drop_statuses: tuple[int, ...] = (429,)) -> Callable:
    """before_record_response: note the emulator marker, drop retried 429s, scrub the rest."""

    def hook(response):
        headers = response.get("headers") or {}
        if has_emulator_marker(headers):
            observed["emulator_marker"] = True
        if response["status"]["code"] in drop_statuses:
            return None  # rate limits are retried by the client; the cassette keeps the answer
        response["headers"] = scrub.scrub_response_headers(headers)
        body = response.get("body") or {}
        if isinstance(body.get("string"), (bytes, str)):
            s = body["string"]
            body["string"] = scrub.scrub_bytes(s if isinstance(s, bytes) else s.encode())
        observed["recorded"] = observed.get("recorded", 0) + 1
        return response

    return hook


# ------------------------------------------------------------------------------- session
class CassetteSession:
    """One cassette for one test. `with CassetteSession(...) as cs:` patches httpx (vcrpy);
    nothing is saved when the block raises (no partial cassette from a failed or skipped test)."""

    def __init__(self, path: str | Path, *, mode: str = "none", upstream_base: str | None = None,
                 canonical_base: str | None = None):
        if mode not in RECORD_MODES:
            raise ValueError(f"record mode must be one of {RECORD_MODES}, got {mode!r}")
        self.path = Path(path)
        self.mode = mode
        self.observed: dict[str, Any] = {}
        self._vcr = vcr.VCR(
            record_mode=_VCR_MODE[mode],
            match_on=("method", "uri", "json_body"),
            decode_compressed_response=True,
        )
        self._vcr.register_serializer("kimi-yaml", ReadableSerializer)
        self._vcr.register_matcher("json_body", json_body)
        self._vcr.register_persister(AtomicPersister(fresh=(mode == "rewrite")))
        self._ctx = self._vcr.use_cassette(
            str(self.path), serializer="kimi-yaml", record_on_exception=False,
            before_record_request=request_scrubber(upstream_base, canonical_base),
            before_record_response=response_scrubber(self.observed),
        )
        self._replay_patch = None
        self.cassette = None

    def __enter__(self) -> "CassetteSession":
        self._replay_patch = event_by_event_replay()
        self._replay_patch.__enter__()
        try:
            self.cassette = self._ctx.__enter__()
            # vcrpy runs the record hooks over the interactions it loads: count only new ones
            self.observed.clear()
        except BaseException:
            self._replay_patch.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._ctx.__exit__(*exc)
        finally:
            self._replay_patch.__exit__(None, None, None)

    # --- facts for the fixture ----------------------------------------------------------
    @property
    def loaded(self) -> int:
        return self.cassette._loaded_count if self.cassette is not None else 0

    @property
    def recorded(self) -> int:
        return int(self.observed.get("recorded", 0))

    @property
    def emulator_marker_seen(self) -> bool:
        return bool(self.observed.get("emulator_marker"))

    def provenance(self) -> dict | None:
        return (self.cassette._metadata or {}).get("provenance") if self.cassette is not None else None

    def set_provenance(self, value: dict) -> None:
        self.cassette._metadata["provenance"] = value
        self.cassette.dirty = True

    def unplayed(self) -> list[str]:
        """Loaded interactions never played back (the stale-cassette guard)."""
        c = self.cassette
        if c is None:
            return []
        return [f"#{i} {req.method} {req.uri}" for i, (req, _) in enumerate(c.data[:c._loaded_count])
                if c.play_counts[i] == 0]

    def check_all_played(self) -> None:
        missing = self.unplayed()
        if missing:
            raise StaleCassette(
                f"stale cassette {self.path}: {len(missing)} recorded interaction(s) were never played: "
                + "; ".join(missing) + ". The test no longer sends them — re-record the cassette "
                "(python -m harness.cassettes.record) or remove them.")
