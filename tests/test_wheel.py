"""The built wheel works on its own: `python -m build`, installed (not editable) into a fresh virtualenv,
used from a temporary directory outside the checkout — the catalog, the emulator answering one
request, `transform` on a case, the shipped captures, a `ConformanceSuite` subclass under pytest, every
suite (wire replay included) as `pytest --pyargs kimi_conformance.suites`, and the contract.

The wheel carries the repository's suites/, cassettes/ and docs/contract.md under `kimi_conformance`
(pyproject.toml's package-dir): the same files, checked here byte for byte.

Needs `build` (tox -e wheel installs it) and registry access for the wheel's dependencies; slow
(a minute or two), so `tox -e py` skips it when `build` is absent. The package list of pyproject.toml
is checked without building.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# `build.__main__`, not `build`: a checkout's build/ folder imports as an empty namespace package
HAS_BUILD = importlib.util.find_spec("build") is not None and importlib.util.find_spec("build.__main__") is not None
# uv, when the env has it (tox -e wheel: build[uv]), builds and installs as pip would, from the uv cache
# the tox envs of the run already filled (.ci/run: seconds instead of a minute); pip otherwise
HAS_UV = importlib.util.find_spec("uv") is not None
integration = pytest.mark.integration  # the tests that build or install the wheel
# what pyproject.toml maps into kimi_conformance: package -> the repository folder it is
MAPPED = {
    "kimi_conformance.suites": "suites",
    "kimi_conformance.suites.wire": "suites/wire",
    "kimi_conformance.cassettes": "cassettes",
    "kimi_conformance.docs": "docs",
}

CASE = {
    "model": "moonshot/kimi-k2.7-code",
    "thinking": "off",
    "params": {"extra_body": {"tool_choice": "required"}},
    "request": {
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "temperature": 0.3,
    },
}
SUITE = """
from kimi_conformance import ConformanceSuite


class TestReferenceFromTheWheel(ConformanceSuite):
    target = "reference"
    models = ["moonshot/kimi-k2.6"]
"""
# every kind of data file the installed harness reads at run time
DATA_PROBE = """
import json, pathlib, harness
root = pathlib.Path(harness.__file__).parent
need = ["catalog/catalog.json", "catalog/catalog.schema.json", "wire/schemas/response.schema.json",
        "emulator/models.json", "emulator/rules.json", "contract/case.schema.json", "contract/bad_cases.json",
        "scenarios/scenarios.json", "cassettes/real_cassettes.yaml", "reporting/allure3/package-lock.json",
        "targets/node/openclaw/worker.mjs", "targets/node/openclaw/package-lock.json",
        "targets/node/pi-ai/package-lock.json", "cassettes/real_captures/moonpalace/PROVENANCE.md",
        "targets/node/openclaw/moonshot-plugin/index.mjs", "targets/node/_shared/protocol.mjs",
        "targets/node/_shared/pi-context.mjs"]
divergences = sorted(p.name for p in (root / "divergences").iterdir() if p.suffix in (".json", ".yaml", ".yml"))
captures = [p for p in (root / "cassettes" / "real_captures").rglob("*") if p.is_file()]
print(json.dumps({"file": harness.__file__, "missing": [n for n in need if not (root / n).is_file()],
                  "divergences": divergences, "captures": len(captures)}))
