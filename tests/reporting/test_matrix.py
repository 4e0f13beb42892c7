"""The conformance matrix (harness/reporting/matrix.py) on synthetic results files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.main import main as cli_main
from harness.reporting import matrix
from tests.child import run as run_child


def rec(target, rule, model, outcome="passed", reason="", divergences=()):
    return {
        "nodeid": f"suites/test_{rule}.py::test[{target}-{model}]",
        "target": target,
        "rule": rule,
        "model": model,
        "area": "transformations",
        "outcome": outcome,
        "reason": reason,
        "divergences": list(divergences),
        "provenance": None,
    }


def write(tmp_path, name, target, records, versions=None):
    path = tmp_path / f"results-{name}.json"
    path.write_text(
        json.dumps(
            {
                "harness": "0.1.0",
                "catalog": "x",
                "targets": {target: versions or {}},
                "target": target,
                "results": records,
            }
        )
    )
    return path


def sample(tmp_path):
    write(
        tmp_path,
        "reference",
        "reference",
        [
            rec("reference", "T1", "moonshot/kimi-k2.6"),
            rec("reference", "T1", "moonshot/kimi-k2.7-code"),
            rec("reference", "T3", "moonshot/kimi-k2.6"),
            rec("reference", "T3", "moonshot/kimi-k2.7-code"),
        ],
    )
    write(
        tmp_path,
        "litellm",
        "litellm",
        [
            rec("litellm", "T1", "moonshot/kimi-k2.6"),
            rec("litellm", "T1", "moonshot/kimi-k2.7-code", divergences=["litellm-always-thinking-fields-kept"]),
            rec("litellm", "T3", "moonshot/kimi-k2.6", outcome="failed"),
            rec(
                "litellm",
                "T3",
                "kimi/kimi-for-coding",
                outcome="skipped",
                reason="not applicable: no Kimi Coding provider",
            ),
            rec("litellm", "errors", "moonshot/kimi-k2.6", outcome="skipped", reason="not applicable: not driven"),
        ],
        versions={"litellm": "1.104.0"},
    )
    return tmp_path


def test_classify():
    assert matrix.classify(rec("t", "T1", "m")) == "pass"
    assert matrix.classify(rec("t", "T1", "m", divergences=["d"])) == "div"
    assert matrix.classify(rec("t", "T1", "m", outcome="failed")) == "FAIL"
    assert matrix.classify(rec("t", "T1", "m", outcome="xpassed")) == "FAIL"
    assert matrix.classify(rec("t", "T1", "m", outcome="xfailed")) == "div"
    assert matrix.classify(rec("t", "T1", "m", outcome="skipped", reason="not applicable: x")) == "n/a"
    assert matrix.classify(rec("t", "T1", "m", outcome="skipped", reason="needs a key")) == "skip"


def test_summary_cells(tmp_path):
    m = matrix.load([sample(tmp_path)])
    assert m.targets == ["reference", "litellm"]
    assert m.rules == ["T1", "T3", "errors"]
    assert m.summary("reference", "T1") == "2/2 pass"
    assert m.summary("litellm", "T1") == "1/2 pass, 1 div"
    assert m.summary("litellm", "T3") == "0/1 pass, 1 FAIL, 1 n/a"
    assert m.summary("litellm", "errors") == "n/a"
    assert m.summary("reference", "errors") == "—"  # not run


def test_worst_cell_wins_and_later_files_override(tmp_path):
    write(tmp_path, "a", "t", [rec("t", "T1", "m"), {**rec("t", "T1", "m", outcome="failed"), "nodeid": "other"}])
    m = matrix.load([tmp_path / "results-a.json"])
    assert m.cell("t", "T1", "m").status == "FAIL"
    write(tmp_path, "b", "t", [{**rec("t", "T1", "m"), "nodeid": "other"}])
    m = matrix.load([tmp_path / "results-a.json", tmp_path / "results-b.json"])
    assert m.cell("t", "T1", "m").status == "pass"


def test_terminal_and_markdown(tmp_path):
    m = matrix.load([sample(tmp_path)])
    text = m.render_terminal()
    lines = text.splitlines()
    assert lines[0].split() == ["rule", "reference", "litellm"]
    assert any(line.startswith("T3") and "1 FAIL" in line for line in lines)
    md = m.render_markdown()
    assert "| rule | reference | litellm |" in md
    assert "## litellm" in md and "litellm 1.104.0" in md
    assert "| moonshot/kimi-k2.7-code | div | — | — |" in md  # the detail table: rule x model
    assert "`litellm-always-thinking-fields-kept` (1)" in md
    assert "n/a (1 cells): not applicable: no Kimi Coding provider" in md


def test_cli_matrix(tmp_path, capsys):
    sample(tmp_path)
    out_md = tmp_path / "reports" / "matrix.md"
    assert cli_main(["matrix", str(tmp_path), "--markdown", str(out_md)]) == 0
    printed = capsys.readouterr().out
    assert "1/2 pass, 1 div" in printed
    assert out_md.read_text().startswith("# Conformance matrix")


def test_cli_matrix_without_results(tmp_path, capsys):
    assert cli_main(["matrix", str(tmp_path / "missing")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli_main(["matrix", str(empty)]) == 2


def test_targetless_records_get_their_own_column(tmp_path):
    write(tmp_path, "_", "_", [{**rec(None, "catalog", None), "target": None}])  # files of older versions
    write(tmp_path, "t", "t", [rec("t", "T1", "m")])
    write(tmp_path, "wire_real", "wire: real", [{**rec("wire: real", "T9", "*"), "provenance": "real"}])
    write(tmp_path, "wire_emulator", "wire: emulator", [{**rec("wire: emulator", "T9", "m"), "provenance": "emulator"}])
    m = matrix.load([tmp_path])
    assert m.targets == ["t", "wire: emulator", "wire: real", matrix.HARNESS]
    assert m.summary(matrix.HARNESS, "catalog") == "1/1 pass"
    assert m.summary("wire: real", "T9") == "1/1 pass"
    md = m.render_markdown()
    assert "(no target)" not in md and "`wire: real`" in md and "`harness`" in md


def test_results_files_name_the_wire_provenance_and_the_harness_column():
    from harness.reporting.matrix import column_for

    assert column_for("wire", "real") == "wire: real" and column_for("wire", "emulator") == "wire: emulator"
    assert column_for("wire", None) == "harness" and column_for("catalog", None) == "harness"


@pytest.mark.integration
def test_a_suite_run_writes_one_results_file_per_column(tmp_path):
    import sys

    r = run_child(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/wire",
            "-q",
            "-p",
            "no:cacheprovider",
            "--kimi-model",
            "moonshot/kimi-k2.6",
            "--kimi-results-dir",
            str(tmp_path),
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert r.returncode == 0, r.stdout[-2000:]
    names = sorted(p.name for p in tmp_path.glob("*.json"))
    assert names == ["results-harness.json", "results-wire-emulator.json", "results-wire-real.json"]
    m = matrix.load([tmp_path])
    assert m.targets == ["wire: emulator", "wire: real", "harness"]


def test_the_matrix_lists_every_divergence_entry_of_its_targets_with_evidence(tmp_path):
    from harness.divergences.model import Divergences
    from harness.reporting.matrix_page import markdown_to_html

    md = matrix.load([sample(tmp_path)]).render_markdown()
    table = md.split("## Known divergence entries", 1)[1]
    entries = list(Divergences.for_target("litellm"))
    assert f"### litellm ({len(entries)} entries)" in table
    for d in entries:
        row = next(line for line in table.splitlines() if line.startswith(f"| `{d.id}`"))
        assert d.data["case"] in row
        assert " ".join(d.data["evidence"].split()).replace("|", "\\|")[:60] in row
    met = next(line for line in table.splitlines() if line.startswith("| `litellm-always-thinking-fields-kept`"))
    assert met.endswith("| 1 |")  # met in one cell of this run
    assert "### reference" in table  # the reference's upstream gaps are entries too
    # a pipe inside a cell (a `matches` regex) stays in its cell on the page
    page = markdown_to_html("| a | b |\n|---|---|\n| `x\\|y` | z |\n")
    assert "<td><code>x|y</code></td><td>z</td>" in page


def test_a_shared_entry_counts_the_cells_of_each_target_apart(tmp_path):
    write(
        tmp_path,
        "openclaw",
        "openclaw",
        [rec("openclaw", "T7", "moonshot/kimi-k2.6", divergences=["default-max-tokens"])],
    )
    write(
        tmp_path,
        "pi-ai",
        "pi-ai",
        [
            rec("pi-ai", "T7", m, divergences=["default-max-tokens"])
            for m in ("moonshot/kimi-k2.6", "moonshot/kimi-k2.5")
        ],
    )
    table = matrix.load([tmp_path]).render_markdown().split("## Known divergence entries", 1)[1]
    rows = {}
    for section in table.split("### ")[1:]:
        target = section.split(" ", 1)[0]
        rows[target] = next(ln for ln in section.splitlines() if ln.startswith("| `default-max-tokens`"))
    assert rows["openclaw"].endswith("| 1 |") and rows["pi-ai"].endswith("| 2 |")


def test_a_fail_cell_names_its_top_check_and_links_its_tests(tmp_path):
    def failed(model, *checks):
        violations = [{"rule": "T4", "check": c, "path": "/body", "message": "m"} for c in checks]
        return {**rec("impl", "T4", model, outcome="failed"), "violations": violations}

    records = [
        failed("moonshot/kimi-k2.6", "T4.incompatible-under-thinking"),
        failed("moonshot/kimi-k2.5", "T4.incompatible-under-thinking", "T4.agreement"),
        failed("kimi/k3", "T4.incompatible-under-thinking"),
        failed("moonshot/kimi-k3", "T4.agreement"),
        rec("impl", "T4", "moonshot/kimi-k2.7-code"),
    ]
    write(tmp_path, "impl", "impl", records)
    m = matrix.load([tmp_path])
    assert m.top_check("impl", "T4") == "T4.incompatible-under-thinking"  # 3 tests, against 2
    links = {r["nodeid"]: f"index.html#/id-{r['model']}" for r in records}
    md = m.render_markdown(link=links.get)
    first = sorted((r for r in records if r["outcome"] == "failed"), key=lambda r: r["model"])[0]
    assert f"| T4 | [FAIL ×4 · T4.incompatible-under-thinking](index.html#/id-{first['model']}), 1/5 pass |" in md
    assert "[FAIL · T4.agreement](index.html#/id-moonshot/kimi-k3)" in md  # a detail cell: its own test
    assert "| moonshot/kimi-k2.7-code | pass |" in md
    # without the report's test ids the cell still says why
    assert "| T4 | FAIL ×4 · T4.incompatible-under-thinking, 1/5 pass |" in m.render_markdown()
    assert m.summary("impl", "T4") == "1/5 pass, 4 FAIL"  # the terminal table is unchanged


def test_an_na_reason_that_names_its_model_is_said_once_per_target(tmp_path):
    models = ["moonshot/kimi-k2.7-code", "moonshot/kimi-k2-thinking", "kimi/kimi-latest"]
    why = "not applicable: T10 (Kimi web search) does not apply to {}: see docs/contract.md#t10-web-search"
    write(tmp_path, "impl", "impl", [rec("impl", "T10", m, outcome="skipped", reason=why.format(m)) for m in models])
    md = matrix.load([tmp_path]).render_markdown()
    lines = [line for line in md.splitlines() if line.startswith("n/a")]
    assert lines == [
        "n/a (3 cells, T10): " + why.format("these models") + " — " + ", ".join(sorted(models)),
    ]
