"""Cassettes of real provenance: the shipped real captures, replayable like any cassette.

`real_cassettes.yaml` says, per cassette, which capture it is built from, what was sent (the
captured request, or the harness's reconstruction when the capture holds only the answer), which
checks its replay must pass and how the emulator is compared with it. `build` turns one entry into
the cassette format of `_vcr.py` with `provenance: {source: real, capture, origin, request}`;
`python -m harness.cassettes.real` (re)writes `cassettes/real/<source>/<id>.yaml`, `--check` only
says whether they are up to date. `replay` sends the cassette's requests through `WireClient` with
the network blocked and returns every exchange for the checks (harness/scenarios/real_checks.py).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.cassettes.captures import SHIPPED
from harness.util import yamlio

SPEC = Path(__file__).with_name("real_cassettes.yaml")
REAL_DIR = "real"  # cassettes/real/<source>/<id>.yaml
_STATUS_TEXT = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
}


@cache
def spec() -> dict[str, Any]:
    return yamlio.safe_load(SPEC.read_text(encoding="utf-8"))


def entries() -> list[dict[str, Any]]:
    return list(spec()["cassettes"])


def entry(cid: str) -> dict[str, Any]:
    for e in entries():
        if e["id"] == cid:
            return e
    raise KeyError(f"no real cassette {cid!r} in {SPEC.name}")


def cassette_path(cassette_dir: Path, e: dict[str, Any]) -> Path:
    return Path(cassette_dir) / REAL_DIR / e["source"] / f"{e['id']}.yaml"


# ------------------------------------------------------------------------------- building
def _capture_path(e: dict[str, Any], name: str) -> Path:
    return SHIPPED / e["source"] / name


def _commit(e: dict[str, Any], name: str) -> str:
    commit = spec()["sources"][e["source"]]["commit"]
    if commit.endswith(".json"):  # one commit per file, listed beside the captures
        commit = json.loads((SHIPPED / e["source"] / commit).read_text(encoding="utf-8"))[name]
    return commit


def _stream_lines(path: Path) -> list[str]:
    """The chunk payloads of a capture, each line's text kept as captured."""
    if path.suffix == ".json":  # a single chunk (kimi-cli-kosong): compact it to one line
        return [
            json.dumps(
                json.loads(path.read_text(encoding="utf-8")),
                ensure_ascii=False,
                separators=(",", ":"),
            )
        ]
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def _interaction(method: str, uri: str, request: Any, status: int, ctype: str, body: str) -> dict:
    req_body = request if isinstance(request, str) else json.dumps(request, ensure_ascii=False)
    return {
        "request": {
            "method": method,
            "uri": uri,
            "body": req_body,
            "headers": {"content-type": ["application/json"]},
        },
        "response": {
            "status": {"code": status, "message": _STATUS_TEXT.get(status, "")},
            "headers": {"content-type": [ctype]},
            "body": {"string": body},
        },
    }


def _from_answer(e: dict[str, Any], base: str) -> list[dict]:
    """A capture holding only the answer: the reconstructed request, the captured answer."""
    (name,) = e["captures"]
    path = _capture_path(e, name)
    streamed = bool(e["request"].get("stream"))
    if streamed:
        body = "".join(f"data: {ln}\n\n" for ln in _stream_lines(path)) + "data: [DONE]\n\n"
        ctype = "text/event-stream"
    else:
        body, ctype = path.read_text(encoding="utf-8"), "application/json"
    return [_interaction("POST", f"{base}/chat/completions", e["request"], e["status"], ctype, body)]


def _from_go_vcr(e: dict[str, Any]) -> list[dict]:
    """A go-vcr v2 cassette: requests and answers as captured."""
    (name,) = e["captures"]
    doc = yamlio.safe_load(_capture_path(e, name).read_text(encoding="utf-8"))
    out = []
    for it in doc["interactions"]:
        req, resp = it["request"], it["response"]
        ctype = (resp.get("headers") or {}).get("Content-Type", ["application/json"])[0]
        out.append(
            _interaction(
                req["method"],
                req["url"],
                req["body"],
                resp["code"],
                ctype,
                resp["body"],
            )
        )
    return out


