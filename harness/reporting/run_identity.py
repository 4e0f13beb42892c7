"""Which run a report is of: its run id, its target names and its records come from the run being
reported, never from a folder that happens to hold another run.

The plugin writes, at the end of a session with `--alluredir DIR`, `DIR/kimi-conformance/run.json`
(`write`): the session's run id (harness.reporting.runs: a digest of its results), each results
file's id, and the records themselves — the same content it writes to `--kimi-results-dir`, when
given. (A sub-folder: Allure reads only the files at the top of DIR, so it never sees this one;
`--clean-alluredir` removes it with the rest.)

The build (`identify`) takes the run from there. A results directory is used for this run only when
it provably holds it: every results file of the run is in it with the same run id. When it holds
another run, one line names both; the summary and the history stay of the run being reported. The
matrix shows every target of the results directory, with this run's targets replaced by this run.
Allure results without the run file (written by another Allure integration, or an older harness)
get an id from their tests and statuses (`history.allure_run`) and no summary.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.reporting import runs
from harness.util.scrub import scrub_obj

RUN_FILE = Path("kimi-conformance") / "run.json"


def write(allure_dir: str | Path, payloads: dict[str, dict[str, Any]], exitstatus: int | None = None) -> str | None:
    """Write the run file of a session (payloads: results-file slug -> its content, as
    `ResultsWriter.payloads` gives them; `exitstatus`: pytest's, for the build to tell a run that
    did not complete); return the run id, None when there is nothing to write."""
    if not payloads:
        return None
    files = {slug: str(data["run_id"]) for slug, data in sorted(payloads.items())}
    run_id = runs.set_run_id(files.values())
    # the payloads are the results files' (already scrubbed): scrubbed again here, as every writer does
    doc = scrub_obj({"runId": run_id, "files": files, "exitstatus": exitstatus, "results": payloads})
    path = Path(allure_dir) / RUN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    os.replace(tmp, path)
    return run_id


@dataclass
class Run:
    run_id: str
    targets: list[str]
    current: runs.ResultsSet | None  # this run's records (None: the Allure results carry none)
    payloads: dict[str, dict[str, Any]]  # this run's results files by slug (empty: none)
    results_dir: Path | None  # the results directory, when it holds this run
    note: str | None = None  # one line when a results directory was left out, and why
    exitstatus: int | None = None  # pytest's exit status of the session (None: not known)

    def snapshot(self) -> dict[str, Any]:
        """What the history line of this run keeps (harness.reporting.history.tag_new_lines)."""
        if self.current is not None:
            return self.current.snapshot()
        return {"runId": self.run_id, "targets": {t: {} for t in self.targets}}


def read_run_file(allure_results: Path) -> dict[str, Any] | None:
    path = allure_results / RUN_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict) or not doc.get("runId"):
        return None
    return doc


def _dir_files(results_dir: Path | None) -> dict[str, str]:
    """slug -> run id of each results file in a results directory."""
    out: dict[str, str] = {}
    if results_dir is None or not results_dir.is_dir():
        return out
    for path in sorted(results_dir.glob("results-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            target = str(data.get("target") or runs.NO_TARGET)
            rid = data.get("run_id") or runs.file_run_id(target, runs.target_versions(data, target), data["results"])
            out[path.name.removeprefix("results-").removesuffix(".json")] = str(rid)
    return out


def _describe(rs: runs.ResultsSet | None, fallback: str) -> str:
    if rs is None:
        return fallback
    return f"run {rs.run_id} (targets: {', '.join(rs.targets) or 'none'})"


def identify(allure_results: Path, results_dir: Path | None) -> Run:
    """The run the Allure results are of (see the module doc)."""
    from harness.reporting.history import allure_run

    doc = read_run_file(allure_results)
    in_dir = _dir_files(results_dir)
    dir_set = runs.load_optional(results_dir) if in_dir else None
    if doc is None:
        run_id, targets = allure_run(allure_results)
        note = None
        if dir_set is not None:
            note = (
                f"{results_dir} holds {_describe(dir_set, '')}, but the Allure results in {allure_results} carry no "
                f"run id ({RUN_FILE} is missing) so they cannot be shown to be that run: they are run {run_id} "
                f"(targets: {', '.join(targets) or 'none'}), reported without a summary"
            )
        return Run(run_id, targets, None, {}, None, note)
    payloads = {str(k): v for k, v in doc["results"].items() if isinstance(v, dict)}
    current = runs.from_files([(f"{allure_results / RUN_FILE}#{slug}", data) for slug, data in payloads.items()])
    run_id = str(doc["runId"])
    files = {str(k): str(v) for k, v in (doc.get("files") or {}).items()}
    status = doc.get("exitstatus") if isinstance(doc.get("exitstatus"), int) else None
    if files and all(in_dir.get(slug) == rid for slug, rid in files.items()):
        return Run(run_id, current.targets, current, payloads, results_dir, exitstatus=status)
    note = None
    if dir_set is not None:
        note = (
            f"{results_dir} holds {_describe(dir_set, '')}, not the run of the Allure results in {allure_results}, "
            f"{_describe(current, run_id)}: the summary and history are of run {run_id}"
        )
    return Run(run_id, current.targets, current, payloads, None, note, status)


def matrix_inputs(run: Run, results_dir: Path | None) -> list[tuple[str, dict[str, Any]]]:
    """The results files the matrix is made of: every file of the results directory (all the
    targets run so far), with this run's files in place of those of the same columns."""
    mine = {slug: data for slug, data in run.payloads.items()}
    found: list[tuple[str, dict[str, Any]]] = []
    if results_dir is not None and results_dir.is_dir():
        for path in sorted(results_dir.glob("results-*.json")):
            slug = path.name.removeprefix("results-").removesuffix(".json")
            if slug in mine:
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and isinstance(data.get("results"), list):
                found.append((str(path), data))
    found += [(f"this run: results-{slug}.json", data) for slug, data in sorted(mine.items())]
    return found
