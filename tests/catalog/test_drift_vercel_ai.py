"""`kimi-conformance catalog --drift` reads the Vercel AI SDK's Moonshot model ids from its types
(a fixture laid out as the installed @ai-sdk/moonshotai)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.catalog import drift
from harness.cli.main import main

FIX = Path(__file__).parent / "drift_fixtures" / "vercel-ai"


def test_reads_the_model_id_union_of_its_types():
    got = drift.read_vercel_ai(FIX)
    assert got.version == "3.0.60"
    assert [k.id for k in got.models][-5:] == [
        "kimi-k2.5",
        "kimi-k2.6",
        "kimi-k2.7-code",
        "kimi-k2.7-code-highspeed",
        "kimi-k3",
    ]
    assert {k.id for k in got.models} >= {"moonshot-v1-8k", "moonshot-v1-auto"} and len(got.models) == 12


def test_a_file_without_the_type_is_one_line_naming_it(tmp_path):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.d.ts").write_text("export {};\n")
    with pytest.raises(drift.DriftError, match="MoonshotAIChatModelId"):
        drift.read_vercel_ai(tmp_path)


def test_the_cli_reads_it_from_a_path(capsys):
    assert main(["catalog", "--drift", "--from", f"vercel-ai={FIX}"]) == 0
    assert "vercel-ai" in capsys.readouterr().out
