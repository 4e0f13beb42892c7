"""`kimi-conformance drift` against the emulator, without a key (issue #26): the emulator as shipped
(all `same`, exit 0), the emulator serving an altered rules file (`emulator serve --rules FILE`: that
rule `drifted`, nothing else, exit 1), and a faulty emulator (`undecidable`, exit 3, no rule blamed)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.emulator import rules as emu_rules

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def emulator(*options: str) -> Iterator[str]:
    """`kimi-conformance emulator serve` in a child process; yields its Moonshot base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "emulator", "serve", "--port", "0", *options],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else base
        yield base
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def drift(base: str, out: Path, *more: str) -> tuple[int, dict, str]:
    code = main(["drift", "--upstream", base, "--out", str(out), *more])
    [report] = out.glob("drift-*.json")
    [md] = out.glob("drift-*.md")
    return code, json.loads(report.read_text()), md.read_text()


def verdicts(report: dict) -> dict[str, str]:
    return {c["name"]: c["verdict"] for c in report["checks"]}


def body_rule_ids() -> list[str]:
    return [r["id"] for r in emu_rules.load_rules()["rules"] if r["phase"] == "body"]


@pytest.mark.integration
def test_the_emulator_as_shipped_is_all_same(tmp_path, capsys):
    with emulator() as base:
        code, report, md = drift(base, tmp_path)
    assert code == 0 and report["verdict"] == "same"
    assert verdicts(report) == {"models": "same", **{rule: "same" for rule in body_rule_ids()}}
    assert "Verdict: **same**" in md
    assert "sk-" not in json.dumps(report) + md + capsys.readouterr().out  # not even the emulator's key


@pytest.mark.parametrize(
    "rule, change, differs",
    [
        # a text the emulator made up: status and type are compared
        ("top_p_fixed", {"status": 422}, ["rejected.status"]),
        # a verbatim text: compared too
        ("temperature_thinking", {"message": "invalid temperature: only 0.7 is allowed"}, ["rejected.message"]),
    ],
)
@pytest.mark.integration
def test_an_altered_rule_is_the_only_drifted_one(tmp_path, rule, change, differs):
    data = json.loads(emu_rules.RULES_FILE.read_text())
    next(r for r in data["rules"] if r["id"] == rule).update(change)
    altered = tmp_path / "rules.json"
    altered.write_text(json.dumps(data))
    with emulator("--rules", str(altered)) as base:
        code, report, md = drift(base, tmp_path / "out")
    assert code == 1 and report["verdict"] == "drifted"
    assert {name for name, v in verdicts(report).items() if v != "same"} == {rule}
    check = next(c for c in report["checks"] if c["name"] == rule)
    assert check["differs"] == differs  # the twin still passes: the rule moved, not the request
    assert f"| {rule} |" in md


@pytest.mark.integration
def test_a_faulty_emulator_is_undecidable_and_blames_no_rule(tmp_path):
    with emulator("--faults", "503:1.0") as base:
        code, report, _ = drift(base, tmp_path, "--max-retries", "0")
    assert code == 3 and report["verdict"] == "undecidable"
    assert set(verdicts(report).values()) == {"undecidable"}
    assert all("503" in c["detail"] for c in report["checks"])


@pytest.mark.integration
def test_a_live_run_reads_the_key_from_the_providers_variable_and_never_writes_it(tmp_path, monkeypatch, capsys):
    """--live with a catalog whose Moonshot endpoint is an emulator: the key goes out, never to disk."""
    secret = "sk-drift-test-secret-0123456789"
    monkeypatch.setenv("MOONSHOT_API_KEY", secret)
    with emulator() as base:
        cat = tmp_path / "catalog.json"
        cat.write_text(json.dumps({"providers": {"moonshot": {"baseUrl": base}}}))
        code = main(["drift", "--live", "--catalog", str(cat), "--out", str(tmp_path / "out")])
    written = "".join(p.read_text() for p in (tmp_path / "out").iterdir())
    assert code == 0 and "(live)" in written
    assert secret not in written + capsys.readouterr().out


def test_without_a_key_or_an_upstream_it_says_so_in_one_line(monkeypatch, capsys):
    for name in ("MOONSHOT_API_KEY", "KIMI_API_KEY", "KIMICODE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["drift", "--live"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "skipped" in err[0] and "MOONSHOT_API_KEY" in err[0]
    assert main(["drift"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--live" in err[0] and "--upstream URL" in err[0]


@pytest.mark.parametrize(
    "text, says",
    [
        ("{", "not JSON"),
        ('{"rules": []}', "missing section(s)"),
        (None, "body rule 'no_such_rule' has no check"),
    ],
)
def test_a_bad_rules_file_is_one_line_naming_it(tmp_path, capsys, text, says):
    bad = tmp_path / "rules.json"
    if text is None:
        data = json.loads(emu_rules.RULES_FILE.read_text())
        data["rules"].append({**data["rules"][-1], "id": "no_such_rule"})
        text = json.dumps(data)
    bad.write_text(text)
    assert main(["emulator", "serve", "--rules", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--rules {bad}" in err[0] and says in err[0]
    assert emu_rules.load_rules() == json.loads(emu_rules.RULES_FILE.read_text())  # nothing was swapped in


def test_every_body_rule_has_a_probe():
    """A new body rule needs a `probe` in rules.json: drift --live checks each one upstream."""
    missing = [r["id"] for r in emu_rules.load_rules()["rules"] if r["phase"] == "body" and "probe" not in r]
    assert missing == []
