"""The built wheel works on its own: `python -m build`, installed (not editable) into a fresh virtualenv,
used from a temporary directory outside the checkout — the catalog, the emulator answering one
request, `transform` on a case, the shipped captures, and a `ConformanceSuite` subclass under pytest.

Needs `build` (tox -e wheel installs it) and registry access for the wheel's dependencies; slow
(a minute or two), so `tox -e py` skips it when `build` is absent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
# `build.__main__`, not `build`: a checkout's build/ folder imports as an empty namespace package
if importlib.util.find_spec("build") is None or importlib.util.find_spec("build.__main__") is None:
    pytest.skip("the wheel check needs `build` (tox -e wheel installs it)", allow_module_level=True)

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
        "targets/node/pi-ai/package-lock.json", "cassettes/real_captures/moonpalace/PROVENANCE.md"]
divergences = sorted(p.name for p in (root / "divergences").iterdir() if p.suffix in (".json", ".yaml", ".yml"))
captures = [p for p in (root / "cassettes" / "real_captures").rglob("*") if p.is_file()]
print(json.dumps({"file": harness.__file__, "missing": [n for n in need if not (root / n).is_file()],
                  "divergences": divergences, "captures": len(captures)}))
"""


def run(cmd, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False, **kw)
    assert r.returncode == 0, f"{cmd}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin dir, work dir): the wheel installed into a fresh venv; work dir outside the checkout."""
    base = tmp_path_factory.mktemp("wheel")
    run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--outdir",
            str(base / "dist"),
            str(REPO),
        ]
    )
    (wheel,) = (base / "dist").glob("kimi_conformance-*.whl")
    run([sys.executable, "-m", "venv", str(base / "venv")])
    bin_dir = base / "venv" / "bin"
    run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ]
    )
    work = base / "work"
    work.mkdir()
    assert REPO not in work.parents
    return bin_dir, work


def env_outside() -> dict[str, str]:
    # nothing from the checkout or its venv may leak in
    return {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("PYTEST_")
    }


def test_the_wheel_carries_every_data_file(installed):
    bin_dir, work = installed
    probe = json.loads(run([str(bin_dir / "python"), "-c", DATA_PROBE], cwd=work, env=env_outside()).stdout)
    assert str(bin_dir.parent) in probe["file"], f"harness imported from {probe['file']}, not the wheel"
    assert probe["missing"] == []
    assert probe["divergences"] and probe["captures"] >= 30


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
