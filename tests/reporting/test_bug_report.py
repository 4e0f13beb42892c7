"""`kimi-conformance bug-report` (issue #23 item 5): a ready-to-file issue body per known divergence
of a real target, whose reproduction — a standalone file in the library's own language — prints
the value the entry pins when it is run.

The reproduction tests are parametrized at collection time from the divergence files (entries
come and go): for every real target, every listed divergence. They start the library in fresh
processes (seconds each), so they are `fidelity` tests: skipped unless this file is named
(tox -e nightly names it, with `--kimi-repro-all`: every one; `-- -k openclaw` for one target); a target
not installed skips, saying how to install it. Under CI=true without that option only a sample runs
(`_params`); the rest is deselected.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.divergences.model import Divergence
from harness.pytest_plugin.sample import first_of_each
from harness.reporting.bug_report import build, entries, pin_problems, pins, real_targets, upstream_answer
from harness.reporting.bug_repro import Repro

REPRO_TIMEOUT = 240


def _params() -> list[Any]:
    from harness.errors import HarnessError

    found = []
    for name in real_targets():
        try:
            listed = entries(name)
        except HarnessError as e:  # a broken divergence file: one failing test naming it, not a collection error
            found.append(pytest.param(name, f"<{e}>", id=f"{name}:unreadable"))
            continue
        # CI=true runs a sample (harness/pytest_plugin/sample.py): per target, the first entry of
        # each kind (`_kinds`); --kimi-repro-all (tox -e nightly) every entry
        kept = first_of_each(_kinds(entry) for entry in listed)
        found += [
            pytest.param(name, entry.id, id=f"{name}:{entry.id}", marks=() if keep else pytest.mark.outside_ci_sample)
            for entry, keep in zip(listed, kept)
        ]
    return found


def _kinds(entry: Divergence) -> set[tuple[str, Any]]:
    """What makes one reproduction differ from another of the same target: the rules it covers (the
    case's shape), the kinds of its pins (a value, a set, absent: what it must print), whether the
    case streams and whether it is a wire case (usage from chunks). The entry's checks only change the
    case's values: sampling by kind runs ~50 reproductions on a pull request, not ~100 (each costs
    seconds of a library's start-up) — every kind on every target."""
    request = entry.case.get("request")
    streams = isinstance(request, dict) and bool(request.get("stream"))
    return (
        {("rule", rule) for rule in set(entry.rules) | {check.split(".")[0] for check in entry.checks}}
        | {("pin", kind) for pin in (entry.data.get("sends") or {}).values() for kind in pin}
        | {("stream", streams), ("wire", "chunks" in entry.case)}
    )


@pytest.fixture(scope="module")
def targets():
    from harness.errors import TargetUnavailable
    from harness.targets import create

    made: dict[str, Any] = {}

    def get(name: str):
        if name not in made:
            try:
                made[name] = create(name)
            except TargetUnavailable as e:
                made[name] = str(e)
        if isinstance(made[name], str):
            pytest.skip(f"{name}: {made[name]}")
        return made[name]

    yield get
    for t in made.values():
        if not isinstance(t, str):
            t.close()


def run_repro(repro: Repro, directory: Path) -> Any:
    """Write the reproduction into `directory`, run it as its body says, and return what it printed
    (parsed JSON); a failure to run is a test failure naming the file and its stderr."""
    path = directory / repro.filename
    path.write_text(repro.source, encoding="utf-8")
    argv = [a.replace("{file}", str(path)) for a in repro.argv]
    done = subprocess.run(argv, cwd=repro.cwd, capture_output=True, text=True, timeout=REPRO_TIMEOUT, check=False)
    assert done.returncode == 0, f"{path} exited {done.returncode}: {done.stderr[-1500:]}"
    return json.loads(done.stdout)


@pytest.mark.fidelity
@pytest.mark.integration
@pytest.mark.parametrize(("target_name", "entry_id"), _params())
def test_the_reproduction_prints_the_pinned_value(target_name, entry_id, targets, tmp_path):
    target = targets(target_name)
    assert not entry_id.startswith("<"), f"{target_name}'s divergences cannot be read: {entry_id}"
    entry = next((d for d in entries(target_name) if d.id == entry_id), None)
    if entry is None:
        pytest.skip(f"{entry_id} left {target_name}'s divergence file after collection")
    report = build(target, entry, repro_dir=str(tmp_path))
    assert report.body.startswith(f"# {report.title}\n") and entry.data["target_does"].strip()[:60] in report.body
    if report.repro is None:
        pytest.skip(f"{target_name}: no reproduction of a usage (T9) case for an in-process Python target")
    assert report.repro.source.strip() in report.body and report.repro.command(str(tmp_path)) != ""
    if "worker.mjs" in report.repro.source:  # started through the harness's driver: the body says why
        assert "// Reproduced through the harness's driver (its worker.mjs) because " in report.body
    printed = run_repro(report.repro, tmp_path)
    assert pin_problems(report.pinned, printed, report.repro.op) == []


# ------------------------------------------------------------------------------- fast, always run
def _entry(**data: Any) -> Divergence:
    case = data.pop(
        "case_data", {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}
    )
    base = {
        "id": "x",
        "rules": ["T7"],
        "checks": ["T7.agreement"],
        "case": "cases/x.json",
        "title": "a title",
        "target_does": "sends store",
        "contract_says": "T7: no store",
        "evidence": "test",
    }
    base.update(data)
    return Divergence(
        id=base["id"],
        targets=("reference",),
        rules=frozenset(base["rules"]),
        checks=frozenset(base["checks"]),
        path=base.get("path"),
        when=(),
        observer="harness",
        case=case,
        data=base,
        file="harness/divergences/x.yaml",
    )


def test_a_changed_value_is_a_problem():
    """The check the reproduction tests rest on fails when the printed body lacks the pinned value."""
    pinned = {"/body/reasoning_effort": {"value": "minimal"}, "/body/store": {"absent": True}}
    assert pin_problems(pinned, {"reasoning_effort": "minimal"}) == []
    problems = pin_problems(pinned, {"reasoning_effort": "low", "store": False})
    assert [p.split(":")[0] for p in problems] == ["/body/reasoning_effort", "/body/store"]
    assert pin_problems({"/body/n": {"in": [1, 2]}}, {"n": True}) != []  # JSON: true is not 1


@pytest.mark.integration
def test_a_broken_reproduction_fails_the_check(tmp_path):
    """A reproduction that prints another value than the pinned one is caught (the test can fail)."""
    good = Repro("repro.py", "python", "print('{\"store\": true}')\n", (sys.executable, "{file}"), None)
    bad = Repro("repro.py", "python", "print('{\"store\": false}')\n", (sys.executable, "{file}"), None)
    pinned = {"/body/store": {"value": True}}
    assert pin_problems(pinned, run_repro(good, tmp_path)) == []
    assert pin_problems(pinned, run_repro(bad, tmp_path)) == ["/body/store: pinned true, printed false"]


def test_pins_are_the_entrys_sends_else_what_the_driver_sent():
    sent = {"body": {"store": True, "model": "kimi-k2.6"}}
    assert pins(_entry(path="/body/store"), sent) == {"/body/store": {"value": True}}
    assert pins(_entry(path="/body/thinking"), sent) == {"/body/thinking": {"absent": True}}
    assert pins(_entry(), sent) == {"/body": {"value": sent["body"]}}
    from harness.contract.verdict import Violation

    pinned = {"/body/store": {"type": "boolean"}, "/body/n": {"type": "integer"}}
    entry = _entry(path="/body", sends=pinned)
    at_store = Violation("T7", "T7.agreement", "/body/store", None, True, "store sent")
    assert pins(entry, sent, [at_store]) == {"/body/store": {"type": "boolean"}}  # the pins its case meets
    assert pins(entry, sent, []) == {"/body": {"value": sent["body"]}}  # none met: what the driver sent


def test_the_upstream_answer_names_the_emulators_rule():
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "a"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "b"},
    ]
    body = {"model": "kimi-k2-turbo", "messages": messages}
    native = "https://api.moonshot.ai/v1/chat/completions"
    assert "`tool_call_id_duplicated`" in upstream_answer({"url": native, "body": body})
    assert "accepts" in upstream_answer({"url": native, "body": {**body, "messages": messages[:1]}})
    assert "not a Moonshot host" in upstream_answer(
        {"url": "https://proxy.example.com/v1/chat/completions", "body": body}
    )


