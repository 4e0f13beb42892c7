"""The contract lives in the repository: every rule anchor exists, every link to it resolves, and
nothing outside `.ci/` refers to a folder beside the checkout."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "docs" / "contract.md"
# the anchors the rule registry and the report link to; renaming one breaks their links
RULE_ANCHORS = {
    "routing",
    "t1",
    "t2",
    "t3",
    "t4",
    "t5",
    "t6",
    "t6b",
    "t7",
    "t8",
    "t9",
    "pass-through",
    "idempotence",
    "errors",
    "t10-web-search",
    "kimi-coding-anthropic",
    "smoke",
}
OTHER_ANCHORS = {
    "sources",
    "catalog",
    "transformations",
    "gaps",
    "decisions",
    "d1",
    "d2",
    "d3",
    "d4",
    "d5",
}
LINK = re.compile(r"contract\.md#([a-z0-9-]+)((?:(?:, |\.\.)#[a-z0-9-]+)*)")


def anchors() -> set[str]:
    return set(re.findall(r'<a id="([a-z0-9-]+)"></a>', CONTRACT.read_text(encoding="utf-8")))


def tracked_text_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (the wheel check covers installed copies)")
    files = [REPO / f for f in out.splitlines()]
    return [
        f
        for f in files
        if f.is_file()
        and f.suffix
        in (
            ".py",
            ".md",
            ".json",
            ".yaml",
            ".yml",
            ".toml",
            ".ini",
            ".cfg",
            ".mjs",
            ".cjs",
            ".sh",
            ".txt",
        )
    ]


def test_every_rule_has_its_anchor():
    assert anchors() >= RULE_ANCHORS | OTHER_ANCHORS


def test_every_link_into_the_contract_resolves():
    known, broken = anchors(), []
    for f in tracked_text_files():
        for m in LINK.finditer(f.read_text(encoding="utf-8", errors="replace")):
            names = [m[1], *re.findall(r"#([a-z0-9-]+)", m[2])]
            broken += [f"{f.relative_to(REPO)}: #{n}" for n in names if n not in known]
    assert broken == []


def test_nothing_outside_ci_refers_to_a_sibling_folder():
    sibling = re.compile(r"\.\./" + "shared" + r"|/work/" + "shared")  # split so this file does not match
    hits = [
        f"{f.relative_to(REPO)}:{n}"
        for f in tracked_text_files()
        if ".ci" not in f.relative_to(REPO).parts
        for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if sibling.search(line)
    ]
    assert hits == []


def test_every_rule_of_the_registry_links_to_its_section():
    from harness.rules import all_rules

    missing = {r.id: r.section for r in all_rules() if r.section not in anchors()}
    assert missing == {}
