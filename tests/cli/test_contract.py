"""`kimi-conformance contract [RULE]`: the index names every rule of the registry with its anchor; a
rule's section is found by rule id or anchor and runs up to the next section; an unknown rule is one
line, exit 2. (tests/test_wheel.py runs it from an install.)"""

from __future__ import annotations

import re

import pytest

from harness import rules
from harness.cli.contract import contract_path, find, read_sections, sections
from harness.cli.main import main


def test_the_index_lists_every_rule_with_its_title_and_anchor(capsys):
    assert main(["contract"]) == 0
    out = capsys.readouterr().out
    for r in rules.all_rules():
        assert re.search(rf"^{re.escape(r.id)} +#{re.escape(r.section)} +{re.escape(r.title)}$", out, re.M), r.id
    assert re.search(r"^ +#d3 +D3 — ", out, re.M)  # the other sections too


@pytest.mark.parametrize("name", ["T4", "t4", "#t4", "docs/contract.md#t4"])
def test_a_rule_by_id_or_anchor(capsys, name):
    assert main(["contract", name]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### T4 — `tool_choice` while thinking\n")
    assert "only `auto` and `none` are acceptable" in out
    assert "T5" not in out and "<a id" not in out  # it stops before the next section


def test_every_rule_of_the_registry_has_a_section():
    found = read_sections()
    for r in rules.all_rules():
        section = find(r.id, found)
        assert section is not None and section.anchor == r.section, r.id


def test_a_section_holds_its_subsections_and_ends_before_the_next():
    text = "\n".join(
        [
            "# Contract",
            '<a id="a"></a>',
            "## A",
            "text of a",
            "```bash",
            "# a comment, not a heading",
            "```",
            '<a id="a1"></a>',
            "### A1",
            "text of a1",
            "",
            "---",
            "",
            '<a id="b"></a>',
            "## B",
            "text of b",
        ]
    )
    found = sections(text)
    assert found["a"].text.splitlines()[-1] == "text of a1" and "# a comment, not a heading" in found["a"].text
    assert found["a1"].text == "### A1\ntext of a1"
    assert found["b"].heading == "B"


def test_passthrough_and_anthropic_find_their_anchors(capsys):
    assert main(["contract", "passthrough"]) == 0
    assert capsys.readouterr().out.startswith("### Pass-through")
    assert main(["contract", "anthropic"]) == 0
    assert capsys.readouterr().out.startswith("## 5. Kimi Coding Anthropic surface")


def test_an_unknown_rule_is_one_line_and_exit_2(capsys):
    assert main(["contract", "T99"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "kimi-conformance contract: no rule or section 'T99' in the contract (`kimi-conformance contract` lists "
        "them: a rule id such as T4, or an anchor such as t4)"
    ]


def test_path_is_the_checkouts_contract_here(capsys):
    assert main(["contract", "--path"]) == 0
    assert capsys.readouterr().out.strip() == str(contract_path())
    assert contract_path().parts[-2:] == ("docs", "contract.md")
