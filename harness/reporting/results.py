"""Per-test conformance results, written as JSON for the matrix (`--kimi-results-dir`).

One record per test: target, rule, model, outcome (passed / failed / skipped), the skip reason
("not applicable: ..."), the known divergences it met, and the cassette provenance for wire
tests. `kimi-conformance matrix` reads these files.

A failing test also carries the verdict as data: `violations` (harness.contract.verdict.Violation
as dicts: rule, check, path, expected, actual, message) and its `minimal_case`, both from the
test's `TestVerdict` (harness.engine.conformance), which the plugin hands over with the report. Each file carries its `run_id` (harness.reporting.runs) and its target's
`versions`; when a file is replaced by a different run, the old one moves to `previous/` so the
summary at the end of the next run can say what changed.

A test that runs against no target keeps `target: null`, but is filed — and shown in the matrix —
under a named column (`column_for`): the wire suites check the API as a cassette holds it, so their
column is the cassette's provenance — `wire: emulator`, `wire: real` (built from a real capture),
`wire: live`; anything else is `harness` (the harness's own computations, e.g. the T9 worked
example). Files are `results-<target or column>.json` (`results-wire-real.json`).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.reporting import runs
from harness.reporting.matrix import column_for
from harness.util.fs import atomic_write
from harness.util.scrub import scrub_obj, scrub_text


@dataclass
class Record:
    nodeid: str
    target: str | None
    rule: str | None
    model: str | None
    area: str | None
    outcome: str
    reason: str = ""
    divergences: list[str] = field(default_factory=list)
    provenance: str | None = None
    violations: list[dict[str, Any]] = field(default_factory=list)
    minimal_case: dict[str, Any] = field(default_factory=dict)
    # a skip because most examples were discarded: {discarded, examples, rate, reasons} (the matrix's `unex`)
    not_exercised: dict[str, Any] | None = None


def record_for(item, report, verdict=None) -> Record:
    """The record of one test phase; `verdict` is the test's TestVerdict (None: a test without one)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    rule = item.get_closest_marker("rule")
    area = item.get_closest_marker("area")
    prov = item.get_closest_marker("provenance")
    reason = ""
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
    outcome = report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    target = params.get("target_name")
    if target is not None:
        from harness.targets import split_alias

        target = scrub_text(split_alias(target)[0])
    return Record(
        nodeid=item.nodeid,
        target=target,
        rule=rule.args[0] if rule else None,
        model=params.get("model"),
        area=area.args[0] if area else None,
        outcome=outcome,
        reason=reason,
        divergences=sorted(verdict.divergences) if verdict is not None else [],
        provenance=prov.args[0] if prov else None,
        violations=[v.to_json() for v in verdict.violations] if verdict is not None and report.failed else [],
        minimal_case=(verdict.minimal_case or {}) if verdict is not None and report.failed else {},
        not_exercised=getattr(verdict, "not_exercised", None) if report.skipped else None,
    )


class ResultsWriter:
    def __init__(self, directory: str | Path | None):
        # None: records kept in memory only (the end-of-run summary), no files written
        self.directory = Path(directory) if directory is not None else None
        self.records: dict[str, Record] = {}
        self.written: list[Path] = []  # this session's files
        self.previous: list[Path] = []  # the previous different run of each, where there is one
        self.meta: dict[str, Any] = {}

    def add(self, item, report, verdict=None) -> None:
        # Keep the most telling phase: a setup skip or error, else the call.
        if (
            report.when == "call"
            or (report.when == "setup" and not report.passed)
            or (report.when == "teardown" and report.failed)
        ):
            self.records[item.nodeid] = record_for(item, report, verdict)

    def payloads(self, meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """One results file's content per target (file slug -> data), with its versions and run id."""
        by_file: dict[str, tuple[str, list[dict]]] = {}
        for rec in self.records.values():
            column = rec.target or column_for(rec.area, rec.provenance)
            by_file.setdefault(column, (rec.target or runs.NO_TARGET, []))[1].append(asdict(rec))
        out = {}
        for column, (target, recs) in by_file.items():
            slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in column.replace(": ", "-"))[:80]
            # A key in a target spec (its name, its versions) or in what it answered (a violation's
            # actual value) never reaches a results file or the summary made from it.
            data = scrub_obj({**meta, "target": target, "results": recs})
            data["versions"] = runs.target_versions(data, target)
            data["run_id"] = runs.file_run_id(target, data["versions"], recs)
            out[slug] = data
        return out

    def write(self, meta: dict[str, Any]) -> Path | None:
        self.meta = meta
        if not self.records or self.directory is None:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        last = None
        for slug, data in self.payloads(meta).items():
            last = self.directory / f"results-{slug}.json"
            previous = self._keep_previous(last, data["run_id"])
            atomic_write(last, json.dumps(data, indent=1))
            self.written.append(last)
            if previous is not None:
                self.previous.append(previous)
        return last

    @staticmethod
    def _keep_previous(path: Path, run_id: str) -> Path | None:
        """Move a different run's file to previous/; return the previous run's file, if any."""
        kept = path.parent / runs.PREVIOUS_DIR / path.name
        if path.is_file():
            try:
                old = json.loads(path.read_text(encoding="utf-8"))
                old_id = old.get("run_id") or runs.file_run_id(
                    str(old.get("target")), runs.target_versions(old, str(old.get("target"))), old["results"]
                )
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                old_id = None  # unreadable: not a run to compare with
            if old_id is not None and old_id != run_id:
                kept.parent.mkdir(exist_ok=True)
                with contextlib.suppress(FileNotFoundError):  # another run (tox p) moved it first
                    os.replace(path, kept)
        return kept if kept.is_file() else None
