"""A secret inside a target spec never reaches disk or output.

Users put keys in target specs: `command:env MOONSHOT_API_KEY=sk-... node gw.js`,
`http:https://TOKEN@gw/v1`, `http:https://user:PASSWORD@gw/v1?api_key=...`. The name a spec is shown
and stored under is `spec_name` (harness/util/scrub.py): the spec with those secrets redacted. Here
a real `command:` gateway (a tiny Python script with a T3 bug, started by the harness) runs under a
spec carrying canaries in every position — a key-shaped value and a plain one in `NAME=value`
environment assignments, a plain token as a URL's userinfo, a URL password, a secret-named query
value — through every command that names a target: `divergence add` (to a file and to stdout),
`divergence pin`, `check` (text and JSON), `bug-report`, and a pytest run writing a results dir,
junit and the summary. No file written and no stdout/stderr may hold a canary, and the divergence
file written under the redacted name still matches the same spec when it runs again.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from harness.util.scrub import REDACTED, spec_name
from tests.child import run as run_child

ROOT = Path(__file__).resolve().parents[1]
CANARY = "h2canary"  # in every secret below; split so this file holds no key-shaped string
KEY_SHAPED = "sk-" + CANARY + "-env-0001"  # env MOONSHOT_API_KEY=sk-...
PLAIN_ENV = CANARY + "-env-0002"  # env GW_TOKEN=... (no key shape: found by position only)
URL_USER = CANARY + "-user-0003"  # https://TOKEN@gw (a lone userinfo token)
URL_PASSWORD = CANARY + "-password-0004"  # https://user:PASSWORD@gw
URL_QUERY = CANARY + "-query-0005"  # ...?api_key=VALUE
SHORT = "h2k"  # a short value (under the 6 characters remembered by value): still redacted in the name
CASE = {
    "model": "moonshot/kimi-k2.5",
    "thinking": "high",
    "params": {"thinking": {"type": "enabled", "keep": "all"}},
    "request": {"messages": [{"role": "user", "content": "hi"}]},
}
# The gateway: the reference with a T3 bug (thinking.keep forwarded on every model), speaking the
# target protocol. With `leak` in its argv it also puts a key where it diverges (what it answers is
# printed and written by `divergence add` and `check`: the evidence, the `sends` pins).
GATEWAY = """\
import json, sys
from harness.errors import CaseError
from tests.mutants import t3_keep_everywhere
for line in sys.stdin:
    msg = json.loads(line)
    try:
        answer = {"id": msg["id"], "ok": True, "result": t3_keep_everywhere(msg["case"])}
    except CaseError as e:
        answer = {"id": msg["id"], "ok": False, "error": {"type": "case_error", "message": str(e)}}
    thinking = answer.get("result", {}).get("body", {}).get("thinking")
    if "leak" in sys.argv and isinstance(thinking, dict):
        thinking["note"] = "sk-" + "h2canary-answer-0006"
    print(json.dumps(answer), flush=True)
