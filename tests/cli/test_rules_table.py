"""`kimi-conformance rules` (and the README table it generates) says each rule's name once: no
"routing: routing: ...", no "compat flags: compat flags: ..."."""

from __future__ import annotations

import re

from harness import rules
from harness.cli.main import main
from harness.cli.rules import table, what_must_hold


def test_no_name_is_said_twice(capsys):
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.startswith("| ") and not ln.startswith("| rule ")]
    assert len(rows) == len(rules.all_rules())
    for row in rows:
        rule, holds = (c.strip() for c in row.strip("|").split("|")[:2])
        assert not re.match(rf"{re.escape(rule.lower())}\b", holds.lower().replace("-", "")), row  # routing: ...
        title, _, rest = holds.partition(": ")
        assert not (rest and rest.lower().startswith(title.lower())), row  # compat flags: compat flags: ...
    assert "A rule's text: `kimi-conformance contract RULE`" in out


def test_what_must_hold_keeps_what_the_summary_does_not_say():
    t4 = rules.get("T4")
    assert what_must_hold(t4) == f"{t4.title}: {t4.summary}"  # the title adds something: kept
    t7 = rules.get("T7")
    assert what_must_hold(t7) == t7.summary and t7.summary.startswith(t7.title)
    assert what_must_hold(rules.get("routing")) == rules.get("routing").summary
    assert "compat flags: compat flags" not in table() and "| routing | routing" not in table()
