"""Merging the results of a run's parts (harness.reporting.merge, `kimi-conformance merge`): the parts
of one run give that run's files; a test in two parts keeps its most telling outcome; parts of
different target versions are refused in one line; the Allure results get a run file the report
build recognises as the merged run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness.reporting import merge, run_identity, runs

VERSIONS = {"openclaw": "2026.9.6"}


def rec(nodeid: str, outcome: str = "passed", **kw) -> dict:
    base = {"nodeid": nodeid, "target": "openclaw", "rule": "T3", "model": "moonshot/kimi-k2.6", "area": None}
    return {**base, "outcome": outcome, "reason": "", "divergences": [], "provenance": None, **kw}


def results_file(records: list[dict], versions: dict | None = None) -> dict:
    v = VERSIONS if versions is None else versions
    return {"harness": "0.1.0", "catalog": "1", "targets": {"openclaw": v}, "target": "openclaw", "results": records}


def write(directory: Path, data: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"results-{data['target']}.json"
    path.write_text(json.dumps(data))
    return path


FAIL = rec("s::t[openclaw-b]", "failed", violations=[{"rule": "T3", "check": "T3.keep", "path": "/thinking/keep"}])
ALL = [rec("s::t[openclaw-a]"), FAIL, rec("s::t[openclaw-c]", "skipped", reason="not applicable: x")]


def test_the_parts_of_a_run_merge_into_that_runs_file():
    whole = merge.merge_loaded([("one", results_file(ALL))])["openclaw"]
    parts = [("p1", results_file(ALL[:1])), ("p2", results_file(ALL[1:2])), ("p3", results_file(ALL[2:]))]
    merged = merge.merge_loaded(parts)
    assert list(merged) == ["openclaw"]
    assert merged["openclaw"]["results"] == whole["results"]
    assert merged["openclaw"]["run_id"] == whole["run_id"]  # the same records: the same run
    # deliberately incomplete: two parts of three are another run
    assert merge.merge_loaded(parts[:2])["openclaw"]["run_id"] != whole["run_id"]


def test_a_test_in_two_parts_keeps_its_most_telling_outcome():
    seed1 = [rec("s::t[openclaw-a]", "passed", divergences=["d1"]), rec("s::t[openclaw-b]", "skipped")]
    seed2 = [rec("s::t[openclaw-a]", "failed", divergences=["d2"]), rec("s::t[openclaw-b]", "passed")]
    for order in ((seed1, seed2), (seed2, seed1)):  # the order of the inputs does not decide the outcome
        got = merge.merge_loaded([(str(i), results_file(r)) for i, r in enumerate(order)])["openclaw"]["results"]
        by_id = {r["nodeid"]: r for r in got}
        assert by_id["s::t[openclaw-a]"]["outcome"] == "failed"
        assert by_id["s::t[openclaw-a]"]["divergences"] == ["d1", "d2"]  # every divergence met, in any part
        assert by_id["s::t[openclaw-b]"]["outcome"] == "passed"


def test_parts_of_different_versions_are_refused():
    with pytest.raises(merge.MergeError, match="openclaw 2026.9.7.*openclaw 2026.9.6|not parts of one run"):
        merge.merge_loaded([("a", results_file(ALL[:1])), ("b", results_file(ALL[1:], {"openclaw": "2026.9.7"}))])


def test_the_readers_take_several_directories_and_a_folder_of_parts(tmp_path):
    for i, part in enumerate((ALL[:1], ALL[1:2], ALL[2:]), 1):
        write(tmp_path / "parts" / f"deep-part-{i}", results_file(part))
    whole = runs.from_files([("one", merge.merge_loaded([("one", results_file(ALL))])["openclaw"])])
    dirs = sorted((tmp_path / "parts").iterdir())
    assert merge.load_set(dirs).run_id == whole.run_id  # several directories
    assert merge.load_set([tmp_path / "parts"]).run_id == whole.run_id  # a folder of downloaded parts
    # deliberately broken: read without merging, the parts are three runs, not that one
    assert runs.load(dirs).run_id != whole.run_id
    matrix = merge.load_matrix(dirs)
    assert matrix.counts("openclaw", "T3")["FAIL"] == 1


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["kimi-conformance", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.integration
def test_merge_command_writes_results_and_a_run_file_the_build_recognises(tmp_path):
    for i, part in enumerate((ALL[:2], ALL[2:]), 1):
        write(tmp_path / f"p{i}" / "results", results_file(part))
        allure = tmp_path / f"p{i}" / "allure-results"
        allure.mkdir()
        (allure / f"{i}-result.json").write_text("{}")
        (allure / "environment.properties").write_text(f"run.id=part{i}\n")
        run_identity.write(allure, {"openclaw": merge.merge_loaded([("x", results_file(part))])["openclaw"]}, i - 1)
    out, allure_out = tmp_path / "merged" / "results", tmp_path / "merged" / "allure-results"
    r = _cli(
        "merge",
        str(tmp_path / "p1" / "results"),
        str(tmp_path / "p2" / "results"),
        "--out",
        str(out),
        "--allure",
        str(tmp_path / "p1" / "allure-results"),
        str(tmp_path / "p2" / "allure-results"),
        "--allure-out",
        str(allure_out),
    )
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in allure_out.glob("*-result.json")) == ["1-result.json", "2-result.json"]
    run = run_identity.identify(allure_out, out)
    assert run.results_dir == out and run.note is None  # the build reports the merged run, with its summary
    assert run.exitstatus == 1  # a part that failed: the run failed
    assert f"run.id={run.run_id}" in (allure_out / "environment.properties").read_text()
    assert "run.id=part1" not in (allure_out / "environment.properties").read_text()


@pytest.mark.parametrize("problem", ["missing", "versions", "same-out", "not-results"])
@pytest.mark.integration
def test_bad_merge_input_is_one_line_exit_2(tmp_path, problem):
    a = write(tmp_path / "a", results_file(ALL[:1])).parent
    b = write(tmp_path / "b", results_file(ALL[1:], {"openclaw": "2026.9.7"} if problem == "versions" else None))
    args = [str(a), str(b.parent), "--out", str(tmp_path / "out")]
    if problem == "missing":
        args[1] = str(tmp_path / "no-such-dir")
    elif problem == "same-out":
        args[-1] = str(a)
    elif problem == "not-results":
        b.write_text('{"x": 1}')
    r = _cli("merge", *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("kimi-conformance merge: ")
