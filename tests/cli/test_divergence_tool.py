"""`kimi-conformance divergence add`: a draft entry covers exactly the uncovered violations of
its own case, existing entries are respected, and every kind of failure file is read (a case, a
results record, pytest user_properties, a results file) — a bad one is one line."""

from __future__ import annotations

import json

import pytest
import yaml

from harness.cli.divergence import FailureFileError, drafts, load_cases, write_cases
from harness.cli.main import main
from harness.divergences.model import Divergences, load_file
from harness.engine.replay import violations
from harness.rules import transform_rules
from harness.targets import create

MUTANT = "python:tests.mutants:t2_minimal_is_off"
CASE = {
    "model": "moonshot/kimi-k2.6",
    "thinking": "minimal",
    "request": {"messages": [{"role": "user", "content": "hi"}]},
}


def _as_file(tmp_path, items, target="python"):
    write_cases(items, tmp_path)
    path = tmp_path / f"{target}.yaml"
    path.write_text(yaml.safe_dump({"target": target, "entries": [d.entry for d in items]}, sort_keys=False))
    return load_file(path)


def test_draft_covers_exactly_its_own_violations(tmp_path):
    target = create(MUTANT)
    items, found = drafts(target, CASE, entries=Divergences([]))
    assert found and items
    entries = _as_file(tmp_path, items)  # passes the schema, its case file is where it says
    assert {c for d in entries for c in d.checks} == {v.check for v in found}
    assert all("T2" in d.rules for d in entries) and entries[0].rule == "T2"
    coverage = Divergences(entries).cover(found, CASE)
    assert not coverage.uncovered and not coverage.overlapping
    # the `when` it drafted singles out this kind of case: the same request at another level is not covered
    other = {**CASE, "thinking": "high"}
    assert not any(d.applies(other) for d in entries)
    assert entries[0].case == CASE


def test_existing_entries_are_not_drafted_again(tmp_path):
    target = create(MUTANT)
    items, _ = drafts(target, CASE, entries=Divergences([]))
    entries = _as_file(tmp_path, items)
    again, found = drafts(target, CASE, entries=Divergences(entries))
    assert found and not again


def test_the_reference_does_not_diverge():
    target = create("reference")
    items, found = drafts(target, CASE, entries=Divergences([]))
    assert not items and not found
    rules = [r.id for r in transform_rules()]
    assert violations(rules, create(MUTANT), CASE)  # the same case does fail the mutant


@pytest.mark.parametrize(
    "wrap",
    [
        lambda c: c,
        lambda c: {"nodeid": "suites/test_t2.py::x", "outcome": "failed", "violations": [], "minimal_case": c},
        lambda c: [["violations", []], ["cause", "T2.thinking-type"], ["minimal_case", c]],
        lambda c: {
            "target": "x",
            "results": [
                {"outcome": "passed", "minimal_case": {}},
                {"outcome": "failed", "minimal_case": c},
                {"outcome": "failed", "minimal_case": c},
            ],
        },
    ],
    ids=["case", "record", "user-properties", "results-file"],
)
def test_failure_files_of_every_kind(tmp_path, wrap):
    path = tmp_path / "failure.json"
    path.write_text(json.dumps(wrap(CASE)))
    assert load_cases(path) == [CASE]


@pytest.mark.parametrize("text", ["{not json", '{"model": "x"}', '{"results": []}', "[1, 2]"])
def test_bad_failure_file_is_one_line(tmp_path, text, capsys):
    path = tmp_path / "failure.json"
    path.write_text(text)
    with pytest.raises(FailureFileError, match="failure.json"):
        load_cases(path)
    assert main(["divergence", "add", "--target", MUTANT, "--from", str(path)]) == 2  # bad input
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "failure.json" in err


def test_cli_prints_a_draft_and_writes_its_case(tmp_path, capsys):
    path = tmp_path / "failure.json"
    path.write_text(json.dumps({"minimal_case": CASE}))
    assert main(["divergence", "add", "--target", MUTANT, "--from", str(path), "--dir", str(tmp_path), "--write"]) == 0
    out = capsys.readouterr().out
    drafted = yaml.safe_load(out)
    assert drafted and drafted[0]["checks"] and drafted[0]["title"].startswith("TODO")
    written = tmp_path / drafted[0]["case"]
    assert json.loads(written.read_text()) == CASE


def test_request_defaults_are_not_features():
    """OpenClaw always streams: its own minimal cases (stream: true) must replay on it as seeds."""
    from harness.generation.features import case_features

    case = {**CASE, "request": {**CASE["request"], "stream": True}}
    assert "stream" in case_features(case)
    assert "stream" not in case_features(case, {"stream": True})
    assert "stream" in case_features({**case, "request": {**case["request"], "stream": False}}, {"stream": True})
