"""`kimi-conformance check CASE --target SPEC`: one case's verdict, one test per exit code — 0 conformant
(or every violation a known divergence), 1 a violation, 2 bad input in one line, 4 a harness error —
and the verdict holds what a gateway author acts on: check id, place, values, what to do, the known
divergence, the contract section, the root cause first. A suite failure's `Reproduce:` line runs it
and shows the same check ids."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.cli.main import main

REPO = Path(__file__).resolve().parents[2]
T4_CASE = {
    "model": "moonshot/kimi-k2.6",
    "thinking": "high",
    "request": {
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}],
        "tool_choice": "required",
    },
}
T4_MUTANT = "python:tests.mutants:t4_required_kept"
# configured thinking in the extra body, and a history that needs reasoning_content only when it is lost
DROPPED_CASE = {
    "model": "moonshot/kimi-k2.6",
    "params": {"extra_body": {"thinking": {"type": "disabled"}}},
    "request": {
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "functions.f:0", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "functions.f:0", "content": "x"},
        ]
    },
}


def drops_extra_body(case):
    """A gateway that never merges params.extra_body into the body (issue 25: the cause, not the symptom)."""
    from harness.reference import transform

    params = {k: v for k, v in (case.get("params") or {}).items() if k != "extra_body"}
    return transform({**case, "params": params})


def write(tmp_path: Path, case, name: str = "case.json") -> str:
    path = tmp_path / name
    path.write_text(case if isinstance(case, str) else json.dumps(case))
    return str(path)


def keeps_required(tmp_path: Path) -> dict:
    """A user's divergence entry for T4_MUTANT (it keeps tool_choice "required"), its minimal case
    written beside it."""
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "required.json").write_text(json.dumps(T4_CASE))
    return {
        "id": "keeps-required",
        "rules": ["T4", "T1", "T2", "T3", "T6b", "T10"],
        "checks": ["T4.incompatible-under-thinking", "T1.agreement", "T2.agreement", "T3.agreement", "T10.agreement"],
        "path": "/body/tool_choice",
        "case": "cases/required.json",
        "title": "keeps tool_choice required under thinking",
        "target_does": "forwards tool_choice unchanged",
        "contract_says": "under thinking only auto/none",
        "evidence": "/body/tool_choice: expected auto, got required",
    }


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------------------------- exit 0
def test_exit_0_a_conformant_case(tmp_path, capsys):
    code, out, err = run(capsys, write(tmp_path, T4_CASE), "--target", "reference")
    assert code == 0, out + err
    assert out.splitlines()[-1] == "verdict: conformant"
    assert re.search(r"^  pass  T4 +tool_choice under thinking$", out, re.M)
    assert "  pass  routing\n" in out  # the title is not said twice


def test_exit_0_when_every_violation_is_a_known_divergence(tmp_path, capsys):
    """Your own divergence file (as pytest --kimi-divergences) covers the violations: div, exit 0."""
    entry = keeps_required(tmp_path)
    mine = tmp_path / "my-divergences.yaml"
    mine.write_text(yaml.safe_dump({"target": T4_MUTANT, "entries": [entry]}))
    case = write(tmp_path, T4_CASE)

    code, out, err = run(capsys, case, "--target", T4_MUTANT, "--divergences", str(mine))
    assert code == 0, out + err
    assert out.splitlines()[-1] == "verdict: conformant but for known divergences: keeps-required"
    assert re.search(r"^  div   T4 ", out, re.M) and f"known divergence: keeps-required ({mine})" in out

    code, out, _ = run(capsys, case, "--target", T4_MUTANT)  # without the file: the same violations fail
    assert code == 1 and re.search(r"^  FAIL  T4 ", out, re.M)


def test_a_known_divergence_whose_pinned_value_changed_fails(tmp_path, capsys):
    """An entry pins what the target sends: the mutant keeps "required"; pinned at "auto" instead, the
    entry no longer covers it, and `check` says the known divergence changed (as the suites do)."""
    entry = keeps_required(tmp_path)
    case = write(tmp_path, T4_CASE)
    for pin, code_wanted in (({"value": "required"}, 0), ({"value": "auto"}, 1)):
        mine = tmp_path / f"my-divergences-{code_wanted}.yaml"  # a file is read once per session
        mine.write_text(
            yaml.safe_dump({"target": T4_MUTANT, "entries": [{**entry, "sends": {"/body/tool_choice": pin}}]})
        )
        code, out, err = run(capsys, case, "--target", T4_MUTANT, "--divergences", str(mine))
        assert code == code_wanted, out + err
    assert "divergence.changed" in out and 'known divergence keeps-required changed: was "auto", now "required"' in out


# ------------------------------------------------------------------------------- exit 1
def test_exit_1_every_violation_with_what_to_act_on(tmp_path, capsys):
    code, out, err = run(capsys, write(tmp_path, T4_CASE), "--target", T4_MUTANT)
    assert code == 1 and err == ""
    assert re.search(
        r"^  FAIL  T4 +tool_choice under thinking  \(contract: `kimi-conformance contract T4`\)$", out, re.M
    )
    assert '      [T4.incompatible-under-thinking] /body/tool_choice: expected "auto", got "required"\n' in out
    assert "          thinking is enabled, so tool_choice must be auto or none\n" in out
    # an agreement at the place a property names is one difference, said in full once
    assert '[T1.agreement] /body/tool_choice: expected "auto", got "required" (the same difference as' in out
    assert (
        out.splitlines()[-1].startswith("verdict: FAIL: ") and "T4.incompatible-under-thinking" in out.splitlines()[-1]
    )


def test_exit_1_json_holds_the_same_verdict(tmp_path, capsys):
    code, out, _ = run(capsys, write(tmp_path, T4_CASE), "--target", T4_MUTANT, "--rule", "T4", "--json")
    assert code == 1
    verdict = json.loads(out)
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == 1 and verdict["model"] == "moonshot/kimi-k2.6"
    (rule,) = verdict["rules"]
    assert rule["rule"] == "T4" and rule["status"] == "fail" and rule["contract"] == "kimi-conformance contract T4"
    (v,) = rule["violations"]
    assert (v["check"], v["path"], v["expected"], v["actual"]) == (
        "T4.incompatible-under-thinking",
        "/body/tool_choice",
        "auto",
        "required",
    )
    assert v["message"] and v["divergence"] is None


def test_exit_1_the_root_cause_comes_first(tmp_path, capsys):
    code, out, _ = run(capsys, write(tmp_path, DROPPED_CASE), "--target", f"python:{__name__}:drops_extra_body")
    assert code == 1
    first = out.splitlines()[1:3]
    assert first[0] == "  first, what the rest may follow from:", out
    assert first[1].startswith("      [T6b.extra-body-dropped] /body/thinking:"), out


def rejects_everything(case):
    from harness.errors import CaseError

    raise CaseError("this gateway takes no cases")


@pytest.mark.parametrize(
    "target, says",
    [
        ("python:tests.mutants:crashes_on_tools", "failed on this case: python:tests.mutants:crashes_on_tools raised"),
        (f"python:{__name__}:rejects_everything", "rejected a well-formed case as invalid: this gateway takes no"),
    ],
)
def test_exit_1_a_target_that_rejects_or_crashes_on_a_well_formed_case(tmp_path, capsys, target, says):
    code, out, _ = run(capsys, write(tmp_path, DROPPED_CASE), "--target", target)
    assert code == 1 and says in out, out
    assert out.splitlines()[-1].startswith("verdict: FAIL: ")


@pytest.mark.parametrize(
    "target, code, says",
    [
        ("reference", 0, "pass  errors"),
        ("python:tests.mutants:accepts_malformed", 1, "[errors.accepted]"),
    ],
)
def test_rule_errors_judges_a_malformed_case(tmp_path, capsys, target, code, says):
    bad = {"model": "moonshot/kimi-k2.6", "request": {"messages": "hi"}}
    got, out, err = run(capsys, write(tmp_path, bad), "--target", target, "--rule", "errors")
    assert got == code and says in out, out + err


# ------------------------------------------------------------------------------- exit 2
@pytest.mark.parametrize(
    "content, argv, says",
    [
        (None, [], "no such case file"),
        ('{"model": ', [], "not valid JSON"),
        ({"model": "moonshot/kimi-k2.6"}, [], "invalid case at $: 'request' is a required property"),
        ({**T4_CASE, "model": "moonshot/no-such-model"}, [], "no-such-model"),
        (T4_CASE, ["--rule", "T99"], "--rule: unknown rule 'T99'"),
        (T4_CASE, ["--rule", "T9"], "--rule T9 judges a usage case"),
        (T4_CASE, ["--rule", "errors"], "the case is well-formed"),
        (T4_CASE, ["--target", "no-such-target"], "unknown target 'no-such-target'"),
        (T4_CASE, ["--catalog", "/no/such/catalog.json"], "not found"),
    ],
    ids=[
        "missing-file",
        "not-json",
        "no-request",
        "unknown-model",
        "unknown-rule",
        "rule-of-another-kind",
        "errors-on-a-valid-case",
        "unknown-target",
        "missing-catalog",
    ],
)
def test_exit_2_bad_input_is_one_line(tmp_path, capsys, content, argv, says):
    path = str(tmp_path / "case.json") if content is None else write(tmp_path, content)
    target = [] if "--target" in argv else ["--target", "reference"]
    code, out, err = run(capsys, path, *target, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kimi-conformance check: "), err
    assert says in lines[0], lines[0]


def test_exit_2_a_model_the_target_cannot_run(tmp_path, capsys, monkeypatch):
    from harness.targets import base

    caps = base.Capabilities(models_not_applicable={"moonshot/kimi-k2.6": "no Moonshot provider here"})
    monkeypatch.setattr("harness.targets.reference.ReferenceTarget.capabilities", caps)
    code, _, err = run(capsys, write(tmp_path, T4_CASE), "--target", "reference")
    assert code == 2 and "reference cannot run moonshot/kimi-k2.6: no Moonshot provider here" in err


# ------------------------------------------------------------------------------- exit 4
def test_exit_4_a_harness_error_says_so(tmp_path, capsys, monkeypatch):
    def broken_judge(*args, **kwargs):
        raise ZeroDivisionError("a bug in the judge")

    monkeypatch.setattr("harness.rules.judge.judge", broken_judge)
    code, out, err = run(capsys, write(tmp_path, T4_CASE), "--target", "reference")
    assert code == 4 and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("kimi-conformance check: internal error, a harness bug") and "ZeroDivisionError" in last


# ------------------------------------------------------------------------------- the Reproduce line
@pytest.mark.integration
def test_a_suite_failure_reproduces_with_the_same_check_ids(tmp_path):
    """`pytest suites` prints `Reproduce: kimi-conformance check ...` per failure; that command exits 1
    and names the same check ids."""
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/test_t4_tool_choice.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "--kimi-target",
            T4_MUTANT,
            "--kimi-model",
            "moonshot/kimi-k2.6",
            "--kimi-results-dir",
            str(tmp_path / "results"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**__import__("os").environ, "CI": "true"},
    )
    assert r.returncode == 1, r.stdout[-3000:]
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("Reproduce: ")]
    assert lines, r.stdout[-3000:]
    failed = set(re.findall(r"\[(T4\.[a-z-]+)\]", r.stdout))
    argv = shlex.split(lines[0].removeprefix("Reproduce: "))
    assert argv[:2] == ["kimi-conformance", "check"]
    again = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *argv[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 1, again.stdout + again.stderr
    assert set(re.findall(r"\[(T4\.[a-z-]+)\]", again.stdout)) == failed and failed


def test_rules_of_another_surface_are_not_applicable(tmp_path, capsys):
    """As the suites give each rule the models of its surface: a Kimi Coding Anthropic model is judged
    by `anthropic` only, a chat-completions model by every rule but it."""
    coding = {"model": "kimi/kimi-for-coding", "request": {"messages": [{"role": "user", "content": "hi"}]}}
    code, out, _ = run(capsys, write(tmp_path, coding), "--target", "reference")
    assert code == 0 and re.search(r"^  pass  anthropic ", out, re.M)
    na = [ln for ln in out.splitlines() if ln.startswith("  n/a   ")]
    assert len(na) == 1 and "T4" in na[0] and "kimi/kimi-for-coding is reached through anthropic-messages" in na[0]
    code, out, _ = run(capsys, write(tmp_path, T4_CASE), "--target", "reference", "--json")
    statuses = {r["rule"]: r["status"] for r in json.loads(out)["rules"]}
    assert statuses["anthropic"] == "n/a" and statuses["T4"] == "pass"


def test_a_case_no_rule_judges_is_not_called_conformant(tmp_path, capsys):
    """A usage case (T9) on a target that only transforms requests: nothing judged, said so."""
    chunks = [{"id": "c", "object": "chat.completion.chunk", "choices": [], "usage": None}]
    usage_case = {"model": "moonshot/kimi-k2.6", "chunks": chunks}
    code, out, _ = run(capsys, write(tmp_path, usage_case), "--target", T4_MUTANT)
    assert code == 0 and "n/a   T9: a transform-only target reports no usage" in out
    assert out.splitlines()[-1] == f"verdict: not applicable: no rule judges this case on {T4_MUTANT}"