"""


def run(cmd, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False, **kw)
    assert r.returncode == 0, f"{cmd}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_package_list_names_every_package():
    """pyproject.toml names its packages (package-dir cannot map with `packages.find`): a new package
    under harness/ or kimi_conformance/ must be added there, and the mapped folders exist."""
    setuptools = pyproject()["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(REPO).parts)
        for top in ("harness", "kimi_conformance")
        for p in (REPO / top).rglob("__init__.py")
        if "node_modules" not in p.parts
    }
    listed = set(setuptools["packages"])
    assert found - listed == set(), "packages missing from pyproject.toml's [tool.setuptools] packages"
    assert listed - found == set(MAPPED)
    assert setuptools["package-dir"] == MAPPED
    assert all((REPO / d).is_dir() for d in MAPPED.values())
    assert (REPO / "suites" / "__init__.py").is_file() and (REPO / "suites" / "wire" / "__init__.py").is_file()


def test_the_public_names_are_the_harness_objects():
    import kimi_conformance
    from harness.errors import CaseError
    from harness.pytest_plugin.suite_class import ConformanceSuite
    from harness.targets.base import Capabilities, NotExpressible, Target

    expected = {
        "CaseError": CaseError,
        "ConformanceSuite": ConformanceSuite,
        "NotExpressible": NotExpressible,
        "Target": Target,
        "Capabilities": Capabilities,
    }
    assert {name: getattr(kimi_conformance, name) for name in expected} == expected
    assert set(expected) <= set(kimi_conformance.__all__)
    assert all(hasattr(kimi_conformance, name) for name in kimi_conformance.__all__)


def source_copy(dest: Path) -> Path:
    """The checkout's files as git sees them (tracked, and new but not ignored): a build from it sees no
    stale build/ folder of an earlier build, and writes nothing into the checkout."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return REPO  # not a git checkout: build in place
    for name in filter(None, out.decode().split("\0")):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not HAS_BUILD:
        pytest.skip("the wheel check needs `build` (tox -e wheel installs it)")
    base = tmp_path_factory.mktemp("build")
    source = source_copy(base / "src")
    installer = ["--installer", "uv"] if HAS_UV else []
    run([sys.executable, "-m", "build", "--wheel", *installer, "--outdir", str(base / "dist"), str(source)])
    (found,) = (base / "dist").glob("kimi_conformance-*.whl")
    return found


@integration
def test_the_wheel_ships_the_suites_cassettes_and_contract_as_they_are(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        shipped = {
            n: z.read(n) for n in names if n.startswith(("kimi_conformance/suites/", "kimi_conformance/cassettes/"))
        }
        contract = z.read("kimi_conformance/docs/contract.md")
    suites = sorted(p for p in (REPO / "suites").rglob("*.py") if "__pycache__" not in p.parts)
    cassettes = sorted((REPO / "cassettes").rglob("*.yaml"))
    expected = {f"kimi_conformance/{p.relative_to(REPO).as_posix()}": p.read_bytes() for p in suites + cassettes}
    assert shipped == expected  # the same files, byte for byte, nothing else
    assert contract == (REPO / "docs" / "contract.md").read_bytes()
    assert [n for n in names if n.startswith("kimi_conformance/docs/")] == ["kimi_conformance/docs/contract.md"]
    assert not [n for n in names if n.split("/")[0] in ("suites", "cassettes", "docs", "tests") or "__pycache__" in n]
    source = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "harness", "kimi_conformance"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert [f for f in source if f not in names] == []  # every file of the packages ships, data included


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel):
    """(bin dir, work dir): the wheel installed into a fresh venv; work dir outside the checkout."""
    base = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "venv", str(base / "venv")])
    bin_dir = base / "venv" / "bin"
    if HAS_UV:
        run([sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", str(bin_dir / "python"), str(wheel)])
    else:
        run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)])
    work = base / "work"
    work.mkdir()
    assert REPO not in work.parents
    return bin_dir, work


def env_outside() -> dict[str, str]:
    # nothing from the checkout or its venv may leak in
    return {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("PYTEST_")
    }


@integration
def test_the_wheel_carries_every_data_file(installed):
    bin_dir, work = installed
    probe = json.loads(run([str(bin_dir / "python"), "-c", DATA_PROBE], cwd=work, env=env_outside()).stdout)
    assert str(bin_dir.parent) in probe["file"], f"harness imported from {probe['file']}, not the wheel"
    assert probe["missing"] == []
    assert probe["divergences"] and probe["captures"] >= 30


@integration
def test_catalog_transform_and_captures_from_the_command_line(installed):
    bin_dir, work = installed
    cli = str(bin_dir / "kimi-conformance")
    out = run([cli, "catalog"], cwd=work, env=env_outside()).stdout
    assert "moonshot/kimi-k2.6" in out and "kimi/kimi-for-coding" in out
    (work / "case.json").write_text(json.dumps(CASE))
    sent = json.loads(run([cli, "transform", "case.json"], cwd=work, env=env_outside()).stdout)
    body = sent["body"]
    assert sent["url"] == "https://api.moonshot.ai/v1/chat/completions"
    assert body["tool_choice"] == "auto" and "temperature" not in body and "thinking" not in body  # T1, T6b
    assert body["stream_options"] == {"include_usage": True}  # T8
    out = run([cli, "validate-captures"], cwd=work, env=env_outside()).stdout
    assert out.splitlines()[-1].startswith("validate-captures: ") and " 0 failed" in out.splitlines()[-1]


