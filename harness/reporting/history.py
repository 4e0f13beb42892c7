"""Regressions from the Allure 3 history file, marked on the results before the report is built.

A regression is a test that *passed in the previous run* and fails (failed or broken) now. Allure 3
has a native `transition: regressed`, but it compares with the last *significant* status and only
for status `failed` (a test that errors now is `broken`, "malfunctioned"), so the harness decides
itself, from the last entry of the history file (JSON lines, one run per line, newest last):

* a result matches a history entry by Allure 3's history id (`md5(testCaseId)` + "." +
  `md5("name:value,..."` of the non-excluded parameters)), falling back to (fullName, name) —
  both stable because the target parameter is the alias of `--kimi-target NAME=SPEC`;
* a failure the infrastructure category explains (network, timeouts, missing keys, installs) is
  not a regression: it says nothing about the implementation;
* a regression gets the labels `regression=true` and `tag=regression`, which the report's
  "Regressions" category matches (harness.reporting.categories).

History is keyed by run (harness.reporting.runs): each line the build adds is tagged
`"kimi": {"runId", "targets": {name: versions}, "results": [...]}`. Building the report again for
the same run replaces that run's line instead of adding one, and "the previous run" is always the
newest line of a *different* run with the *same target names* — so a second build shows the same
regressions as the first, and a run of other targets is never compared with this one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from harness.reporting.categories import REGRESSION_LABEL, is_infrastructure

FAILING = ("failed", "broken")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def allure3_history_id(result: dict[str, Any]) -> str | None:
    """The history id Allure 3 computes for an Allure-2-format result (core/store/convert.js)."""
    labels = result.get("labels") or []
    allure_id = next(
        (lab.get("value") for lab in labels if lab.get("name") in ("ALLURE_ID", "AS_ID") and lab.get("value") != "-1"),
        None,
    )
    if allure_id:
        case_id = _md5(f"ALLURE_ID={allure_id}")
    elif result.get("testCaseId"):
        case_id = _md5(result["testCaseId"])
    elif result.get("fullName"):
        case_id = _md5(result["fullName"])
    else:
        return None
    params = sorted(
        (p for p in result.get("parameters") or [] if not p.get("excluded")),
        key=lambda p: (str(p.get("name", "")).lower(), str(p.get("value", ""))),
    )
    joined = ",".join(f"{p.get('name')}:{p.get('value')}" for p in params)
    return f"{case_id}.{_md5(joined)}"


KIMI = "kimi"  # our tag on a history line: the run id, targets and versions, a results snapshot


def entries(history_path: str | Path) -> list[dict[str, Any]]:
    """The lines of an Allure 3 history file, oldest first (unreadable lines left out)."""
    path = Path(history_path)
    if not path.is_file():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                found.append(entry)
    return sorted(found, key=lambda e: e.get("timestamp", 0) or 0)  # stable: file order on ties


def run_of(entry: dict[str, Any]) -> str | None:
    tag = entry.get(KIMI)
    return str(tag.get("runId")) if isinstance(tag, dict) and tag.get("runId") else None


def previous_run(
    history_path: str | Path, run_id: str | None = None, targets: list[str] | None = None
) -> dict[str, Any] | None:
    """The entry to compare a run with: the newest line of another run with the same target names
    (an untagged line, from before runs were keyed, only when no tagged line fits). Without
    `run_id`, simply the newest line."""
    lines = entries(history_path)
    if run_id is None:
        return lines[-1] if lines else None
    untagged = None
    for entry in reversed(lines):
        rid = run_of(entry)
        if rid is None:
            untagged = untagged or entry
        elif rid != run_id and (targets is None or sorted(entry[KIMI].get("targets") or {}) == sorted(targets)):
            return entry
    return untagged


def without_run(history_path: str | Path, run_id: str, dest: Path) -> set[str]:
    """Copy the history to `dest` without the lines of `run_id` (a rebuild replaces its line);
    return the uuids kept, so the line Allure appends can be told apart."""
    kept = [e for e in entries(history_path) if run_of(e) != run_id]
    dest.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in kept), encoding="utf-8")
    return {str(e.get("uuid")) for e in kept}


def tag_new_lines(history_path: Path, known_uuids: set[str], tag: dict[str, Any]) -> int:
    """Tag the lines Allure added (uuid not known before) with this run; return how many."""
    lines, n = entries(history_path), 0
    for entry in lines:
        if str(entry.get("uuid")) not in known_uuids:
            entry[KIMI] = tag
            n += 1
    history_path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines), encoding="utf-8")
    return n


def allure_run(results_dir: str | Path) -> tuple[str, list[str]]:
    """Run id and target names from Allure results alone (no --kimi-results-dir files): a digest of
    each test's history id and status, and the `target` parameters."""
    from harness.reporting.runs import digest

    pairs: list[tuple[Any, Any]] = []
    targets: set[str] = set()
    for _, result in latest_results(results_dir).values():
        pairs.append((allure3_history_id(result) or result.get("fullName"), result.get("status")))
        targets.update(
            str(p.get("value", "")).strip("'") for p in result.get("parameters") or [] if p.get("name") == "target"
        )
    return digest(sorted(pairs, key=str)), sorted(targets)