def test_the_body_is_scrubbed_and_complete():
    """A secret in a minimal case never reaches the body; the body holds every section the issue asks for."""
    from harness.targets.reference import ReferenceTarget
    from harness.util.scrub import remember

    secret = "canary-bug-report-5f1e2d3c4b5a"
    remember([secret])
    case = {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": f"key {secret}"}]}}
    report = build(ReferenceTarget(), _entry(path="/body/messages", case_data=case))
    assert secret not in report.body and report.repro is None
    for section in ("## What happens", "## What the contract says", "## Minimal case", "## What the upstream answers"):
        assert section in report.body
    assert "Rule **T7**" in report.body and "docs/contract.md#t7" in report.body


def test_bad_input_is_one_line_exit_2(capsys):
    from harness.cli.main import main

    for argv, says in (
        (["bug-report", "--target", "reference", "--all"], "not a real target"),
        (["bug-report", "--target", "litellm", "--divergence", "no-such-entry"], "no such divergence of litellm"),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0] and err[0].startswith("kimi-conformance bug-report: "), err


def _node_target(cls: type, tmp_path: Path) -> Any:
    """A Node target object for writing reproductions only (no install, no worker started)."""
    target = cls.__new__(cls)
    target.cache_dir = tmp_path
    return target


def _message(op: str = "transform", **case: Any) -> dict[str, Any]:
    if op == "usage":
        return {"op": "usage", "model": "kimi-k2.6", "cost": {"input": 1.0}, "chunks": [{"choices": []}]}
    return {
        "op": op,
        "case": {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}, **case},
    }


