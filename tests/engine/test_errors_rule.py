"""The `errors` rule on any target that accepts cases: each malformed case of bad_cases.json goes
through the target; a case error or a refusal passes, a request it would send is an
`errors.accepted` violation at the place its fault reached, a crash `errors.crashed`; a known
divergence covers them like any other violation (harness/rules/errors.py, Conformance.bad_case)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.catalog import builtin
from harness.engine.conformance import Conformance, ConformanceFailure
from harness.engine.replay import replay
from harness.errors import CaseError, TargetError
from harness.reference import transform as reference
from harness.rules.errors import bad_cases, where
from harness.targets import NotExpressible, Target
from harness.targets.reference import ReferenceTarget

BAD = {b["id"]: b for b in bad_cases()}


class Sends(Target):
    """Broken on purpose: a malformed case goes out with whatever it holds."""

    name = "sends-anything"

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        try:
            return reference(case)
        except CaseError:
            body = {**(case.get("request") or {}), "model": str(case.get("model", "")).split("/")[-1]}
            return {"method": "POST", "url": "https://api.moonshot.ai/v1/chat/completions", "headers": {}, "body": body}


class Refuses(Target):
    name = "refuses"

    def transform(self, case):
        raise NotExpressible("cannot express it")


class Crashes(Target):
    name = "crashes"

    def transform(self, case):
        raise TargetError("worker died")


def _engine() -> Conformance:
    engine = Conformance(builtin())
    engine.start_test()
    return engine


def test_every_bad_case_names_the_place_its_fault_reaches():
    assert len(BAD) >= 9
    for b in BAD.values():
        assert b["path"] == "" or b["path"].startswith("/body"), b["id"]
        assert where(b["case"]) == b["path"]
    assert where({"model": "moonshot/kimi-k2.6", "request": {"messages": []}}) == "/body/messages"
    assert where({"not": "a bad case"}) == ""


@pytest.mark.parametrize("bad", list(BAD), ids=list(BAD))
def test_the_reference_and_a_refusing_target_pass(bad):
    for target in (ReferenceTarget(builtin()), Refuses()):
        engine = _engine()
        engine.bad_case(target, BAD[bad])
        assert engine.verdict.violations == [] and engine.verdict.divergences == set()


@pytest.mark.parametrize(
    "bad,path,actual",
    [("no-messages", "/body/messages", []), ("temperature-not-a-number", "/body/temperature", "hot")],
)
def test_a_target_that_sends_a_malformed_case_fails_with_the_place(bad, path, actual):
    engine = _engine()
    with pytest.raises(ConformanceFailure) as failed:
        engine.bad_case(Sends(), BAD[bad])
    (v,) = failed.value.uncovered
    assert (v.rule, v.check, v.path, v.actual) == ("errors", "errors.accepted", path, actual)
    assert failed.value.outbound is not None and failed.value.case == BAD[bad]["case"]
    engine.end_test(failed.value)
    assert engine.verdict.cause == "errors.accepted" and engine.verdict.minimal_case == BAD[bad]["case"]


def test_a_crash_on_a_malformed_case_is_its_own_check():
    engine = _engine()
    with pytest.raises(ConformanceFailure) as failed:
        engine.bad_case(Crashes(), BAD["no-model"])
    assert [(v.check, v.path) for v in failed.value.uncovered] == [("errors.crashed", "")]


def _entry_file(tmp_path: Path, target: str, path: str) -> Path:
    import json

    case = tmp_path / "case.json"
    case.write_text(json.dumps(BAD["no-messages"]["case"]))
    yaml = tmp_path / "mine.yaml"
    yaml.write_text(
        f"target: {target}\nentries:\n- id: sends-empty-messages\n  rules: [errors]\n  checks: [errors.accepted]\n"
        f"  path: {path}\n  when:\n  - path: request.messages\n    op: equals\n    value: []\n"
        "  case: case.json\n  title: t\n  target_does: d\n  contract_says: c\n  evidence: e\n"
    )
    return yaml


def test_a_listed_divergence_covers_exactly_its_malformed_case(tmp_path):
    engine = Conformance(
        builtin(), user_divergences={"sends-anything": [str(_entry_file(tmp_path, "sends-anything", "/body/messages"))]}
    )
    engine.start_test()
    engine.bad_case(Sends(), BAD["no-messages"])  # covered: a known divergence, no failure
    assert engine.verdict.divergences == {"sends-empty-messages"}
    engine.start_test()
    with pytest.raises(ConformanceFailure):  # another malformed case is not covered by it
        engine.bad_case(Sends(), BAD["temperature-not-a-number"])


def test_a_divergence_on_another_place_covers_nothing(tmp_path):
    engine = Conformance(
        builtin(), user_divergences={"sends-anything": [str(_entry_file(tmp_path, "sends-anything", "/body/model"))]}
    )
    engine.start_test()
    with pytest.raises(ConformanceFailure):
        engine.bad_case(Sends(), BAD["no-messages"])


def test_the_replay_of_an_errors_entry_still_diverges(tmp_path):
    from harness.divergences.model import Divergences, load_user_file

    (entry,) = load_user_file(str(_entry_file(tmp_path, "sends-anything", "/body/messages")))
    result = replay(entry, Sends(), builtin(), entries=Divergences([entry]))
    assert result.still_diverges and not result.coverage.uncovered
    assert result.sent["body"]["messages"] == []  # what it would send: where an entry's pins are read
    assert not replay(entry, Refuses(), builtin(), entries=Divergences([entry])).still_diverges