def _index(entry: dict[str, Any]) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    by_id, by_name = {}, {}
    for key, item in (entry.get("testResults") or {}).items():
        status = item.get("status")
        by_id[item.get("historyId") or key] = status
        if item.get("fullName") and item.get("name"):
            by_name[(item["fullName"], item["name"])] = status
    return by_id, by_name


def _results(results_dir: Path):
    for path in sorted(results_dir.glob("*-result.json")):
        try:
            yield path, json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue


def latest_results(results_dir: str | Path) -> dict[tuple[str, str], tuple[Path, dict]]:
    """One result per test (the newest when a directory holds several runs or retries)."""
    latest: dict[tuple[str, str], tuple[Path, dict]] = {}
    for path, result in _results(Path(results_dir)):
        key = (allure3_history_id(result) or result.get("uuid", str(path)), "")
        if key not in latest or (result.get("stop") or 0) >= (latest[key][1].get("stop") or 0):
            latest[key] = (path, result)
    return latest


def mark_regressions(
    results_dir: str | Path, history_path: str | Path, run_id: str | None = None, targets: list[str] | None = None
) -> list[dict[str, str]]:
    """Label this run's regressions in place, against `previous_run(history_path, run_id, targets)`;
    return them (name, fullName, historyId, status)."""
    entry = previous_run(history_path, run_id, targets)
    # no previous run: nothing regressed, but labels from an earlier build still go
    by_id, by_name = _index(entry) if entry is not None else ({}, {})
    found = []
    for path, result in latest_results(results_dir).values():
        labels = [
            lab
            for lab in result.get("labels") or []
            if lab.get("name") != REGRESSION_LABEL
            and not (lab.get("name") == "tag" and lab.get("value") == "regression")
        ]
        hid = allure3_history_id(result)
        before = by_id.get(hid) if hid else None
        if before is None:
            # _index keys only non-empty names, so "" for a missing one finds nothing, as None would
            before = by_name.get((result.get("fullName") or "", result.get("name") or ""))
        status = result.get("status")
        message = (result.get("statusDetails") or {}).get("message")
        regression = before == "passed" and status in FAILING and not is_infrastructure(message)
        if regression:
            labels += [{"name": REGRESSION_LABEL, "value": "true"}, {"name": "tag", "value": "regression"}]
            found.append(
                {
                    "name": result.get("name", ""),
                    "fullName": result.get("fullName", ""),
                    "historyId": hid or "",
                    "status": status,
                }
            )
        if labels != result.get("labels"):
            result["labels"] = labels
            path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return found