def test_pi_ai_and_vercel_ai_reproductions_call_the_library_directly(tmp_path):
    """The pi-ai and Vercel AI SDK files call the library's public API with the case as literals, never
    the harness's worker; a shape the direct file does not write falls back to the worker, saying why."""
    from harness.reporting.bug_repro import repro_for
    from harness.targets.openclaw import OpenClawTarget
    from harness.targets.pi_ai import PiAiTarget
    from harness.targets.vercel_ai import VercelAITarget

    pi, vercel = _node_target(PiAiTarget, tmp_path), _node_target(VercelAITarget, tmp_path)
    tool = {"type": "function", "function": {"name": "read", "parameters": {"type": "object", "properties": {}}}}
    calls = {
        (pi, "streamSimple(model, context, options)"): [_message(thinking="low"), _message("usage")],
        (vercel, "generateText({ model, ...call })"): [
            _message(thinking="high", request={"messages": [], "tools": [tool]})
        ],
    }
    for (target, call), messages in calls.items():
        for message in messages:
            repro = repro_for(target, "x", message.get("case", {}), message)
            assert repro is not None and call in repro.source and repro.op == message["op"]
            assert "worker.mjs" not in repro.source and "_shared" not in repro.source and "/*@" not in repro.source
    assert '"reasoning": "low"' in repro_for(pi, "x", {}, _message(thinking="low")).source  # the case, as literals
    assert 'jsonSchema({"type": "object"' in repro_for(vercel, "x", {}, _message(request={"tools": [tool]})).source
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    with_image = _message(request={"messages": [{"role": "user", "content": [image]}]})
    for target in (pi, vercel, _node_target(OpenClawTarget, tmp_path)):
        repro = repro_for(target, "x", with_image["case"], with_image)
        assert repro is not None and "worker.mjs" in repro.source
        assert repro.source.startswith("// Reproduced through the harness's driver (its worker.mjs) because ")
