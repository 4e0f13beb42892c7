"""The GitHub Actions workflow users get (`kimi-conformance init --ci github`, shown in docs/guides/ci.md):
valid YAML with the three jobs, every command in it a real command with real options (the docs'
command checker), the docs showing the shipped file, and `init` filling in the user's values."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from harness.cli import init
from tests.test_docs import check, split_commands

ROOT = Path(__file__).resolve().parents[2]
# sample values for the workflow's expressions, so its commands read as one machine's commands
EXPRESSIONS = {"matrix.target": "reference", "matrix.seed": "1", "matrix.shard": "2", "env.SHARDS": "3"}


def _commands(doc: dict) -> list[tuple[str, list[str]]]:
    out = []
    for name, job in doc["jobs"].items():
        for step in job["steps"]:
            if "run" in step:
                line = re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: EXPRESSIONS[m.group(1)], step["run"])
                out += [(name, argv) for argv in split_commands(" ".join(line.split()))]
    return out


def _written(tmp_path: Path, **kw) -> str:
    args = SimpleNamespace(
        name="my-gw", target="command:./gw --jsonl", api=None, dir=tmp_path, tests="tests", ci="github", **kw
    )
    planned = init.files(args)
    return planned[tmp_path / ".github" / "workflows" / "kimi-conformance.yml"]


def test_the_workflow_has_the_pr_job_the_deep_matrix_and_the_merge(tmp_path):
    doc = yaml.safe_load(_written(tmp_path))
    assert set(doc["jobs"]) == {"conformance", "deep", "deep-report"}
    matrix = doc["jobs"]["deep"]["strategy"]["matrix"]
    assert matrix["target"] == ["my-gw=command:./gw --jsonl"] and matrix["seed"] and matrix["shard"]
    # SHARDS is the number of shards: a part left out would never run, an extra one would run nothing
    assert int(doc["jobs"]["deep"]["env"]["SHARDS"]) == len(matrix["shard"]) == max(matrix["shard"])
    assert doc["jobs"]["deep-report"]["needs"] == "deep"
    assert not doc["jobs"]["deep"]["strategy"]["fail-fast"]
    runs = [" ".join(argv) for _, argv in _commands(doc)]
    assert any("--kimi-shard 2/3" in r and "-n auto" in r and "--hypothesis-profile=deep" in r for r in runs)
    assert any(r.startswith("kimi-conformance merge") for r in runs)
    assert any("pytest tests/test_kimi_conformance.py" in r for r in runs)  # the PR job runs the user's suite


@pytest.mark.integration
def test_every_command_of_the_workflow_is_real(tmp_path):
    commands = _commands(yaml.safe_load(_written(tmp_path)))
    progs = {argv[0] for _, argv in commands}
    assert {"pytest", "kimi-conformance", "python"} <= progs  # the checker sees them
    problems = [f"{job}: {' '.join(argv)}: {p}" for job, argv in commands for p in check(argv)]
    assert problems == []


@pytest.mark.integration
def test_the_checker_would_catch_a_wrong_command_in_it(tmp_path):
    broken = (
        _written(tmp_path)
        .replace("kimi-conformance merge", "kimi-conformance merged")
        .replace("--kimi-shard", "--kimi-shards")
    )
    commands = _commands(yaml.safe_load(broken))
    problems = [p for _, argv in commands for p in check(argv)]
    assert len(problems) >= 2, problems


def test_the_docs_show_the_shipped_workflow():
    text = (ROOT / "docs" / "guides" / "ci.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- workflow: [^\n]*-->\n```yaml\n(.*?)```\n<!-- /workflow -->", text, re.S)
    assert shown is not None, "docs/guides/ci.md no longer shows the workflow"
    assert shown.group(1) == init.WORKFLOW_FILE.read_text(encoding="utf-8")


def test_init_fills_in_every_field_and_writes_no_workflow_with_ci_none(tmp_path):
    text = _written(tmp_path)
    assert "@" not in re.sub(r"actions/[\w-]+@v\d+", "", text)  # no @FIELD@ left (the actions' @vN aside)
    assert "tests/kimi-divergences.yaml" in text
    args = SimpleNamespace(name="my-gw", target="reference", api=None, dir=tmp_path, tests="tests", ci="none")
    assert not any(p.name == "kimi-conformance.yml" for p in init.files(args))