@integration
def test_the_emulator_answers_one_request(installed):
    bin_dir, work = installed
    p = subprocess.Popen(
        [str(bin_dir / "kimi-conformance"), "emulator", "serve", "--port", "0"],
        cwd=work,
        env=env_outside(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = p.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:") and base.endswith("/v1"), base
        body = json.dumps(
            {
                "model": "kimi-k2.6",
                "messages": [{"role": "user", "content": "Reply exactly: OK"}],
            }
        )

        def post(key):
            headers = {
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {key}"} if key else {}),
            }
            req = urllib.request.Request(base + "/chat/completions", body.encode(), headers)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        status, answer = post("sk-wheel-check")
        assert status == 200 and answer["choices"][0]["message"]["content"] == "OK"
        status, answer = post(None)
        assert status == 401 and answer["error"]["type"] == "invalid_authentication_error"
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)


@integration
def test_a_conformance_suite_subclass_runs_under_pytest(installed):
    bin_dir, work = installed
    (work / "test_my_gateway.py").write_text(textwrap.dedent(SUITE))
    r = run(
        [
            str(bin_dir / "python"),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_my_gateway.py",
        ],
        cwd=work,
        env={**env_outside(), "CI": "true"},
    )
    last = r.stdout.strip().splitlines()[-1]
    assert " passed" in last and "failed" not in last and "error" not in last, r.stdout[-2000:]


@integration
def test_every_suite_runs_from_the_install_wire_replay_included(installed):
    """`pytest --pyargs kimi_conformance.suites --kimi-target reference` outside any checkout: every
    suite passes, and the wire suites replay the cassettes shipped beside them."""
    bin_dir, work = installed
    r = subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pytest",
            "--pyargs",
            "kimi_conformance.suites",
            "--kimi-target",
            "reference",
            "-p",
            "no:cacheprovider",
            "-v",
            "-rs",
        ],
        cwd=work,
        env={**env_outside(), "CI": "true"},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    out = r.stdout
    assert r.returncode == 0, out[-4000:] + r.stderr[-2000:]
    passed = [ln for ln in out.splitlines() if " PASSED" in ln]
    for suite in ("test_t4_tool_choice.py::", "wire/test_wire.py::test_wire[", "wire/test_real.py::test_real["):
        assert any(suite in ln for ln in passed), f"no {suite} test passed:\n{out[-3000:]}"
    assert sum("wire/test_wire" in ln for ln in passed) >= 100  # every (model, scenario) cassette replayed
    assert "site-packages/kimi_conformance/suites/" in out  # the installed suites, not a checkout's
    assert "cassette" not in "\n".join(ln for ln in out.splitlines() if ln.startswith("SKIPPED"))


@integration
def test_the_contract_from_the_install(installed):
    from harness.cli.contract import find

    bin_dir, work = installed
    cli = str(bin_dir / "kimi-conformance")
    out = run([cli, "contract", "T4"], cwd=work, env=env_outside()).stdout
    assert out.startswith("### T4 — `tool_choice` while thinking\n")
    assert out.rstrip("\n") == find("T4").text  # the shipped section is the checkout's
    index = run([cli, "contract"], cwd=work, env=env_outside()).stdout
    assert "T4" in index and "#t4" in index and str(bin_dir.parent) in index  # read from the install
    where = run([cli, "contract", "--path"], cwd=work, env=env_outside()).stdout.strip()
    assert where.startswith(str(bin_dir.parent)) and where.endswith("kimi_conformance/docs/contract.md")
    version = run([cli, "--version"], cwd=work, env=env_outside()).stdout.strip()
    assert version == f"kimi-conformance {pyproject()['project']['version']}"


# ------------------------------------------------------------------------------- a gateway's own repository
NAIVE_GATEWAY = '''
"""A deliberately naive gateway: it forwards the caller's request unchanged to Moonshot."""


def forward(case):
    body = dict(case["request"])
    body["model"] = case["model"].split("/", 1)[-1]
    return {"method": "POST", "url": "https://api.moonshot.ai/v1/chat/completions", "headers": {}, "body": body}
'''
FIXED_GATEWAY = """
from harness.reference import transform


def forward(case):
    return transform(case)
"""
CHECK_ID = re.compile(r"^\s+\[([A-Za-z0-9]+\.[a-z0-9-]+)\]", re.M)


