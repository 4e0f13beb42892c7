"""Run ids, run-keyed history and the summary (harness.reporting.runs / history / summary).

Two results sets are fed as --kimi-results-dir files: a passing run of `openclaw` 2026.9.6, then a run of
the same target name at 2026.10.1 whose failures carry structured violations and a minimal case.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.cli.main import main as cli_main
from harness.reporting import history, run_identity, runs, summary
from harness.reporting.results import Record, ResultsWriter
from harness.util.scrub import scrub_obj

pytest_plugins = ["pytester"]
CANARY = "sk-canarySUMMARY0123456789abcdef"
K26, K27 = "moonshot/kimi-k2.6", "moonshot/kimi-k2.7-code"
VIOLATION = {
    "rule": "T3",
    "check": "T3.keep-only-k2.6",
    "path": "/body/thinking/keep",
    "expected": "<absent>",
    "actual": "all",
    "message": "keep sent to a model that does not take it",
}
CASE = {
    "model": K27,
    "thinking": "on",
    "params": {"thinking": {"keep": "all"}},
    "provider": {"id": "moonshot", "apiKey": CANARY},
    "request": {"messages": [{"role": "user", "content": "hi"}]},
}


def rec(rule, model, outcome="passed", reason="", divergences=(), violations=(), case=None, target="openclaw"):
    return {
        "nodeid": f"suites/test_{rule}.py::test_{rule}[{target}-{model}]",
        "target": target,
        "rule": rule,
        "model": model,
        "area": "transformations",
        "outcome": outcome,
        "reason": reason,
        "divergences": list(divergences),
        "provenance": None,
        "violations": list(violations),
        "minimal_case": case or {},
    }


def write_set(d: Path, records, version, target="openclaw") -> Path:
    d.mkdir(parents=True, exist_ok=True)
    w = ResultsWriter(d)
    for r in records:
        w.records[r["nodeid"]] = Record(**r)
    w.write({"harness": "0.1.0", "catalog": "x", "targets": {target: {"openclaw": version, "node": "24.1.0"}}})
    return d


def run_a(d: Path) -> Path:
    return write_set(
        d,
        [
            rec("T3", K26),
            rec("T3", K27),
            rec("T1", K27, divergences=["openclaw-drops-stop"]),
            rec("T5", K26),
            rec("T7", K26, divergences=["openclaw-store-kept"]),
            rec("T8", K26, outcome="skipped", reason="not applicable: no stream options"),
        ],
        "2026.9.6",
    )


def run_b(d: Path) -> Path:
    return write_set(
        d,
        [
            rec("T3", K26),
            rec("T3", K27, "failed", violations=[VIOLATION], case=CASE),
            rec("T1", K27, divergences=["openclaw-new-div"]),
            rec("T5", K26, outcome="skipped", reason="not applicable: no tool calls"),
            rec("T7", K26),
            rec("T8", K26),
        ],
        "2026.10.1",
    )


def test_record_carries_the_verdicts_violations_and_minimal_case():
    from harness.contract.verdict import Violation
    from harness.engine.conformance import TestVerdict
    from harness.reporting.results import record_for

    item = SimpleNamespace(
        nodeid="suites/t.py::test[x]",
        callspec=SimpleNamespace(params={"model": K26}),
        get_closest_marker=lambda name: SimpleNamespace(args=("T3",)) if name == "rule" else None,
    )
    verdict = TestVerdict(
        divergences={"b-div", "a-div"},
        violations=[Violation(**VIOLATION), Violation("T3", "T3.other", "/body")],
        minimal_case=CASE,
    )
    failed = SimpleNamespace(skipped=False, failed=True, outcome="failed", longrepr=None)
    r = record_for(item, failed, verdict)
    assert [v["check"] for v in r.violations] == ["T3.keep-only-k2.6", "T3.other"]
    assert r.minimal_case == CASE and r.divergences == ["a-div", "b-div"]
    # the verdict's failure is only the record's when the test failed; no verdict, no violations
    passed = SimpleNamespace(skipped=False, failed=False, outcome="passed", longrepr=None)
    assert record_for(item, passed, verdict).violations == [] and record_for(item, passed, verdict).minimal_case == {}
    assert record_for(item, failed).violations == [] and record_for(item, failed).divergences == []


def test_run_id_is_a_digest_of_the_results(tmp_path):
    a1, a2, b = run_a(tmp_path / "a1"), run_a(tmp_path / "a2"), run_b(tmp_path / "b")
    assert runs.load([a1]).run_id == runs.load([a2]).run_id != runs.load([b]).run_id
    data = json.loads((a1 / "results-openclaw.json").read_text())
    assert data["run_id"] == runs.load([a1]).run_id and data["versions"]["openclaw"] == "2026.9.6"
    # a version change alone is another run
    assert (
        runs.load([write_set(tmp_path / "a3", [rec("T3", K26)], "1")]).run_id
        != runs.load([write_set(tmp_path / "a4", [rec("T3", K26)], "2")]).run_id
    )


def test_writer_keeps_the_previous_different_run(tmp_path):
    d = tmp_path / "results"
    run_a(d)
    assert not (d / "previous").exists()
    run_b(d)
    prev = d / "previous" / "results-openclaw.json"
    assert json.loads(prev.read_text())["versions"]["openclaw"] == "2026.9.6"
    run_b(d)  # the same run again: the previous *different* run stays the one to compare with
    assert json.loads(prev.read_text())["versions"]["openclaw"] == "2026.9.6"


def test_summary_sections(tmp_path):
    s = summary.compare(runs.load([run_a(tmp_path / "a")]), runs.load([run_b(tmp_path / "b")]))
    assert [r["nodeid"] for r in s.regressions] == [f"suites/test_T3.py::test_T3[openclaw-{K27}]"]
    assert s.new_divergences == [("openclaw", "openclaw-new-div", 1)]
    assert s.fixed_divergences == [("openclaw", "openclaw-drops-stop", 1), ("openclaw", "openclaw-store-kept", 1)]
    assert s.na_changes == [
        ("openclaw", "T5", "now n/a", "no tool calls", 1),
        ("openclaw", "T8", "applicable again", "no stream options", 1),
    ]
    out = tmp_path / "out" / "summary.md"
    md = summary.write(s, out)
    assert out.read_text() == md
    sections = {h: body for h, body in (part.split("\n", 1) for part in md.split("\n### ")[1:])}
    assert set(sections) >= {"Regressions", "New divergences", "Fixed divergences", "Not-applicable changes", "Targets"}
    reg = sections["Regressions"]
    cid = summary.case_id(scrub_obj(CASE))  # results files hold the scrubbed case
    assert f"test_T3[openclaw-{K27}]" in reg and "T3.keep-only-k2.6" in reg and K27 in reg
    assert f"[{cid}](minimal-cases/{cid}.json)" in reg
    assert "openclaw changed since the previous run: **openclaw 2026.9.6 → 2026.10.1**" in reg
    assert json.loads((out.parent / "minimal-cases" / f"{cid}.json").read_text())["model"] == K27
    assert "`openclaw-new-div`" in sections["New divergences"]
    assert "`openclaw-drops-stop`" in sections["Fixed divergences"] and "new-div" not in sections["Fixed divergences"]
    assert (
        "T5: now n/a" in sections["Not-applicable changes"]
        and "T8: applicable again" in sections["Not-applicable changes"]
    )
    assert "| openclaw | node 24.1.0, openclaw 2026.10.1 | openclaw 2026.9.6 → 2026.10.1 |" in sections["Targets"]
    assert "**1 regression(s)**" in md
    for f in out.parent.rglob("*"):
        assert f.is_dir() or CANARY not in f.read_text(), f


def test_summary_without_a_previous_run(tmp_path):
    md = summary.render(summary.compare(None, runs.load([run_b(tmp_path / "b")])))
    assert "no previous run" in md and "**0 regression(s)**" in md
    assert "`T3.keep-only-k2.6`: 1 test(s)" in md  # what fails now, by cause


def test_step_summary_appended_once_per_run(tmp_path):
    s = summary.compare(runs.load([run_a(tmp_path / "a")]), runs.load([run_b(tmp_path / "b")]))
    step = tmp_path / "step.md"
    assert not summary.append_step_summary(s, environ={})
    step.write_text("# earlier step output\n")
    assert summary.append_step_summary(s, environ={"GITHUB_STEP_SUMMARY": str(step)})
    assert summary.append_step_summary(s, environ={"GITHUB_STEP_SUMMARY": str(step)})
    text = step.read_text()
    assert text.startswith("# earlier step output\n") and text.count("## kimi-conformance summary") == 1
    assert "### Regressions" in text and "```json" in text and CANARY not in text  # the case inline, scrubbed
    other = summary.compare(None, runs.load([tmp_path / "a"]))
    summary.append_step_summary(other, environ={"GITHUB_STEP_SUMMARY": str(step)})
    assert step.read_text().count("## kimi-conformance summary") == 2


def test_compare_command(tmp_path, capsys):
    a, b = run_a(tmp_path / "a"), run_b(tmp_path / "b")
    assert cli_main(["compare", str(a), str(b / "results-openclaw.json"), "--markdown", str(tmp_path / "s.md")]) == 0
    out = capsys.readouterr().out
    assert "### Regressions" in out and "T3.keep-only-k2.6" in out and (tmp_path / "s.md").read_text() == out
    assert cli_main(["compare", str(a), str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing" in err


# ------------------------------------------------------------------------------ history keyed by run
def _allure_line(uuid, ts, statuses):
    return {
        "uuid": uuid,
        "timestamp": ts,
        "testResults": {
            f"h-{n}": {"historyId": f"h-{n}", "status": st, "name": n, "fullName": "f"} for n, st in statuses.items()
        },
    }


def test_previous_run_is_another_run_of_the_same_targets(tmp_path):
    h = tmp_path / "history.jsonl"
    lines = [
        _allure_line("u1", 1, {}),
        {**_allure_line("u2", 2, {}), "kimi": {"runId": "A", "targets": {"x": {}}}},
        {**_allure_line("u3", 3, {}), "kimi": {"runId": "O", "targets": {"other": {}}}},
        {**_allure_line("u4", 4, {}), "kimi": {"runId": "B", "targets": {"x": {}}}},
    ]
    h.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert history.previous_run(h)["uuid"] == "u4"  # untagged use: the newest line
    assert history.previous_run(h, "B", ["x"])["uuid"] == "u2"  # not itself, not another target set
    assert history.previous_run(h, "C", ["x"])["uuid"] == "u4"
    assert history.previous_run(h, "C", ["y"])["uuid"] == "u1"  # only a legacy line fits
    dest = tmp_path / "h2.jsonl"
    assert history.without_run(h, "B", dest) == {"u1", "u2", "u3"}
    dest.write_text(dest.read_text() + json.dumps(_allure_line("u5", 5, {})) + "\n")
    assert history.tag_new_lines(dest, {"u1", "u2", "u3"}, {"runId": "B", "targets": {"x": {}}}) == 1
    assert [history.run_of(e) for e in history.entries(dest)] == [None, "A", "O", "B"]


def test_building_twice_shows_the_same_regressions(tmp_path, monkeypatch):
    """build.generate twice for the same run (Allure replaced by a stand-in that appends its
    history line the way Allure 3 does): the same regressions, one history line per run."""
    from harness.reporting import build

    hist, allure_results, res_a, res_b = (
        tmp_path / "history.jsonl",
        tmp_path / "allure-results",
        tmp_path / "ra",
        tmp_path / "rb",
    )
    allure_results.mkdir()
    run_a(res_a)
    run_b(res_b)

    def allure_result(status):
        r = {
            "name": "test_T3[openclaw-k]",
            "fullName": "suites.test_T3#test_T3",
            "testCaseId": "tc",
            "status": status,
            "statusDetails": {"message": "T3.keep-only-k2.6"},
            "labels": [],
            "stop": 1,
            "parameters": [{"name": "target", "value": "'openclaw'"}],
        }
        (allure_results / "r-result.json").write_text(json.dumps(r))

    def fake_run(cmd, **kw):
        config = json.loads(Path(cmd[cmd.index("--config") + 1]).read_text())
        out = Path(config["output"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text("<html><body>report</body></html>")
        _, r = next(iter(history.latest_results(allure_results).values()))
        line = {
            "uuid": f"u{len(history.entries(config['historyPath']))}",
            "timestamp": len(calls),
            "testResults": {
                history.allure3_history_id(r): {"historyId": history.allure3_history_id(r), "status": r["status"]}
            },
        }
        with open(config["historyPath"], "a") as f:
            f.write(json.dumps(line) + "\n")
        calls.append(cmd)
        return SimpleNamespace(returncode=0, stdout="", stderr="")

    calls: list = []
    monkeypatch.setattr(build.subprocess, "run", fake_run)
    monkeypatch.setattr(build, "node_binary", lambda: "node")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    def build_once(results_dir):
        # the plugin writes the run's identity and records into the Allure results (run_identity)
        payloads = {
            f.stem.removeprefix("results-"): json.loads(f.read_text()) for f in results_dir.glob("results-*.json")
        }
        run_identity.write(allure_results, payloads)
        return build.generate(
            allure_results,
            tmp_path / "report",
            hist,
            results_dir=results_dir,
            allure_dir=tmp_path,
            summary_md=tmp_path / "summary.md",
        )

    allure_result("passed")
    assert build_once(res_a)["regressions"] == []
    allure_result("failed")
    first = build_once(res_b)
    first_md = (tmp_path / "summary.md").read_text()
    second = build_once(res_b)
    assert (
        [r["name"] for r in first["regressions"]]
        == [r["name"] for r in second["regressions"]]
        == ["test_T3[openclaw-k]"]
    )
    assert first["run_id"] == second["run_id"] == runs.load([res_b]).run_id
    assert (tmp_path / "summary.md").read_text() == first_md and "**1 regression(s)**" in first_md
    assert [history.run_of(e) for e in history.entries(hist)] == [runs.load([res_a]).run_id, first["run_id"]]
    report = tmp_path / "report"
    assert "kimi-conformance-summary-link" in (report / "index.html").read_text()
    assert (report / "summary.md").read_text() == first_md and (report / "summary.html").is_file()
    assert (report / "minimal-cases" / f"{summary.case_id(scrub_obj(CASE))}.json").is_file()


@pytest.mark.parametrize("results_dir", [True, False])
@pytest.mark.integration
def test_terminal_summary_at_the_end_of_a_suite_run(pytester, results_dir, monkeypatch):
    step = pytester.path / "step.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    pytester.makepyfile(
        test_x="""
        import pytest

        from harness.contract.verdict import Violation
        from harness.engine.conformance import ConformanceFailure

        @pytest.mark.rule("T3")
        @pytest.mark.parametrize("model", ["m1", "m2"])
        def test_keep(model, conformance):  # the plugin's engine: it keeps the failure's verdict
            v = Violation("T3", "T3.keep-gate", "/body", None, 1, "x")
            if model != "m1":
                raise ConformanceFailure("T3", "t", model, {"model": model}, None, [v], None)
    """
    )
    args = ["-p", "no:cacheprovider"] + (["--kimi-results-dir", "res"] if results_dir else [])
    result = pytester.runpytest_subprocess(*args)
    result.stdout.fnmatch_lines(["*= kimi-conformance summary =*", "*T3.keep-gate*: 1 test(s)*"])
    assert "## kimi-conformance summary" in step.read_text()
    assert (pytester.path / "res" / "summary.md").is_file() == results_dir


def test_a_bad_results_file_is_one_line(tmp_path, capsys):
    (tmp_path / "results-x.json").write_text('{"target": "x"}')
    assert runs.load_optional(tmp_path) is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "results-x.json is not a results file" in err
    with pytest.raises(ValueError, match="results-x.json"):
        runs.load([tmp_path])


def test_the_verdict_comes_first_and_empty_sections_are_left_out(tmp_path):
    passing = summary.render(summary.compare(runs.load([run_a(tmp_path / "a")]), runs.load([tmp_path / "a"])))
    assert passing.splitlines()[2].startswith("**PASS** — 3 passed, 2 known divergence, 1 n/a; nothing failing")
    assert [line for line in passing.splitlines() if line.startswith("### ")] == ["### Targets"]
    assert "none" not in passing

    failing = summary.render(summary.compare(runs.load([tmp_path / "a"]), runs.load([run_b(tmp_path / "b")])))
    assert failing.splitlines()[2] == "**FAIL** — 1 test(s) failing, 1 regression(s) (targets: openclaw)."


def test_a_cause_says_its_message_contract_section_and_a_current_example(tmp_path):
    retired = "moonshot/kimi-k2-thinking"  # retired in the built-in catalog
    records = [
        rec("T3", model, "failed", violations=[VIOLATION], case={**CASE, "model": model})
        for model in (retired, "moonshot/kimi-k2.5")
    ]
    s = summary.compare(None, runs.load([write_set(tmp_path / "c", records, "1")]))
    md = summary.write(s, tmp_path / "out" / "summary.md")
    line = next(line for line in md.splitlines() if line.startswith("- `T3.keep-only-k2.6`"))
    cid = summary.case_id(scrub_obj({**CASE, "model": "moonshot/kimi-k2.5"}))
    assert line == (
        "- `T3.keep-only-k2.6`: 2 test(s) — keep sent to a model that does not take it; contract: "
        "`kimi-conformance contract T3` (docs/contract.md#t3); "
        f"e.g. test_T3[openclaw-moonshot/kimi-k2.5], minimal case [{cid}](minimal-cases/{cid}.json)"
    )
    assert (tmp_path / "out" / "minimal-cases" / f"{cid}.json").is_file()


def test_each_target_has_its_pass_rate(tmp_path):
    """A known divergence counts as passing; n/a and skipped tests are not in the rate."""
    records = [
        {**rec("T3", K26, target="a"), "outcome": "passed"},
        {**rec("T4", K26, target="a"), "outcome": "failed"},
        {**rec("T5", K26, target="a"), "outcome": "passed", "divergences": ["x"]},
        {**rec("T7", K26, target="a"), "outcome": "skipped", "reason": "not applicable: no"},
        {**rec("T3", K26, target="b"), "outcome": "passed"},
    ]
    rs = runs.load([write_set(tmp_path / "r", records, "1")])
    assert summary.pass_rates(rs) == {"a": (2, 3), "b": (1, 1)}
    md = summary.render(summary.compare(None, rs))
    assert "Per target: **a** 2/3 pass (66%), **b** 1/1 pass (100%)." in md
