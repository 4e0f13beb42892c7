"""A JSON-lines target process that dies: its message says the process's own exit code and shows
the stderr of that process only (harness.targets.process)."""

import re
import sys
from pathlib import Path

import pytest

from harness.errors import TargetExited
from harness.targets import create

FIXTURES = Path(__file__).parents[1] / "fixtures"
CASE = {"model": "moonshot/kimi-k2.6", "thinking": "off", "request": {"messages": [{"role": "user", "content": "hi"}]}}


@pytest.mark.integration
def test_a_dead_process_reports_its_own_exit_code_and_only_its_own_stderr():
    target = create(f"command:{sys.executable} {FIXTURES / 'dying_target.py'}", timeout=10)
    seen = []
    try:
        for _ in range(3):  # each case starts a fresh process, which dies too
            with pytest.raises(TargetExited) as e:
                target.transform(CASE)
            message = str(e.value)
            assert "exited (code 3)" in message, message  # was "(code None)": the code was not waited for
            lines = re.findall(r"stderr of process (\d+)", message)
            assert len(lines) == 1, message  # was every earlier process's stderr too
            seen.append(lines[0])
    finally:
        target.close()
    assert len(set(seen)) == 3  # three processes, each message its own


@pytest.mark.integration
def test_stderr_shown_in_a_failure_is_scrubbed(tmp_path):
    script = tmp_path / "t.py"
    script.write_text(
        "import sys\n"
        "print('login with DB_PASSWORD=' + 'hunter2hunter2', file=sys.stderr, flush=True)\n"
        "for _ in sys.stdin:\n"
        "    sys.exit(1)\n"
    )
    target = create(f"command:{sys.executable} {script}", timeout=10)
    try:
        with pytest.raises(TargetExited) as e:
            target.transform(CASE)
    finally:
        target.close()
    assert "exited (code 1)" in str(e.value)
    assert "DB_PASSWORD=<redacted>" in str(e.value) and "hunter2" not in str(e.value)
