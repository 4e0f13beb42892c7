"""Every bad input gets one clear line naming the culprit — in the CLI and in pytest — and a
non-zero exit code; never a traceback, never INTERNALERROR (README "Exit codes")."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.util import yamlio
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[1]
CASSETTE = REPO / "cassettes/moonshot/kimi-k2.6/plain.yaml"
STREAM_CASSETTE = REPO / "cassettes/moonshot/kimi-k2.6/stream-usage.yaml"
CLI = [sys.executable, "-m", "harness.cli.main"]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
WIRE = [*PYTEST, "suites/wire", "--kimi-model", "moonshot/kimi-k2.6"]


# ------------------------------------------------------------------------------- the bad inputs
def truncated_cassette(d: Path) -> Path:
    text = CASSETTE.read_text()
    return _write(d / "moonshot/kimi-k2.6/plain.yaml", text[: text.index("  response:") + 40])


def newer_cassette(d: Path) -> Path:
    return _write(d / "moonshot/kimi-k2.6/plain.yaml", CASSETTE.read_text().replace("\nversion: 1", "\nversion: 9"))


def cut_stream_cassette(d: Path) -> Path:
    """The stream body ends mid-event (the file itself is well-formed YAML)."""
    doc = yamlio.safe_load(STREAM_CASSETTE.read_text())
    body = doc["interactions"][0]["response"]["body"]
    body["string"] = body["string"][: len(body["string"]) // 2]
    return _write(d / "moonshot/kimi-k2.6/stream-usage.yaml", yaml.safe_dump(doc, sort_keys=False))


def cut_json_body_cassette(d: Path) -> Path:
    """A non-streamed JSON body cut in half (the file itself is well-formed YAML)."""
    doc = yamlio.safe_load(CASSETTE.read_text())
    body = doc["interactions"][0]["response"]["body"]
    text = json.dumps(body["json"])
    doc["interactions"][0]["response"]["body"] = {"string": text[: len(text) // 2]}
    return _write(d / "moonshot/kimi-k2.6/plain.yaml", yaml.safe_dump(doc, sort_keys=False))


def cassette_dir(make) -> callable:
    """A copy of the model's cassettes with one of them broken; returns (dir, broken file)."""

    def build(tmp: Path) -> tuple[Path, Path]:
        d = tmp / "cassettes"
        shutil.copytree(REPO / "cassettes/moonshot/kimi-k2.6", d / "moonshot/kimi-k2.6")
        return d, make(d)

    return build


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def file_with(name: str, text: str):
    def build(tmp: Path) -> tuple[Path, Path]:
        p = _write(tmp / name, text)
        return p, p

    return build


def missing(name: str):
    def build(tmp: Path) -> tuple[Path, Path]:
        return tmp / name, tmp / name

    return build


def beside_a_case(build):
    """`build`'s file, with a well-formed case.json beside it."""

    def both(tmp: Path) -> tuple[Path, Path]:
        _write(
            tmp / "case.json",
            '{"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}',
        )
        return build(tmp)

    return both


