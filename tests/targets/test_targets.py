"""The built-in target kinds: reference, python:MODULE:CALLABLE, command:CMD."""

import json
import sys
from pathlib import Path

import pytest

from harness.errors import (
    CaseError,
    TargetError,
    TargetProtocolError,
    TargetUnavailable,
)
from harness.targets import NotExpressible, create, split_alias

SCRIPT = Path(__file__).parents[1] / "fixtures" / "jsonl_target.py"
CASE = {"model": "moonshot/kimi-k2.6", "thinking": "off", "request": {"messages": [{"role": "user", "content": "hi"}]}}


def command(mode="ok", timeout=5.0):
    return create(f"command:{sys.executable} {SCRIPT} {mode}", timeout=timeout)


def test_reference_target():
    out = create("reference").transform(CASE)
    assert out["body"]["thinking"] == {"type": "disabled"}


def test_python_target_and_alias():
    target = create("impl=python:tests.mutants:t2_minimal_is_off")
    assert target.name == "impl"
    assert target.transform(CASE)["body"]["model"] == "kimi-k2.6"
    assert split_alias("command:X=1 ./run") == ("command:X=1 ./run", "command:X=1 ./run")


@pytest.mark.parametrize(
    "spec,needle",
    [
        ("python:no_such_module_xyz:f", "cannot import"),
        ("python:tests.mutants:NOPE", "not a callable"),
        ("python:justmodule", "MODULE:CALLABLE"),
        ("nosuchkind", "unknown target"),
    ],
)
def test_bad_target_specs_are_clear(spec, needle):
    with pytest.raises(TargetUnavailable, match=needle):
        create(spec)


def test_python_target_crash_is_a_target_error():
    target = create("python:tests.mutants:crashes_on_tools")
    case = {
        **CASE,
        "request": {
            "messages": [
                {"role": "user", "content": "x"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                },
            ]
        },
    }
    with pytest.raises(TargetError, match="RuntimeError: boom"):
        target.transform(case)


@pytest.mark.integration
def test_command_target_runs_one_process_for_many_cases():
    target = command()
    try:
        outs = [target.transform(CASE) for _ in range(50)]
        assert all(o["body"]["thinking"] == {"type": "disabled"} for o in outs)
        assert target._process._proc is not None and target._process._proc.poll() is None
        with pytest.raises(CaseError, match="unknown model ref"):
            target.transform({**CASE, "model": "moonshot/nope"})
        assert target.transform(CASE)["body"]["model"] == "kimi-k2.6"  # still alive after a rejection
    finally:
        target.close()


@pytest.mark.integration
def test_command_target_timeout_restarts():
    target = command("hang", timeout=0.5)
    try:
        with pytest.raises(TargetError, match="within 0.5s"):
            target.transform({**CASE, "request": {"messages": [{"role": "user", "content": "hang"}]}})
        target._process.timeout = 30  # a loaded machine may take longer than 0.5 s to start Python
        assert target.transform(CASE)["method"] == "POST"  # a fresh process answers the next case
    finally:
        target.close()


@pytest.mark.integration
def test_command_target_crash_and_garbage():
    target = command("crash")
    try:
        with pytest.raises(TargetError, match="exited"):
            target.transform({**CASE, "request": {"messages": [{"role": "user", "content": "crash"}]}})
        assert target.transform(CASE)["method"] == "POST"
    finally:
        target.close()
    garbage = command("garbage")
    try:
        with pytest.raises(TargetError, match="not JSON"):
            garbage.transform(CASE)
    finally:
        garbage.close()


@pytest.mark.integration
def test_command_target_never_sees_provider_keys(monkeypatch):
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-canary-should-not-leak-0000")
    monkeypatch.setenv("KIMI_API_KEY", "sk-canary-should-not-leak-1111")
    target = command("env")
    try:
        env = target.transform(CASE)["body"]
    finally:
        target.close()
    assert "MOONSHOT_API_KEY" not in env and "KIMI_API_KEY" not in env
    assert "sk-canary" not in str(env)


@pytest.mark.integration
def test_missing_command_is_a_target_error():
    target = create("command:/definitely/not/here --x", timeout=1)
    with pytest.raises(TargetUnavailable, match="cannot start"):
        target.transform(CASE)


@pytest.mark.parametrize(
    "mode,arrived",
    [
        ("banner", "'gateway 1.0 ready'"),  # a banner: every answer would fall one line behind
        ("no-id", '"method": "POST"'),  # the outbound request, not paired with its case
    ],
)
@pytest.mark.integration
def test_an_answer_without_the_awaited_id_is_a_protocol_error(mode, arrived):
    target = command(mode)
    try:
        for expected_id in (1, 2, 3):  # every case fails: the restarted process misbehaves again
            with pytest.raises(TargetProtocolError) as e:
                target.transform(CASE)
            assert f"with id {expected_id}" in str(e.value) and arrived in str(e.value)
            assert "restarted" in str(e.value)
    finally:
        target.close()


@pytest.mark.integration
def test_a_repeated_answer_is_never_taken_for_the_next_case():
    target = command("repeat")
    try:
        assert target.transform(CASE)["body"]["thinking"] == {"type": "disabled"}
        with pytest.raises(TargetProtocolError, match=r"with id 2 .*\"id\": 1"):
            target.transform({**CASE, "thinking": "high"})  # the stale answer to case 1 arrives
    finally:
        target.close()


@pytest.mark.integration
def test_protocol_lines_carry_version_and_id(tmp_path):
    log = tmp_path / "seen.jsonl"
    script = tmp_path / "echo.py"
    script.write_text(
        "import json, sys\n"
        f"log = open({str(log)!r}, 'a')\n"
        "for line in sys.stdin:\n"
        "    log.write(line); log.flush()\n"
        "    m = json.loads(line)\n"
        "    print(json.dumps({'id': m['id'], 'ok': False, 'error': {'type': 'unsupported', 'message': 'no'}}), flush=True)\n"
    )
    target = create(f"command:{sys.executable} {script}", timeout=5)
    try:
        for _ in range(2):
            with pytest.raises(NotExpressible, match="no"):
                target.transform(CASE)
    finally:
        target.close()
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(m["protocol"], m["id"], m["op"], m["case"]) for m in sent] == [
        (2, 1, "transform", CASE),
        (2, 2, "transform", CASE),
    ]


@pytest.mark.integration
def test_an_unterminated_quote_in_a_command_spec_is_one_line():
    """`--kimi-target "command:python3 'x"` was an INTERNALERROR (shlex's ValueError): now the
    target cannot run, said in one line naming the spec, in pytest and in the CLI alike."""
    import subprocess

    from harness.errors import TargetError
    from harness.targets import create

    with pytest.raises(TargetError, match="does not split as a shell would"):
        create("command:python3 'unterminated")
    case = '{"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}'
    r = subprocess.run(
        ["kimi-conformance", "transform", "-", "--target", "command:python3 'unterminated"],
        input=case,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "does not split" in r.stderr
