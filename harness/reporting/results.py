"""Per-test conformance results, written as JSON for the matrix (`--results-dir`).

One record per test: target, rule, model, outcome (passed / failed / skipped), the skip reason
("not applicable: ..."), the known divergences it met, and the cassette provenance for wire
tests. `kimi-conformance matrix` reads these files.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


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


def record_for(item, report) -> Record:
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

        target = split_alias(target)[0]
    return Record(
        nodeid=item.nodeid,
        target=target,
        rule=rule.args[0] if rule else None,
        model=params.get("model"),
        area=area.args[0] if area else None,
        outcome=outcome,
        reason=reason,
        divergences=[v for k, v in report.user_properties if k == "divergence"],
        provenance=prov.args[0] if prov else None,
    )


class ResultsWriter:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.records: dict[str, Record] = {}

    def add(self, item, report) -> None:
        # Keep the most telling phase: a setup skip or error, else the call.
        if report.when == "call" or (report.when == "setup" and not report.passed) or (
                report.when == "teardown" and report.failed):
            self.records[item.nodeid] = record_for(item, report)

    def write(self, meta: dict[str, Any]) -> Path | None:
        if not self.records:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        by_target: dict[str, list[dict]] = {}
        for rec in self.records.values():
            by_target.setdefault(rec.target or "_", []).append(asdict(rec))
        last = None
        for target, recs in by_target.items():
            slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in target)[:80]
            last = self.directory / f"results-{slug}.json"
            _atomic_write(last, json.dumps({**meta, "target": target, "results": recs}, indent=1))
        return last


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