BAD_CATALOG = '{"providers": {"moonshot": {"models": [{"id": "kimi-k2.6", "contextWindow": "big"}]}}}'
CASES = {
    # id: (build(tmp) -> (argument path, culprit path), argv(path), exit code, what the line says)
    "transform-missing-case": (missing("missing.json"), lambda p: [*CLI, "transform", str(p)], 2, "no such case file"),
    "transform-case-not-json": (
        file_with("case.json", '{"model": "moonshot/kimi-k2.6", '),
        lambda p: [*CLI, "transform", str(p)],
        2,
        "not valid JSON",
    ),
    "transform-case-invalid": (
        file_with("case.json", '{"model": "moonshot/kimi-k2.6", "request": {"messages": "hi"}}'),
        lambda p: [*CLI, "transform", str(p)],
        2,
        "invalid case at $.request.messages",
    ),
    "transform-case-without-request": (
        file_with("case.json", '{"model": "moonshot/kimi-k2.6"}'),
        lambda p: [*CLI, "transform", str(p)],
        2,
        "invalid case at $: 'request' is a required property",
    ),
    "check-missing-case": (
        missing("missing.json"),
        lambda p: [*CLI, "check", str(p), "--target", "reference"],
        2,
        "no such case file",
    ),
    "check-case-invalid": (
        file_with("case.json", '{"model": "moonshot/kimi-k2.6", "request": {"messages": "hi"}}'),
        lambda p: [*CLI, "check", str(p), "--target", "reference"],
        2,
        "invalid case at $.request.messages",
    ),
    "check-divergence-file-missing": (
        beside_a_case(missing("my-divergences.yaml")),
        lambda p: [*CLI, "check", str(p.parent / "case.json"), "--target", "reference", "--divergences", str(p)],
        2,
        "no such divergence file",
    ),
    "transform-lines-bad-line": (
        file_with("cases.jsonl", '{"model": "moonshot/kimi-k2.6"}\n{oops\n'),
        lambda p: [*CLI, "transform", "--lines", str(p)],
        2,
        "line 2: not valid JSON",
    ),
    "catalog-missing": (missing("nope.json"), lambda p: [*CLI, "catalog", "--catalog", str(p)], 2, "not found"),
    "catalog-not-json": (
        file_with("cat.json", '{"providers": '),
        lambda p: [*CLI, "catalog", "--catalog", str(p)],
        2,
        "not valid JSON",
    ),
    "catalog-wrong-shape": (
        file_with("cat.json", '{"providers": {"x": 5}}'),
        lambda p: [*CLI, "catalog", "--catalog", str(p)],
        2,
        "providers.x must be an object",
    ),
    "catalog-providers-a-list": (
        file_with("cat.json", '{"providers": [{"id": "moonshot"}]}'),
        lambda p: [*CLI, "catalog", "--catalog", str(p)],
        2,
        "providers must be an object, got a list",
    ),
    "catalog-models-a-string": (
        file_with("cat.json", '{"providers": {"moonshot": {"models": "kimi-k2.6"}}}'),
        lambda p: [*CLI, "catalog", "--catalog", str(p)],
        2,
        "providers.moonshot.models must be a list, got a string",
    ),
    "config-providers-a-list": (
        file_with("openclaw.json", '{"models": {"providers": [{"id": "moonshot"}]}}'),
        lambda p: [*CLI, "catalog", "--config", str(p)],
        2,
        "models.providers must be an object, got a list",
    ),
    "config-plugin-entries-a-list": (
        file_with("openclaw.json", '{"models": {}, "plugins": {"entries": ["moonshot"]}}'),
        lambda p: [*CLI, "catalog", "--config", str(p)],
        2,
        "plugins.entries must be an object, got a list",
    ),
    "config-aliases-a-list": (
        file_with("openclaw.json", '{"agents": {"defaults": {"modelAliases": ["k2"]}}}'),
        lambda p: [*CLI, "catalog", "--config", str(p)],
        2,
        "agents.defaults.modelAliases must be an object, got a list",
    ),
    "catalog-fails-schema": (
        file_with("cat.json", BAD_CATALOG),
        lambda p: [*CLI, "resolve", "k2.6", "--catalog", str(p)],
        2,
        "contextWindow: 'big' is not of type 'integer'",
    ),
    "emulator-fault-plan": (
        file_with("faults.txt", "429:0.5\nteapot:0.1\n"),
        lambda p: [*CLI, "emulator", "serve", "--faults", str(p)],
        2,
        "unknown fault 'teapot'",
    ),
    "captures-truncated-cassette": (
        cassette_dir(truncated_cassette),
        lambda p: [*CLI, "validate-captures", str(p)],
        1,
        "plain.yaml",
    ),
    "captures-newer-cassette": (
        cassette_dir(newer_cassette),
        lambda p: [*CLI, "validate-captures", str(p)],
        1,
        "format version 9 is newer",
    ),
    "captures-stream-cut-mid-event": (
        file_with("cut.sse", 'data: {"id":"x","choices":[]}\n\ndata: {"id":"x","cho'),
        lambda p: [*CLI, "validate-captures", str(p)],
        1,
        "invalid JSON in stream line",
    ),
    "pytest-catalog-missing": (
        missing("nope.json"),
        lambda p: [*PYTEST, "suites/test_t3_thinking_keep.py", "--kimi-catalog", str(p)],
        4,
        "not found",
    ),
    "pytest-catalog-malformed": (
        file_with("cat.json", BAD_CATALOG),
        lambda p: [*PYTEST, "suites/test_t3_thinking_keep.py", "--kimi-catalog", str(p)],
        4,
        "is not a valid catalog",
    ),
    "pytest-truncated-cassette": (
        cassette_dir(truncated_cassette),
        lambda p: [*WIRE, f"--kimi-cassette-dir={p}"],
        4,
        "truncated?",
    ),
    "pytest-config-models-a-string": (
        file_with("openclaw.json", '{"models": {"providers": {"moonshot": {"models": "kimi-k2.6"}}}}'),
        lambda p: [*PYTEST, "suites/test_t3_thinking_keep.py", "--kimi-catalog", str(p)],
        4,
        "models.providers.moonshot.models must be a list, got a string",
    ),
    "pytest-cut-json-body": (
        cassette_dir(cut_json_body_cassette),
        lambda p: [*WIRE, f"--kimi-cassette-dir={p}"],
        4,
        "JSON response body cut short",
    ),
    "captures-cut-json-body": (
        cassette_dir(cut_json_body_cassette),
        lambda p: [*CLI, "validate-captures", str(p)],
        1,
        "JSON response body cut short",
    ),
    "pytest-newer-cassette": (
        cassette_dir(newer_cassette),
        lambda p: [*WIRE, f"--kimi-cassette-dir={p}"],
        4,
        "format version 9 is newer than this harness reads (1)",
    ),
    "pytest-stream-cut-mid-event": (
        cassette_dir(cut_stream_cassette),
        lambda p: [*WIRE, f"--kimi-cassette-dir={p}"],
        4,
        "event stream cut short",
    ),
    "pytest-emulator-faults": (
        file_with("faults.json", '{"429": 2}'),
        lambda p: [*WIRE, "--kimi-upstream", "emulator", "--kimi-emulator-faults", str(p)],
        4,
        "probability of 429 must be between 0 and 1",
    ),
}


