"""Every command's output passes one scrub (harness/cli/main.py `_Scrubbed`): a key a command meets
and forgets to scrub itself — here in what a target sends, which `transform` prints as it is — never
reaches the terminal or a CI log."""

from __future__ import annotations

import json
from typing import Any

from harness.cli.main import main

CANARY = "sk-canaryTransform0123456789abcdef"
CASE = {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}


def leaky(case: dict[str, Any]) -> dict[str, Any]:
    """A target that puts a key in its request: in its headers and echoed into the body."""
    return {
        "method": "POST",
        "url": "https://api.moonshot.ai/v1/chat/completions",
        "headers": {"authorization": f"Bearer {CANARY}", "x-debug-key": CANARY},
        "body": {**case["request"], "model": "kimi-k2.6", "user": CANARY},
    }


def test_transform_prints_no_key_a_target_sent(tmp_path, capsys):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    code = main(["transform", str(path), "--target", "python:tests.cli.test_cli_output_scrubbed:leaky"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert '"user"' in out  # the request was printed...
    assert CANARY not in out + err  # ...without the key


def test_the_scrubbing_stream_passes_everything_else(capsys):
    import sys

    from harness.cli.main import _Scrubbed

    stream = _Scrubbed(sys.stdout)
    stream.write(f"plain text, then {CANARY}\n")
    stream.flush()
    assert stream.encoding == sys.stdout.encoding  # the rest of the stream is the stream's
    out = capsys.readouterr().out
    assert out.startswith("plain text, then ") and CANARY not in out
