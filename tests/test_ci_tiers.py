"""Our own CI in two tiers (issue #24 item 5): what the landing gate (.ci/run) leaves out, the scheduled job
(.ci/nightly) runs — nothing is dropped on the way. Read from tox.ini and the two scripts, so a new real
target, a new fidelity test or a renamed env that is not wired into both fails here, not in a month."""

from __future__ import annotations

import configparser
import re
import shlex
from functools import cache
from pathlib import Path

from harness.targets import known

ROOT = Path(__file__).resolve().parents[1]
# the real targets: the built-in ones with divergence files of their own (the reference has one too)
REAL = sorted(
    name for name in known() if name != "reference" and (ROOT / "harness" / "divergences" / f"{name}.yaml").is_file()
)


@cache
def tox() -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(ROOT / "tox.ini", encoding="utf-8")
    return cp


def commands(env: str) -> list[list[str]]:
    lines = tox().get(f"testenv:{env}", "commands").splitlines()
    return [
        shlex.split(line.strip().removeprefix("- "))
        for line in lines
        if line.strip() and not line.strip().startswith("#")
    ]


def envs_run_by(script: str) -> set[str]:
    """The tox envs a script runs (`tox ... -e a,b`)."""
    text = (ROOT / ".ci" / script).read_text().replace("\\\n", " ")  # continued lines joined
    return {e for found in re.findall(r"^\s*(?:run )?tox\b.*?-e ([\w,-]+)", text, re.M) for e in found.split(",")}


def test_there_are_five_real_targets():
    assert REAL == ["litellm", "openclaw", "pi-ai", "pydantic-ai", "vercel-ai"]


def test_the_gate_runs_every_real_target_every_tier_the_wheel_and_the_report():
    gate = envs_run_by("run")
    assert {"lint", "nodes", "py", "integration", "targets", "wheel", "smoke", "report"} <= gate, gate
    (suites,) = [c for c in commands("targets") if c[:2] == ["pytest", "suites"]]
    named = [suites[i + 1] for i, a in enumerate(suites) if a == "--kimi-target"]
    assert sorted(named) == REAL
    models = [suites[i + 1] for i, a in enumerate(suites) if a == "--kimi-model"]
    assert len(models) >= 4 and {m.split("/")[0] for m in models} == {"moonshot", "kimi"}


def test_the_nightly_job_runs_what_the_gate_leaves_out():
    nightly = envs_run_by("nightly")
    assert set(REAL) | {"nightly", "deep", "nodes"} <= nightly, nightly
    for target in REAL:  # every suite on every model: no --kimi-model in the per-target env
        (suites,) = [c for c in commands(target) if c[:2] == ["pytest", "suites"]]
        assert ["--kimi-target", target] == suites[2:4] and "--kimi-model" not in suites
    (tests,) = commands("nightly")
    fidelity = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests" / "targets").glob("test_*_fidelity.py"))
    assert fidelity and set(fidelity) <= set(tests)
    assert "tests/reporting/test_bug_report.py" in tests and "--kimi-repro-all" in tests
    deep = " ".join(" ".join(c) for c in commands("deep"))
    assert all(f"--kimi-target {t} " in deep for t in REAL)


def test_the_gate_runs_no_fidelity_test_and_no_reproduction():
    """The expensive ones are the nightly job's; a fidelity file named in a gate env would run it."""
    for env in envs_run_by("run"):
        if tox().has_option(f"testenv:{env}", "commands"):
            text = tox().get(f"testenv:{env}", "commands")
            assert "_fidelity.py" not in text and "test_bug_report.py" not in text, env
