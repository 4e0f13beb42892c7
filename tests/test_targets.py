"""The built-in target kinds: reference, python:MODULE:CALLABLE, command:CMD."""

import sys
from pathlib import Path

import pytest

from harness.errors import CaseError, TargetError, TargetUnavailable
from harness.targets import create, split_alias

SCRIPT = Path(__file__).parent / "fixtures" / "jsonl_target.py"
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


@pytest.mark.parametrize("spec,needle", [
    ("python:no_such_module_xyz:f", "cannot import"),
    ("python:tests.mutants:NOPE", "not a callable"),
    ("python:justmodule", "MODULE:CALLABLE"),
    ("nosuchkind", "unknown target"),
])
def test_bad_target_specs_are_clear(spec, needle):
    with pytest.raises(TargetUnavailable, match=needle):
        create(spec)


def test_python_target_crash_is_a_target_error():
    target = create("python:tests.mutants:crashes_on_tools")
    case = {**CASE, "request": {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": None,
            "tool_calls": [{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]}}
    with pytest.raises(TargetError, match="RuntimeError: boom"):
        target.transform(case)


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


def test_command_target_timeout_restarts():
    target = command("hang", timeout=0.5)
    try:
        with pytest.raises(TargetError, match="within 0.5s"):
            target.transform({**CASE, "request": {"messages": [{"role": "user", "content": "hang"}]}})
        assert target.transform(CASE)["method"] == "POST"  # a fresh process answers the next case
    finally:
        target.close()


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


def test_missing_command_is_a_target_error():
    target = create("command:/definitely/not/here --x", timeout=1)
    with pytest.raises(TargetError, match="cannot start"):
        target.transform(CASE)
