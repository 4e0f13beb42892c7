"""`kimi-conformance transform` on a case the target cannot express: one line naming the case and
why, exit 2 (bad input for that target, as `check` says it) — never a traceback and "internal error"."""

from __future__ import annotations

import json

import pytest

from harness.cli.main import EXIT_USAGE, main

COMPAT_CASE = {
    "model": "moonshot/kimi-k2.6",
    "provider": {
        "id": "my-kimi",
        "baseUrl": "https://api.moonshot.ai/v1",
        "api": "openai-completions",
        "compat": {"supportsDeveloperRole": True},
    },
    "request": {"messages": [{"role": "user", "content": "hi"}]},
}


def test_transform_of_a_case_litellm_cannot_express_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the cost map
    pytest.importorskip("litellm")
    path = tmp_path / "compat.json"
    path.write_text(json.dumps(COMPAT_CASE))

    code = main(["transform", str(path), "--target", "litellm"])

    out, err = capsys.readouterr()
    assert code == EXIT_USAGE, err
    assert out == ""
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"kimi-conformance transform: {path}: litellm cannot express this case: "), err
    assert "compat" in lines[0], err


def test_transform_lines_names_the_line_litellm_cannot_express(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    pytest.importorskip("litellm")
    plain = {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(plain) + "\n" + json.dumps(COMPAT_CASE) + "\n")

    code = main(["transform", str(path), "--lines", "--target", "litellm"])

    out, err = capsys.readouterr()
    assert code == EXIT_USAGE, err
    assert len(out.strip().splitlines()) == 1  # the first case was transformed
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"kimi-conformance transform: {path}: line 2: litellm cannot express this case: "), err
