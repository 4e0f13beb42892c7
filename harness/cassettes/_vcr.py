"""The cassette context, one cassette for one test; with _vcr_format (serializer, persister) and
_vcr_hooks (matcher, record hooks, stream replay) the only modules that touch vcrpy.

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
from pathlib import Path
from typing import Any

import vcr
from vcr.record_mode import RecordMode

from harness.cassettes import RECORD_MODES
from harness.cassettes._vcr_format import AtomicPersister, ReadableSerializer
from harness.cassettes._vcr_hooks import event_by_event_replay, json_body, request_scrubber, response_scrubber

_VCR_MODE = {
    "none": RecordMode.NONE,
    "once": RecordMode.ONCE,
    "new_episodes": RecordMode.NEW_EPISODES,
    "all": RecordMode.ALL,
    "rewrite": RecordMode.NEW_EPISODES,
}


class StaleCassette(AssertionError):
    """A replayed cassette holds interactions the test never played."""


# ------------------------------------------------------------------------------- session
class CassetteSession:
    """One cassette for one test. `with CassetteSession(...) as cs:` patches httpx (vcrpy);
    nothing is saved when the block raises (no partial cassette from a failed or skipped test)."""

    def __init__(
        self,
        path: str | Path,
        *,
        mode: str = "none",
        upstream_base: str | None = None,
        canonical_base: str | None = None,
    ):
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
            str(self.path),
            serializer="kimi-yaml",
            record_on_exception=False,
            before_record_request=request_scrubber(upstream_base, canonical_base),
            before_record_response=response_scrubber(self.observed),
        )
        self._replay_patch: contextlib.AbstractContextManager[None] | None = None
        self.cassette: Any = None  # vcr's Cassette (vcrpy ships no types)

    def __enter__(self) -> CassetteSession:
        self._replay_patch = patch = event_by_event_replay()
        patch.__enter__()
        try:
            self.cassette = self._ctx.__enter__()
            # vcrpy runs the record hooks over the interactions it loads: count only new ones
            self.observed.clear()
        except BaseException:
            patch.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        patch = self._replay_patch
        assert patch is not None, "CassetteSession exited without being entered"
        try:
            self._ctx.__exit__(*exc)
        finally:
            patch.__exit__(None, None, None)

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
        return [
            f"#{i} {req.method} {req.uri}"
            for i, (req, _) in enumerate(c.data[: c._loaded_count])
            if c.play_counts[i] == 0
        ]

    def check_all_played(self) -> None:
        missing = self.unplayed()
        if missing:
            raise StaleCassette(
                f"stale cassette {self.path}: {len(missing)} recorded interaction(s) were never played: "
                + "; ".join(missing)
                + ". The test no longer sends them — re-record the cassette "
                "(python -m harness.cassettes.record) or remove them."
            )