def error_lines(cmd: list[str], r: subprocess.CompletedProcess) -> list[str]:
    """The lines that report a problem: stderr for kimi-conformance and pytest usage errors, the
    FAIL lines of validate-captures (a validator that reports each file on stdout)."""
    if "validate-captures" in cmd:
        return [ln for ln in r.stdout.splitlines() if ln.startswith("FAIL")]
    return [ln for ln in r.stderr.splitlines() if ln.strip()]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.integration
def test_bad_input_is_one_line_naming_the_culprit(case, tmp_path):
    build, argv, code, says = CASES[case]
    arg, culprit = build(tmp_path)
    cmd = argv(arg)
    r = run_child(cmd, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == code, out[-2000:]
    assert "Traceback" not in out and "INTERNALERROR" not in out, out[-3000:]
    lines = error_lines(cmd, r)
    assert len(lines) == 1, out[-2000:]
    assert str(culprit) in lines[0] or culprit.name in lines[0], lines[0]
    assert says in lines[0], lines[0]


def test_every_documented_exit_code_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Exit codes") :]
    section = section[: section.find("\n## ", 5) if "\n## " in section[5:] else None]
    for code in ("0", "1", "2", "4", "130", "143"):
        assert re.search(rf"\b{code}\b", section), f"exit code {code} undocumented"


def test_cassette_checker_accepts_every_committed_cassette():
    from harness.cassettes.files import read_cassette

    for p in sorted((REPO / "cassettes").rglob("*.yaml")):
        read_cassette(p)  # raises with the file named when one is broken


def test_checker_messages_name_interaction_and_file(tmp_path):
    from harness.cassettes.files import read_cassette
    from harness.errors import CassetteError

    doc = yamlio.safe_load(CASSETTE.read_text())
    del doc["interactions"][0]["response"]["status"]
    p = _write(tmp_path / "c.yaml", yaml.safe_dump(doc))
    with pytest.raises(CassetteError, match=re.escape(f"cassette {p}: interaction #0 has no response status")):
        read_cassette(p)
    p.write_text(json.dumps([1, 2]))
    with pytest.raises(CassetteError, match="not a cassette"):
        read_cassette(p)
    p.write_text("")
    with pytest.raises(CassetteError, match="empty file"):
        read_cassette(p)


@pytest.mark.integration
def test_an_unsplittable_target_spec_stops_pytest_in_one_line():
    """Before: every test failed or skipped with "target is not available" (exit 1), counted as the
    target's failures in the results. A spec that cannot be read is the user's input: exit 4."""
    spec = "command:python3 'unterminated"
    r = run_child(
        [*PYTEST, "suites/test_t3_thinking_keep.py", "--kimi-target", spec],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 4, out[-2000:]
    assert "Traceback" not in out and "INTERNALERROR" not in out, out[-3000:]
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("ERROR: --kimi-target: "), lines
    assert "does not split as a shell would" in lines[0], lines[0]
