"""Results sets and their run ids: what "this run" and "the previous run" mean everywhere.

A *results set* is one or more `--kimi-results-dir` files (results.py): the records of some targets
plus each target's versions. Its *run id* is a digest of that content, so the same results
always have the same id — building the report twice for one run is recognised as one run, and a
second, identical suite run is the same run too (nothing changed to report).

* a file's run id: sha256 of its target, that target's versions and its records (sorted);
* a set's run id: the file's id for one file, else a digest of the sorted file ids.

The previous run of a target (for the summary at the end of a suite run) is kept by the writer in
`<results-dir>/previous/`: the last results of that target whose run id differs from the current.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NO_TARGET = "_"
PREVIOUS_DIR = "previous"
# What the history keeps of each record: enough to tell regressions, divergences and n/a changes.
SNAPSHOT_FIELDS = ("target", "nodeid", "rule", "model", "outcome", "reason", "divergences")


def digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def file_run_id(target: str, versions: dict[str, Any] | None, records: list[dict[str, Any]]) -> str:
    ordered = sorted(records, key=lambda r: str(r.get("nodeid", "")))
    return digest({"target": target, "versions": versions or {}, "results": ordered})


def set_run_id(file_ids: Iterable[str]) -> str:
    ids = sorted(set(file_ids))
    return ids[0] if len(ids) == 1 else digest(ids)


def target_versions(data: dict[str, Any], target: str) -> dict[str, Any]:
    """This file's target versions: its own `versions`, else the session's `targets` entry, which
    is keyed by the full `--kimi-target` value (`impl=python:m:f` for the alias `impl`)."""
    if isinstance(data.get("versions"), dict):
        return data["versions"]
    from harness.targets import split_alias

    for name, versions in (data.get("targets") or {}).items():
        if split_alias(str(name))[0] == target and isinstance(versions, dict):
            return versions
    return {}


@dataclass
class ResultsSet:
    run_id: str
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (target, nodeid) ->
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)  # target -> {component: version}
    sources: list[str] = field(default_factory=list)

    @property
    def targets(self) -> list[str]:
        """The target names of the run (tests without a target — wire, catalog — aside)."""
        return sorted({t for t, _ in self.records if t != NO_TARGET})

    def snapshot(self) -> dict[str, Any]:
        """The compact form kept in a history line (harness.reporting.history)."""
        return {
            "runId": self.run_id,
            "targets": {t: self.versions.get(t, {}) for t in self.targets},
            "results": [{k: r.get(k) for k in SNAPSHOT_FIELDS if r.get(k)} for _, r in sorted(self.records.items())],
        }

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any]) -> ResultsSet:
        rs = cls(run_id=str(snap.get("runId", "")), versions=dict(snap.get("targets") or {}))
        for r in snap.get("results") or []:
            rs.records[(r.get("target") or NO_TARGET, r.get("nodeid", ""))] = r
        return rs


def from_files(data_by_path: list[tuple[str, dict[str, Any]]]) -> ResultsSet:
    """A set from parsed results files (later files win for the same target and test)."""
    rs, ids = ResultsSet(run_id=""), []
    for source, data in data_by_path:
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ValueError(f"{source} is not a results file (no `results` list)")
        target = str(data.get("target") or NO_TARGET)
        versions = target_versions(data, target)
        ids.append(str(data.get("run_id") or file_run_id(target, versions, data["results"])))
        if versions:
            rs.versions[target] = versions
        for rec in data["results"]:
            if isinstance(rec, dict):
                t = rec.get("target") or target
                rs.records[(t, str(rec.get("nodeid", "")))] = {**rec, "target": t}
        rs.sources.append(source)
    rs.run_id = set_run_id(ids) if ids else ""
    return rs


def read_files(inputs: Iterable[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    """The results files of files or directories (`results-*.json` inside), parsed, each with its
    path. Raises OSError/ValueError naming the file that is missing or not JSON."""
    from harness.reporting.matrix import result_files

    loaded = []
    for path in result_files(inputs):
        try:
            loaded.append((str(path), json.loads(path.read_text(encoding="utf-8"))))
        except ValueError as e:
            raise ValueError(f"{path} is not JSON: {e}") from None
    return loaded


def load(inputs: Iterable[str | Path]) -> ResultsSet:
    """Results files or directories (`results-*.json` inside) -> one set. Raises OSError/ValueError
    naming the file that is missing or not a results file."""
    loaded = read_files(inputs)
    if not loaded:
        raise ValueError(f"no results files in {', '.join(map(str, inputs))}")
    return from_files(loaded)


def load_optional(directory: Path | None) -> ResultsSet | None:
    """The set of a results directory, or None when there is none (or it holds no results); a
    directory that cannot be read says so in one line (the report still builds without it)."""
    if directory is None or not directory.is_dir() or not any(directory.glob("results-*.json")):
        return None
    try:
        return load([directory])
    except (OSError, ValueError) as e:
        print(f"[report] results in {directory} left out: {e}", file=sys.stderr)
        return None
