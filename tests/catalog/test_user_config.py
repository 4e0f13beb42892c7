"""Configs as users write them: JSON5, ${VAR}, apiKeyFile, agents.defaults, per-1K cost figures."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from harness import catalog
from harness.catalog.user_config import parse
from harness.errors import CatalogError
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]
NIX = REPO / "tests" / "data" / "nix-openclaw-kimi.json5"
CANARY = "sk-canary-nixkimi-0123456789abcdef"


def write(tmp_path, text, name="openclaw.json5"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_nix_example_loads_with_its_key_substituted_but_never_kept():
    env = {"KIMI_API_KEY": CANARY}
    cat = catalog.load(NIX, env)
    cfg = parse(NIX, env)
    assert cfg.secrets == {"kimi": CANARY} and CANARY not in repr(cfg) and CANARY not in str(cfg.secrets)
    assert CANARY not in json.dumps(cat.data)
    assert cat.primary == "kimi/kimi-k2p5"  # bare `primary = "kimi-k2p5"` -> its own provider
    assert cat.resolve("k2").ref == "kimi/kimi-k2p5"
    assert cat.resolve("k2-thinking").ref == "kimi/kimi-k2-thinking"  # not moonshot/: this file's provider
    assert cat.resolve("kimi/kimi-k2p5").compat["supportsReasoningEffort"] is True
    assert cat.resolve("kimi/kimi-k2p5").cost["unit"] == "usd_per_mtok"  # OpenClaw cost fields: per 1M
    [warning] = cat.warnings
    assert "kimi-k2p5" in warning and "per 1K" in warning and "input 2, output 8" in warning


def test_missing_variable_is_one_error_naming_file_and_variable():
    with pytest.raises(CatalogError) as e:
        catalog.load(NIX, {})
    assert str(e.value) == f"{NIX}: ${{KIMI_API_KEY}} at $.models.providers.kimi.apiKey is not set in the environment"


def test_escaped_variable_and_json5_syntax(tmp_path):
    p = write(
        tmp_path,
        """{
      // comments, trailing commas, unquoted keys
      models: {providers: {moonshot: {baseUrl: '${BASE}', models: [{id: 'kimi-k2.6', name: 'lit $${NOT_A_VAR}'},],},},},
    }""",
    )
    cat = catalog.load(p, {"BASE": "https://api.moonshot.cn/v1"})
    assert cat.providers["moonshot"].base_url == "https://api.moonshot.cn/v1"
    assert cat.resolve("moonshot/kimi-k2.6").name == "lit ${NOT_A_VAR}"


def test_api_key_file_relative_to_the_config(tmp_path):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "kimi").write_text(CANARY + "\n")
    p = write(tmp_path, json.dumps({"models": {"providers": {"kimi": {"apiKeyFile": "secrets/kimi", "models": []}}}}))
    cfg = parse(p, {})
    assert cfg.secrets["kimi"] == CANARY
    assert CANARY not in json.dumps(catalog.load(p, {}).data)
    missing = write(
        tmp_path, json.dumps({"models": {"providers": {"kimi": {"apiKeyFile": "nope", "models": []}}}}), "m.json"
    )
    with pytest.raises(CatalogError, match=r"m.json: models.providers.kimi.apiKeyFile .*nope.* cannot be read"):
        parse(missing, {})


def test_openclaw_model_aliases_and_web_search_key(tmp_path):
    p = write(
        tmp_path,
        json.dumps(
            {
                "agents": {
                    "defaults": {
                        "model": {"primary": "moonshot/kimi-k2.6"},
                        "models": {"moonshot/kimi-k3": {"alias": "big"}},
                    }
                },
                "plugins": {"entries": {"moonshot": {"config": {"webSearch": {"apiKey": CANARY}}}}},
            }
        ),
    )
    cat = catalog.load(p, {})
    assert cat.resolve("big").ref == "moonshot/kimi-k3" and cat.primary == "moonshot/kimi-k2.6"
    assert parse(p, {}).secrets == {"webSearch": CANARY}
    bad = write(tmp_path, json.dumps({"agents": {"defaults": {"modelAliases": {"x": "no-such-model"}}}}), "b.json")
    with pytest.raises(CatalogError, match=r"b.json: model alias 'x': unknown model ref 'no-such-model'"):
        catalog.load(bad, {})


def test_per_1k_figures_in_a_harness_catalog_are_flagged_too(tmp_path):
    p = write(
        tmp_path,
        json.dumps(
            {
                "version": "u",
                "providers": {
                    "moonshot": {
                        "models": [{"id": "kimi-k2.6", "cost": {"unit": "usd_per_mtok", "input": 0.001, "output": 4}}]
                    }
                },
            }
        ),
        "c.json",
    )
    [w] = catalog.load(p, {}).warnings
    assert "input 0.001" in w and "input 1" in w and "output" not in w.split("per million that would be")[1]
    assert catalog.load(None).warnings == []


def run(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("KIMI_API_KEY", "MOONSHOT_API_KEY", "KIMICODE_API_KEY")}
    env.update(env_extra or {})
    return run_child(
        [sys.executable, *args], check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.integration
def test_cli_reads_the_config_and_fails_in_one_line():
    ok = run("-m", "harness.cli.main", "resolve", "k2", "--config", str(NIX), env_extra={"KIMI_API_KEY": CANARY})
    assert ok.returncode == 0 and "k2 -> kimi/kimi-k2p5" in ok.stdout
    assert "per 1K" in ok.stderr and CANARY not in ok.stdout + ok.stderr
    bad = run("-m", "harness.cli.main", "catalog", "--config", str(NIX))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [
        f"kimi-conformance catalog: {NIX}: ${{KIMI_API_KEY}} at $.models.providers.kimi.apiKey is not set in the environment"
    ]


@pytest.mark.integration
def test_suites_run_for_kimi_k2p5_with_the_nix_config():
    """Seed 000's example config drives the conformance suites; its key appears in no output."""
    r = run(
        "-m",
        "pytest",
        "suites",
        "--kimi-config",
        str(NIX),
        "--kimi-model",
        "kimi/kimi-k2p5",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::pytest.PytestConfigWarning",
        env_extra={"KIMI_API_KEY": CANARY, "CI": "true"},
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert " passed" in out and " failed" not in out
    assert CANARY not in out
