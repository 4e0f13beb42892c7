"""`kimi-conformance coverage [RESULTS]`: the rule x check table of a run's coverage files."""

from __future__ import annotations

import json

import pytest

from harness.catalog import builtin
from harness.cli.main import main
from harness.engine.conformance import Conformance
from harness.targets.reference import ReferenceTarget

K26 = "moonshot/kimi-k2.6"


@pytest.fixture
def results(tmp_path):
    """A results directory with one target's coverage: T6 on one case, results in call order."""
    catalog = builtin()
    engine, target = Conformance(catalog), ReferenceTarget(catalog)
    calls = [{"id": "functions.read:0", "type": "function", "function": {"name": "read", "arguments": "{}"}}]
    case = {
        "model": K26,
        "request": {
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": None, "tool_calls": calls},
                {"role": "tool", "tool_call_id": "functions.read:0", "content": "result"},
            ]
        },
    }
    engine.check("T6", target, case)
    engine.coverage.write(tmp_path, catalog)
    return tmp_path


def test_the_table_names_rule_check_status_and_missing_forms(results, capsys):
    assert main(["coverage", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("reference: ")
    assert "rule" in out and "check" in out and "forms missing" in out
    row = next(line for line in out.splitlines() if "T6.result-follows-call" in line)
    assert "yellow" in row and "results out of order" in row
    assert "\033[" not in out  # colours only on a terminal
    assert "gap: T6 form 'results out of order' never drawn" in out
    assert "unproven" in out


def test_fail_on_gaps_and_json(results, capsys):
    assert main(["coverage", str(results), "--fail-on-gaps"]) == 1
    capsys.readouterr()
    assert main(["coverage", str(results), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["check"]: r for r in data["reference"]["rows"]}
    assert rows["T6.reshaped"]["exercised"] == 1
    assert any("results out of order" in g for g in data["reference"]["gaps"])


def test_colours_on_a_terminal(results, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    main(["coverage", str(results)])
    assert "\033[33myellow" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, says",
    [(None, "no coverage-*.json in"), ("{not json", "not a coverage file"), ('{"format": "x"}', "not a coverage file")],
)
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, content, says):
    if content is not None:
        (tmp_path / "coverage-reference.json").write_text(content, encoding="utf-8")
    assert main(["coverage", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