def _recorded(interactions: list[dict]) -> str:
    """The day of the first answer's `created` stamp; `unknown` when the answer has none (errors)."""
    text = interactions[0]["response"]["body"]["string"]
    for part in text.replace("data:", "\n").splitlines():
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            created = json.loads(part).get("created")
            if isinstance(created, int):
                return _dt.datetime.fromtimestamp(created, _dt.UTC).date().isoformat()
    return "unknown"


def build(e: dict[str, Any]) -> str:
    """The cassette text of one entry (deterministic: same captures, same bytes)."""
    from harness.cassettes._vcr_format import dumps_cassette
    from harness.cassettes.provenance import Provenance

    src = spec()["sources"][e["source"]]
    captured = e["request"] == "capture"
    interactions = _from_go_vcr(e) if captured else _from_answer(e, src["endpoint"])
    first = json.loads(interactions[0]["request"]["body"])
    (name,) = e["captures"]
    prov = Provenance(
        source="real",
        model=str(first.get("model", "")),
        scenario=e["id"],
        recorded=_recorded(interactions),
        harness="-",
        endpoint=src["endpoint"],
        upstream_host=urlsplit(src["endpoint"]).hostname or "",
        capture=f"{e['source']}/{name}",
        origin=f"github.com/{src['repository']}@{_commit(e, name)}",
        request="captured" if captured else "reconstructed",
    )
    return dumps_cassette(
        {
            "interactions": interactions,
            "metadata": {"provenance": prov.to_dict()},
            "version": 1,
        }
    )


def write_all(cassette_dir: Path, *, check: bool = False) -> list[Path]:
    """Write every real cassette (or, with check, list those missing or out of date)."""
    from harness.util.fs import atomic_write

    stale = []
    for e in entries():
        path, text = cassette_path(cassette_dir, e), build(e)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not check:
            atomic_write(path, text)
    return stale


# ------------------------------------------------------------------------------- replaying
@dataclass
class Exchange:
    request: dict[str, Any]
    url: str
    response: Any  # harness.online.client.WireResponse


def replay(e: dict[str, Any], cassette_dir: Path) -> list[Exchange]:
    """Send the cassette's requests, in order, and get its answers back (network blocked; every
    recorded interaction must be played)."""
    from harness.cassettes._vcr import CassetteSession
    from harness.cassettes.settings import REPLAY_KEY
    from harness.online import network
    from harness.online.client import WireClient

    path = cassette_path(cassette_dir, e)
    if not path.is_file():
        raise FileNotFoundError(f"no real cassette {path}: build it with python -m harness.cassettes.real")
    doc = yamlio.safe_load(path.read_text(encoding="utf-8"))
    sent = [(i["request"]["uri"], i["request"]["body"]["json"]) for i in doc["interactions"]]
    out = []
    session = CassetteSession(path, mode="none")
    with network.blocked("replay of a real cassette"), session:
        client = WireClient(doc["provenance"]["endpoint"], REPLAY_KEY)
        try:
            for url, body in sent:
                out.append(Exchange(body, url, client.chat(body, url=url)))
        finally:
            client.close()
    session.check_all_played()
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m harness.cassettes.real",
        description="Build the cassettes of real provenance from the shipped captures.",
    )
    parser.add_argument(
        "--cassette-dir",
        default="cassettes",
        help="cassette root (default: ./cassettes)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a real cassette is missing or out of date",
    )
    args = parser.parse_args(argv)
    stale = write_all(Path(args.cassette_dir), check=args.check)
    for p in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {p}")
    print(f"{len(entries())} real cassettes, {len(stale)} {'out of date' if args.check else 'written'}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
