"""The report files a target's tests under that target first (target -> rule -> model), so one
target's health reads on its own and two targets never mix inside a model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.child import run as run_child

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("allure_pytest")


@pytest.mark.integration
def test_tests_of_a_target_are_filed_under_it_first(tmp_path):
    out = tmp_path / "allure"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "suites/test_t3_thinking_keep.py"]
    cmd += ["--kimi-model", "moonshot/kimi-k2.6", "--kimi-target", "reference", "--kimi-target", "impl=reference"]
    r = run_child([*cmd, f"--alluredir={out}"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:]
    results = [json.loads(p.read_text()) for p in out.glob("*-result.json")]
    labels = [{(lb["name"], lb["value"]) for lb in res["labels"]} for res in results]
    assert len(labels) == 2
    epics = sorted(v for ls in labels for n, v in ls if n == "epic")
    assert epics == ["target: impl", "target: reference"]
    for ls in labels:
        assert ("feature", "T3 thinking.keep") in ls and ("story", "moonshot/kimi-k2.6") in ls
        assert ("area", "transformations") in ls and any(n == "parentSuite" and v.startswith("target: ") for n, v in ls)
