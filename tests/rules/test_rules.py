"""The rule registry is the one definition of a rule: everything else is derived from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness import rules
from harness.cli.rules import table
from harness.pytest_plugin.suite_class import STANDARD_TESTS

ROOT = Path(__file__).resolve().parents[2]


def test_every_rule_has_its_suite_file():
    for r in rules.all_rules():
        path = ROOT / "suites" / f"{r.test_name}.py"
        assert path.is_file(), f"rule {r.id}: no suite file {path.relative_to(ROOT)}"
        assert f'conformance_test("{r.id}"' in path.read_text(), f"{path.name} does not run rule {r.id}"


def test_standard_tests_cover_the_registry():
    assert set(STANDARD_TESTS.values()) == set(rules.ids())


def test_readme_table_is_the_registry():
    readme = (ROOT / "README.md").read_text()
    assert table() in readme, "README's rule table differs from `kimi-conformance rules`: paste its output"


def test_check_ids_are_prefixed_by_their_rule():
    """Check ids are stable names `<rule>.<kebab-case>`: the data divergences and summaries key on."""
    pattern = re.compile(r'"((?:routing|T[0-9]+b?|passthrough|idempotence)[.][a-z0-9-]+)"')
    found = [c for path in (ROOT / "harness" / "rules").glob("*.py") for c in pattern.findall(path.read_text())]
    assert len(found) > 30, found  # the pattern does see the checks
    for check in found:
        assert check.split(".")[0] in rules.ids(), f"check {check} names no rule"


def test_unknown_rule_is_one_clear_error():
    with pytest.raises(KeyError, match="unknown rule 'T99'"):
        rules.get("T99")


def test_every_check_says_what_to_do():
    """advice.yaml has one line for every check id the registry can report, and no other: a new
    check without advice, or advice for a check that no longer exists, fails here."""
    from harness.rules import _advice, advice
    from tests.divergences.test_divergence_files import registry_checks

    checks = registry_checks()
    assert "T10.builtin-unchanged" in checks and "T6b.extra-body-dropped" in checks  # the scan sees them
    assert sorted(checks - set(_advice())) == []
    assert sorted(set(_advice()) - checks) == []
    assert all(isinstance(advice(c), str) and 0 < len(advice(c)) <= 160 for c in checks)