"""


def secret_spec() -> str:
    # short around the secrets: a results and a coverage file are named after the (redacted) spec
    return (
        f"command:env MOONSHOT_API_KEY={KEY_SHAPED} GW_TOKEN={PLAIN_ENV} {sys.executable} gw.py "
        f"https://{URL_USER}@gw/v1 https://u:{URL_PASSWORD}@gw/v1?api_key={URL_QUERY}"
    )


# ------------------------------------------------------------------------------ the name, offline
@pytest.mark.parametrize(
    "spec",
    [
        f"command:env MOONSHOT_API_KEY={KEY_SHAPED} gw",
        f"command:env GW_TOKEN={PLAIN_ENV} gw",
        f"command:gw --token={SHORT}",
        f"http:https://{URL_USER}@gw.example/v1",
        f"http:https://{SHORT}@gw.example/v1",
        f"http:https://user:{URL_PASSWORD}@gw.example/v1",
        f"http:https://user:{SHORT}@gw.example/v1",
        f"http:https://gw.example/v1?api_key={URL_QUERY}",
        f"http:https://gw.example/v1?model=x&key={SHORT}&access_token={SHORT}",
        f"command:gw --upstream https://{SHORT}@gw.example/v1",
    ],
)
def test_the_name_of_a_spec_holds_no_secret(spec):
    secret = next(s for s in (KEY_SHAPED, PLAIN_ENV, URL_USER, URL_PASSWORD, URL_QUERY, SHORT) if s in spec)
    name = spec_name(spec)
    assert secret not in name and REDACTED in name, name
    assert spec_name(name) == name  # idempotent: a stored name is compared as spec_name(stored)


@pytest.mark.parametrize(
    "spec",
    [
        "reference",
        "openclaw:2026.9.6",
        "python:tests.mutants:t3_keep_everywhere",
        "http:http://127.0.0.1:8080/v1?model=kimi",
        "command:git@github.com:org/gw.git",  # no scheme: not a URL's userinfo
    ],
)
def test_a_spec_without_secrets_is_its_own_name(spec):
    assert spec_name(spec) == spec


def test_an_alias_is_the_name_and_its_spec_secrets_are_remembered():
    from harness.util.scrub import scrub_text

    long_user = CANARY + "-aliased-user-0006"
    assert spec_name(f"mygw=http:https://{long_user}@gw.example/v1") == "mygw"
    # the spec behind the alias still names secrets: echoed elsewhere (a target's stderr), they are redacted
    assert long_user not in scrub_text(f"401 for {long_user}")


def _user_file(tmp_path: Path, target: str) -> Path:
    case = tmp_path / "cases" / "gw-keep.json"
    case.parent.mkdir(parents=True, exist_ok=True)
    case.write_text(json.dumps(CASE))
    entry = {
        "id": "gw-keep",
        "rules": ["T3"],
        "checks": ["T3.model-gate"],
        "path": "/body/thinking",
        "case": "cases/gw-keep.json",
        "title": "keeps thinking.keep",
        "target_does": "forwards it",
        "contract_says": "strip it",
        "evidence": "seen",
        "source": "gw.py",
        "contract": "t3",
    }
    path = tmp_path / f"mine-{abs(hash(target))}.yaml"
    path.write_text(yaml.safe_dump({"target": target, "entries": [entry]}, sort_keys=False))
    return path


def test_a_file_matches_the_run_of_its_spec_whether_it_stores_the_name_or_the_raw_spec(tmp_path):
    from harness.divergences.model import Divergences, load_user_file
    from harness.util.scrub import scrub_text

    spec = f"command:env GW_TOKEN={SHORT} gw --upstream https://{SHORT}@gw.example/v1"
    run_name = scrub_text(spec)  # what harness.targets.create names it (the short token is not redacted there)
    for stored in (spec_name(spec), spec):  # as `divergence add` writes it; as someone wrote it by hand
        load_user_file.cache_clear()
        mine = _user_file(tmp_path, stored)
        assert [d.id for d in Divergences.for_target(run_name, [mine])] == ["gw-keep"], stored
        # another gateway (not another key) is another target
        assert list(Divergences.for_target("command:env GW_TOKEN=x other", [mine])) == []


def test_adding_to_a_hand_written_file_writes_no_key_back(tmp_path):
    from harness.cli.divergence import Draft, append_to
    from harness.divergences.model import load_user_file

    spec = f"http:https://user:{URL_PASSWORD}@gw.example/v1"
    mine = _user_file(tmp_path, spec)  # the user put the raw spec in their file
    entry = {**yaml.safe_load(mine.read_text())["entries"][0], "id": "gw-keep-2"}
    append_to(mine, spec, [Draft(entry, CASE, [])])
    text = mine.read_text()
    assert CANARY not in text
    data = yaml.safe_load(text)
    assert data["target"] == spec_name(spec) and [e.get("targets") for e in data["entries"]] == [None, None]
    load_user_file.cache_clear()


# ------------------------------------------------------------------------------ every sink, for real
def _run(*args: str, cwd: Path, env: dict[str, str]):
    return run_child(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.integration
def test_no_canary_from_a_target_spec_reaches_a_file_or_a_terminal(tmp_path):
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    shutil.copytree(ROOT / "suites", work / "suites")  # a project of the user's: its own rootdir and node ids
    (work / "gw.py").write_text(GATEWAY)  # run from `work` by every command below
    failure = tmp_path / "failure.json"
    failure.write_text(json.dumps(CASE))
    spec = secret_spec()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"}
    cli = (sys.executable, "-m", "harness.cli.main")
    mine = work / "out" / "mine" / "kimi-divergences.yaml"
    runs = {}

    runs["divergence add --to"] = r = _run(*cli, "divergence", "add", "--target", spec, "--from", str(failure),
                                           "--to", str(mine), cwd=work, env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    entry_ids = [e["id"] for e in yaml.safe_load(mine.read_text())["entries"]]
    assert entry_ids
    runs["divergence add (stdout)"] = r = _run(*cli, "divergence", "add", "--target", spec, "--from", str(failure),
                                               "--dir", str(work / "out" / "drafts"), cwd=work, env=env)  # fmt: skip
    assert r.returncode == 0 and "draft entries for the file of" in r.stdout, r.stderr
    runs["divergence pin"] = r = _run(*cli, "divergence", "pin", "--target", spec, "--id", "nope", cwd=work, env=env)
    assert r.returncode == 2 and "no entry nope for command:" in r.stderr, r.stderr  # names the target
    # the rerun of the same spec: the file written under the redacted name explains the failure
    runs["check"] = r = _run(*cli, "check", str(failure), "--target", spec, "--divergences", str(mine),
                             cwd=work, env=env)  # fmt: skip
    assert r.returncode == 0 and "conformant but for known divergences" in r.stdout, r.stdout + r.stderr
    runs["check --json"] = r = _run(*cli, "check", str(failure), "--target", spec, "--json", cwd=work, env=env)
    assert r.returncode == 1, r.stderr
    # a target's answer holding a key: drafted (printed, and written to another file) and checked
    leaking = [spec + " leak", "--from", str(failure)]
    other = str(work / "out" / "other" / "kimi-divergences.yaml")
    runs["divergence add (answer)"] = r = _run(*cli, "divergence", "add", "--target", *leaking, cwd=work, env=env)
    assert r.returncode == 0 and "evidence:" in r.stdout, r.stderr
    runs["divergence add --to (answer)"] = r = _run(*cli, "divergence", "add", "--target", *leaking, "--to", other,
                                                    cwd=work, env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    runs["check (answer)"] = r = _run(*cli, "check", str(failure), "--target", spec + " leak", cwd=work, env=env)
    assert r.returncode == 1 and "<redacted:api-key>" in r.stdout, r.stdout + r.stderr  # met, redacted
    runs["bug-report"] = r = _run(*cli, "bug-report", "--target", spec, "--all", "--out", "out/bugs",
                                  cwd=work, env=env)  # fmt: skip
    assert r.returncode == 2 and "not a real target" in r.stderr, r.stderr
    # a suite run: its minimal cases fail (uncovered ones: failure texts, Reproduce lines), and the
    # known-divergence replay of the user's file passes (the entry matches the run's target)
    installed = any(ep.value == "harness.pytest_plugin.plugin" for ep in _pytest11())
    runs["pytest"] = r = _run(
        sys.executable, "-m", "pytest", "suites/test_t3_thinking_keep.py", "suites/test_known_divergences.py",
        *(() if installed else ("-p", "harness.pytest_plugin.plugin")),
        "-o", "cache_dir=out/cache", "--import-mode=importlib", "-rA", "-v",
        "--kimi-target", spec, "--kimi-model", "moonshot/kimi-k2.5", "--kimi-divergences", str(mine),
        "--junitxml", "out/junit.xml", "--kimi-results-dir", "out/results", "--hypothesis-profile", "ci",
        cwd=work, env=env,
    )  # fmt: skip
    terminal = r.stdout + r.stderr
    assert r.returncode == 1, terminal[-3000:]  # the gateway's T3 bug fails beyond the entry's narrow `when`
    known = [line for line in terminal.splitlines() if "test_known_divergence[" in line and "PASSED" in line]
    assert any(i in line for i in entry_ids for line in known), terminal[-3000:]

    written = [p for p in (work / "out").rglob("*") if p.is_file()]
    names = {str(p.relative_to(work / "out")) for p in written}
    assert {"junit.xml", "results/summary.md", "cache/v/cache/lastfailed"} <= names, names
    assert any(n.startswith("mine/cases/") for n in names), names
    assert not any(n.startswith("drafts/") for n in names)  # no --write: drafts are printed only
    leaks = sorted(str(p.relative_to(work)) for p in written if CANARY.encode() in p.read_bytes())
    assert not leaks, f"a canary in {leaks}"
    for what, result in runs.items():
        text = result.stdout + result.stderr
        at = text.find(CANARY)
        assert at < 0, f"a canary in the output of {what}: ...{text[max(at - 300, 0) : at + 80]}"
    # the file and the JSON verdict name the target as everything else does
    assert yaml.safe_load(mine.read_text())["target"] == spec_name(spec)
    assert json.loads(runs["check --json"].stdout)["target"] == spec_name(spec)


def _pytest11():
    from importlib.metadata import entry_points

    return entry_points(group="pytest11")


def test_a_target_is_named_by_spec_name():
    """create() names a target by spec_name: a secret shorter than 6 characters in a URL's userinfo or
    query leaves target.name (and the test ids and file names made from it) too."""
    from harness.targets import create

    target = create(f"command:gw https://{SHORT}@gw/v1?key={SHORT}")  # the process starts with the first case
    try:
        assert target.name == spec_name(target.name) and SHORT not in target.name, target.name
    finally:
        target.close()


def test_an_unknown_kind_is_named_by_its_spec_not_an_alias_reading():
    """`naive=command:...` after the alias was split (a doubled alias) is an unknown kind: the error
    names the spec (redacted), not 'naive' as if it were an alias."""
    from harness.errors import TargetUnavailable
    from harness.targets import create

    with pytest.raises(TargetUnavailable, match=r"unknown target 'naive=command:gw --api-key <redacted"):
        create(f"x=naive=command:gw --api-key {SHORT}0123456")


def test_a_suite_class_naming_an_aliased_target_uses_its_own_name():
    """init --target "naive=command:..." --name naive wrote both: the class made naive=naive=command:...,
    which no target kind reads ("unknown target")."""
    from harness.pytest_plugin.suite_class import ConformanceSuite

    class Named(ConformanceSuite):
        target = "naive=command:python gw.py"
        name = "mine"

    assert Named.target_spec() == "mine=command:python gw.py"
