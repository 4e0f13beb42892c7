"""Results of several runs of the same suites, merged into one: the shards of a run
(`--kimi-shard I/N` on N machines), several seeds, a CI matrix's jobs.

`merge_loaded` takes parsed results files (results.py) and gives the files one run of all of them
would have written — the same columns, slugs, versions and run ids — so everything that reads a
results directory (the matrix, `compare`, the summary, the report) reads a merged one unchanged.
Three shards of a run merge into exactly the files of that run (same records, same run id); that
is what makes a sharded run "the same verdict as one run" (tests/reporting/test_merge.py).

A test present in several inputs (the same suite under two seeds) keeps its most telling outcome:
a failure over a pass, a pass over a skip (`RANK`); at equal rank the first input wins, and the
known divergences met are the union. Results of one target from different versions of it are not
one run: merging them is refused (`MergeError`, one line naming both files).

`merge_dirs` does the whole job for `kimi-conformance merge`: results files, contract coverage
(`coverage-<target>.json`, counts added) and, optionally, the shards' Allure results with a run
file (run_identity) that names the merged run, so `python -m harness.reporting.build` reports it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from harness.reporting import runs

# the most telling outcome of a test run more than once (several seeds): higher wins
RANK = {"failed": 4, "xpassed": 3, "passed": 2, "xfailed": 1, "skipped": 0}


class MergeError(ValueError):
    """Inputs that are not parts of one run (a target's versions differ); the message is one line."""


def overlapping(loaded: list[tuple[str, dict[str, Any]]]) -> bool:
    """True when two inputs hold results of the same target or column (parts to merge)."""
    seen: set[str] = set()
    for _, data in loaded:
        name = str(data.get("target") or runs.NO_TARGET) if isinstance(data, dict) else ""
        key = name if name != runs.NO_TARGET else f"{name}:{_columns(data)}"
        if key in seen:
            return True
        seen.add(key)
    return False


def _columns(data: dict[str, Any]) -> str:
    from harness.reporting.matrix import column_for

    recs = data.get("results") or []
    return ",".join(sorted({column_for(r.get("area"), r.get("provenance")) for r in recs if isinstance(r, dict)}))


def _better(have: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The record kept for a test found in two inputs (see the module doc)."""
    keep = new if RANK.get(str(new.get("outcome")), 0) > RANK.get(str(have.get("outcome")), 0) else have
    met = sorted({*(have.get("divergences") or []), *(new.get("divergences") or [])})
    return {**keep, "divergences": met}


def merge_loaded(loaded: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Parsed results files (source, content) -> the merged files, slug -> content, as one run's
    `ResultsWriter.payloads` gives them. Raises MergeError / ValueError naming the input."""
    from harness.reporting.results import Record, ResultsWriter

    records: dict[tuple[str, str], dict[str, Any]] = {}
    versions: dict[str, tuple[str, dict[str, Any]]] = {}  # target -> (source, versions)
    meta: dict[str, Any] = {}
    targets: dict[str, Any] = {}
    for source, data in loaded:
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ValueError(f"{source} is not a results file (no `results` list)")
        target = str(data.get("target") or runs.NO_TARGET)
        mine = runs.target_versions(data, target)
        if target != runs.NO_TARGET and mine:
            first = versions.setdefault(target, (source, mine))
            if first[1] != mine:
                raise MergeError(
                    f"{source}: {target} {_text(mine)}, but {first[0]}: {_text(first[1])} — results of different "
                    "versions of a target are not parts of one run"
                )
        for field_name in ("harness", "catalog"):
            if field_name in data:
                meta.setdefault(field_name, data[field_name])
        targets.update({k: v for k, v in (data.get("targets") or {}).items() if k not in targets})
        if target != runs.NO_TARGET and mine and not any(_names(k) == target for k in targets):
            targets[target] = mine  # a file without the session's `targets`: its own versions stand in
        for rec in data["results"]:
            if not isinstance(rec, dict):
                continue
            rec = {**rec, "target": rec.get("target") or (None if target == runs.NO_TARGET else target)}
            test = (str(rec["target"] or runs.NO_TARGET), str(rec.get("nodeid", "")))
            records[test] = _better(records[test], rec) if test in records else rec
    writer = ResultsWriter(None)
    known = {f.name for f in fields(Record)}
    for (target, nodeid), rec in sorted(records.items()):
        writer.records[f"{target}\t{nodeid}"] = Record(**{k: v for k, v in rec.items() if k in known})
    return writer.payloads({**meta, "targets": targets})


def _names(spec: str) -> str:
    from harness.targets import split_alias

    return split_alias(spec)[0]


def _text(versions: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or "no versions"


def load(inputs: Iterable[str | Path]) -> dict[str, dict[str, Any]]:
    """Results directories or files -> the merged files (slug -> content)."""
    loaded = runs.read_files(inputs)
    if not loaded:
        raise ValueError(f"no results files in {', '.join(map(str, inputs))}")
    return merge_loaded(loaded)


def _loaded(inputs: Iterable[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    """The results files of the inputs, parsed; the parts of one run merged (several inputs of one
    target or column), else as they are."""
    loaded = runs.read_files(inputs)
    if overlapping(loaded):
        return [(f"merged: results-{slug}.json", data) for slug, data in merge_loaded(loaded).items()]
    return loaded


def load_set(inputs: Iterable[str | Path]) -> runs.ResultsSet:
    """runs.load over several results directories: the parts of one run read as that run."""
    loaded = _loaded(inputs)
    if not loaded:
        raise ValueError(f"no results files in {', '.join(map(str, inputs))}")
    return runs.from_files(loaded)


def load_matrix(inputs: Iterable[str | Path]):
    """matrix.load over several results directories: the parts of one run read as that run."""
    from harness.reporting.matrix import from_data

    return from_data(_loaded(inputs))


def write(payloads: dict[str, dict[str, Any]], out: Path) -> list[Path]:
    """The merged files into `out` (results-<slug>.json), each written whole or not at all."""
    from harness.util.fs import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for slug, data in sorted(payloads.items()):
        path = out / f"results-{slug}.json"
        atomic_write(path, json.dumps(data, indent=1))
        written.append(path)
    return written


def merge_coverage(inputs: Iterable[Path], out: Path) -> list[Path]:
    """The contract coverage files of the inputs, counts of one target added, into `out`."""
    from harness.engine import coverage

    found = [p for d in inputs for p in coverage.files([d])] if inputs else []
    docs = coverage.merge(coverage.read(p) for p in found)
    written = []
    for name, doc in sorted(docs.items()):
        path = out / f"{coverage.FILE_PREFIX}{coverage._safe(name)}.json"
        path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


def merge_allure(inputs: Iterable[Path], out: Path, payloads: dict[str, dict[str, Any]]) -> str | None:
    """The shards' Allure results into `out` (each test's files keep their unique names; the
    session files of the first shard stand for all), with a run file naming the merged run."""
    from harness.reporting import run_identity

    out.mkdir(parents=True, exist_ok=True)
    statuses: list[int] = []
    for directory in inputs:
        if not directory.is_dir():
            raise ValueError(f"--allure {directory}: no such directory")
        for path in sorted(directory.iterdir()):
            if path.is_file() and not (out / path.name).exists():
                shutil.copyfile(path, out / path.name)
        doc = run_identity.read_run_file(directory)
        if doc is not None and isinstance(doc.get("exitstatus"), int):
            statuses.append(doc["exitstatus"])
    # the merged run ended as its worst part did (any non-zero pytest exit of a shard stays)
    status = max(statuses) if statuses else None
    run_id = run_identity.write(out, payloads, status)
    props = out / "environment.properties"
    if run_id and props.is_file():  # the first shard's run id there would name a part, not the run
        lines = [ln for ln in props.read_text(encoding="utf-8").splitlines() if not ln.startswith("run.id=")]
        props.write_text("\n".join([*lines, f"run.id={run_id}"]) + "\n", encoding="utf-8")
    return run_id


def merge_dirs(
    inputs: list[Path], out: Path, allure: list[Path] | None = None, allure_out: Path | None = None
) -> dict[str, Any]:
    """`kimi-conformance merge`: results, coverage and (optionally) Allure results of several runs
    into one results directory; what was written, for the command to say."""
    payloads = load(inputs)
    written = write(payloads, out)
    dirs = [p for p in inputs if p.is_dir()]
    shard_dirs = [d for p in dirs for d in ([p] if any(p.glob("results-*.json")) else sorted(p.glob("*/")))]
    written += merge_coverage(shard_dirs, out)
    run_id = runs.set_run_id(str(d["run_id"]) for d in payloads.values())
    if allure:
        merge_allure(allure, allure_out or out.parent / "allure-results", payloads)
    return {"run_id": run_id, "files": written, "tests": sum(len(d["results"]) for d in payloads.values())}