def _failures(out: str) -> list[str]:
    """The text of each failure of a pytest run (between its ___ header and the next)."""
    body = out.split("= FAILURES =", 1)[-1].split("short test summary info", 1)[0]
    return [block for block in re.split(r"\n_{3,} .* _{3,}\n", body)[1:] if block.strip()]


@integration
def test_a_naive_gateway_from_its_own_repository(installed, tmp_path):
    """As a gateway author meets it: `init` in a separate project, a naive gateway, a first run whose
    failures carry no harness frames and reproduce with the same check ids, the Anthropic surface
    n/a because the suite declares its APIs, and a known divergence of the project's own."""
    from tests.divergences.test_divergence_files import registry_checks

    bin_dir, _ = installed
    project = tmp_path / "gateway"
    project.mkdir()
    cli = str(bin_dir / "kimi-conformance")
    env = {**env_outside(), "CI": "true"}
    (project / "naive_gateway.py").write_text(NAIVE_GATEWAY)
    init = run([cli, "init", "--target", "python:naive_gateway:forward", "--name", "naive"], cwd=project, env=env)
    assert "wrote" in init.stdout and (project / "tests" / "kimi-divergences.yaml").is_file()
    pytest_cmd = [str(bin_dir / "python"), "-m", "pytest", "-p", "no:cacheprovider", "-rs", "tests"]
    narrow = ["--kimi-model", "moonshot/kimi-k2.6", "--kimi-model", "kimi/kimi-for-coding"]
    first = subprocess.run(
        [*pytest_cmd, *narrow, "-k", "t4 or anthropic"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = first.stdout
    assert first.returncode == 1, out[-3000:] + first.stderr[-2000:]  # the run completes: failures, no error
    failures = _failures(out)
    assert failures, out[-3000:]
    # the Anthropic surface is n/a: the suite init wrote declares apis = ["openai-completions"]
    assert "speaks openai-completions, not anthropic-messages (declared with apis)" in out
    assert "test_anthropic_messages" not in "".join(failures)
    for failure in failures:
        assert "site-packages/harness" not in failure and "/harness/" not in failure, failure[:2000]
        reproduce = [ln for ln in failure.splitlines() if ln.startswith("Reproduce: ")]
        assert len(reproduce) == 1, failure[-1500:]
        argv = shlex.split(reproduce[0].removeprefix("Reproduce: "))
        assert argv[0] == "kimi-conformance"
        again = subprocess.run([cli, *argv[1:]], cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 1, again.stdout + again.stderr
        assert set(CHECK_ID.findall(failure)) <= set(CHECK_ID.findall(again.stdout)), (failure, again.stdout)

    # the project's own known divergence: T4 as the naive gateway does it
    (project / "tests" / "cases").mkdir()
    case = {
        "model": "moonshot/kimi-k2.6",
        "thinking": "high",
        "request": {
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}],
            "tool_choice": "required",
        },
    }
    (project / "tests" / "cases" / "required.json").write_text(json.dumps(case))
    t4 = sorted(c for c in registry_checks() if c.startswith("T4."))
    (project / "tests" / "kimi-divergences.yaml").write_text(
        "target: naive\nentries:\n"
        "  - id: tool-choice-forwarded\n"
        "    title: tool_choice goes out as the caller sent it\n"
        "    rules: [T4]\n"
        f"    checks: {json.dumps(t4)}\n"
        "    case: cases/required.json\n"
        "    target_does: forwards tool_choice unchanged, thinking or not\n"
        "    contract_says: under thinking only auto or none; required becomes auto\n"
        "    evidence: naive_gateway.py forwards the request as it came\n"
    )
    known = subprocess.run(
        [*pytest_cmd, *narrow, "-k", "t4 or known_divergence"], cwd=project, env=env, capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip
    assert known.returncode == 0, known.stdout[-4000:]
    assert "1 known divergence" in known.stdout or "known divergence" in known.stdout
    # the gateway is fixed: the entry is stale, and the run says so
    (project / "naive_gateway.py").write_text(FIXED_GATEWAY)
    stale = subprocess.run(
        [*pytest_cmd, "-k", "known_divergence"], cwd=project, env=env, capture_output=True, text=True, timeout=900
    )
    assert stale.returncode == 1 and "divergence 'tool-choice-forwarded' no longer diverges" in stale.stdout
