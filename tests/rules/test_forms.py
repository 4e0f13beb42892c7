"""forms.yaml (contract coverage, issue #22) is complete against the registry: every check of every
rule declares its forms (or `forms: []` with a reason), and every predicate it names exists."""

from __future__ import annotations

import pytest

from harness import rules
from harness.rules import forms


def test_every_check_has_forms_and_every_predicate_exists():
    assert forms.validate() == []
    declared = forms.load()
    checks = set(rules._advice())
    assert "T6.result-follows-call" in checks  # the registry's check ids are seen
    for check in checks:
        rf = declared[check.split(".")[0]]
        entry = next(c for c in rf.checks if c.check == check)
        assert entry.forms or entry.reason or entry.diagnosis, f"{check}: no forms and no reason"


def test_the_issue_s_forms_are_declared():
    declared = forms.load()
    t6 = {f.name for c in declared["T6"].checks for f in c.forms}
    assert {"duplicate native id across turns", "results out of order", "non-identifier id"} <= t6
    t6b = {f.name for f in declared["T6b"].forms}
    assert {"extra body sets thinking", "extra body sets tool_choice required", "extra body pins a tool_choice"} <= t6b
    assert {"extra body sets stream", "extra body sets model"} <= t6b
    routing = {f.name for c in declared["routing"].checks for f in c.forms}
    assert {"region", "custom provider host", "alias"} <= routing


def test_a_missing_predicate_and_a_missing_reason_are_caught(tmp_path):
    bad = tmp_path / "forms.yaml"
    bad.write_text("T6:\n  checks:\n    T6.unique:\n      forms: {odd: no_such_predicate}\n", encoding="utf-8")
    problems = forms.validate(bad)
    assert "T6.unique: form 'odd': no predicate 'no_such_predicate'" in problems
    assert any("T6.reshaped has no entry" in p for p in problems)
    empty = tmp_path / "empty.yaml"
    empty.write_text("T6:\n  checks:\n    T6.unique:\n      forms: []\n", encoding="utf-8")
    with pytest.raises(forms.FormsError, match="T6.unique: `forms: \\[\\]` needs a `reason`"):
        forms.load(empty)


def test_results_out_of_order_is_read_from_the_case():
    from harness.contract.case import context

    def case(results):
        calls = [{"id": i, "type": "function", "function": {"name": "read", "arguments": "{}"}} for i in ("a:0", "a:1")]
        msgs = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None, "tool_calls": calls}]
        msgs += [{"role": "tool", "tool_call_id": r, "content": f"r{r}"} for r in results]
        return {"model": "moonshot/kimi-k2.6", "request": {"messages": msgs}}

    def facts(c):
        return forms.Facts(c, context(c), None, False)

    out_of_order, distinct = (
        forms.PREDICATES["results_out_of_order"].fn,
        forms.PREDICATES["distinct_result_contents"].fn,
    )
    assert out_of_order(facts(case(["a:1", "a:0"])))
    assert not out_of_order(facts(case(["a:0", "a:1"])))
    assert distinct(facts(case(["a:0", "a:1"])))
