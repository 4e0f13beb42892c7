"""How a cassette is stored: vcrpy's serializer and persister for the readable YAML layout
described in harness.cassettes._vcr (parsed JSON bodies, SSE as text, provenance on top)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from vcr.persisters.filesystem import CassetteNotFoundError

from harness.cassettes.files import header_value as _header
from harness.cassettes.files import read_cassette, same_recording
from harness.errors import CassetteError
from harness.util import scrub, yamlio
from harness.util.fs import atomic_write


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
        doc = yamlio.safe_load(text) or {}
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
            raise CassetteError(
                f"cassette {path}: unreadable by vcrpy ({e.__class__.__name__}: {' '.join(str(e).split())[:200]})"
            ) from None

    def save_cassette(self, cassette_path, cassette_dict, serializer):
        from vcr.serialize import serialize

        path = Path(cassette_path)
        text = serialize(cassette_dict, serializer)
        if path.is_file() and same_recording(path.read_text(encoding="utf-8", errors="replace"), text):
            return  # nothing but the date would change: keep the file byte for byte
        atomic_write(path, text)
