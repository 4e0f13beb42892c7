"""`kimi-conformance catalog --drift`: the integrations' model lists read from their files (fixtures
here, so nothing depends on what is installed), compared with the catalog and the allow-list."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path

import pytest

from harness import catalog
from harness.catalog import drift
from harness.cli.main import main

FIX = Path(__file__).parent / "drift_fixtures"
FROM = [
    "--from",
    f"openclaw={FIX / 'openclaw'}",
    "--from",
    f"pi-ai={FIX / 'pi-ai'}",
    "--from",
    f"litellm={FIX / 'litellm' / 'model_prices.json'}",
    "--from",
    f"pydantic-ai={FIX / 'pydantic_ai'}",
]
K31 = ("kimi-k3.1-pro", "kimi-k3.1-pro-highspeed")


def ids(integration: drift.Integration) -> set[str]:
    return {k.id for k in integration.models}


def test_openclaw_reads_the_docs_tables_and_plugin_manifests():
    oc = drift.read_openclaw(FIX / "openclaw")
    assert oc.version == "2026.9.6"
    assert ids(oc) == {
        "kimi-k3",
        "kimi-k2.7-code",
        "kimi-k2.7-code-highspeed",
        "k3",
        "k3-256k",
        "kimi-k2.6",
        "kimi-for-coding",
    }
    assert {k.id: k.where for k in oc.models}["k3"] == "kimi"  # Kimi Coding's table
    assert any("@openclaw/kimi-provider" in f for f in oc.files)  # an external provider plugin beside it
    # a reseller provider's Kimi model in a manifest is not OpenClaw's Moonshot model
    assert "kimi-k9-reseller" not in ids(oc)


def test_pi_ai_reads_only_the_moonshot_and_kimi_providers():
    pi = drift.read_pi_ai(FIX / "pi-ai")
    assert pi.version == "0.73.1"
    assert {"kimi-for-coding", "kimi-k2-thinking", "kimi-k2-0711-preview", "kimi-k2-thinking-turbo"} <= ids(pi)
    assert not any(i.startswith("MiniMax") for i in ids(pi))


def test_litellm_reads_its_moonshot_provider_and_deprecation_dates():
    ll = drift.read_litellm(FIX / "litellm" / "model_prices.json", "1.104.0", today=datetime.date(2026, 12, 6))
    by_id = {k.id: k for k in ll.models}
    assert set(by_id) == {"kimi-k3", "kimi-k2.6", "moonshot-v1-8k", "kimi-k2-old-made-up"}
    # kimi-k3-fast / kimi-k3-us are Fireworks AI routers in this map, not Moonshot ids
    assert "kimi-k3-fast" not in by_id and "kimi-k3-us" not in by_id
    assert by_id["kimi-k2-old-made-up"].current is False and by_id["kimi-k3"].current is True


def test_pydantic_ai_reads_the_model_names_and_thinking_without_importing():
    pa = drift.read_pydantic_ai(FIX / "pydantic_ai", "2.78.0")
    assert [k.id for k in pa.models][:3] == ["kimi-k3", *K31]
    notes = {k.id: k.note for k in pa.models}
    assert notes["kimi-k3.1-pro"] == 'thinking=False sends {"reasoning_effort": "low"}'
    assert notes["kimi-k2.6"] == 'thinking=False sends {"thinking": {"type": "disabled"}}'
    assert notes["kimi-k2.7-code"] == "thinking=False sends nothing"


def catalog_without(tmp_path: Path, *model_ids: str) -> Path:
    """The built-in catalog as it was before it gained these models (a replace-mode user catalog)."""
    data = copy.deepcopy(catalog.builtin().data)
    for prov in data["providers"].values():
        prov["models"] = [m for m in prov["models"] if m["id"] not in model_ids]
    data["aliases"] = {a: r for a, r in data["aliases"].items() if r.split("/", 1)[1] not in model_ids}
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    return path


def test_k31_pro_is_missing_before_the_catalog_gains_it_and_passes_after(tmp_path, capsys):
    old = catalog_without(tmp_path, *K31)
    assert main(["catalog", "--drift", "--catalog", str(old), *FROM]) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("kimi-k3.1-pro "))
    assert "moonshotai" in row and row.rstrip().endswith("MISSING")
    assert "missing from catalog" in out and "kimi-k3.1-pro-highspeed" in out

    assert main(["catalog", "--drift", *FROM]) == 0
    out = capsys.readouterr().out
    assert "moonshot/kimi-k3.1-pro" in out and "MISSING" not in out


def test_json_output_is_data(tmp_path, capsys):
    old = catalog_without(tmp_path, *K31)
    assert main(["catalog", "--drift", "--json", "--catalog", str(old), *FROM]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["missing"] == list(K31)
    row = next(m for m in report["models"] if m["id"] == "kimi-k3.1-pro")
    assert row["verdict"] == "missing" and list(row["knownBy"]) == ["pydantic-ai"]


def test_every_integration_not_installed_is_listed_never_an_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KIMI_CONFORMANCE_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(drift, "python_package_dir", lambda module: None)
    assert main(["catalog", "--drift"]) == 0
    out = capsys.readouterr().out
    for name in ("openclaw", "pi-ai", "litellm", "pydantic-ai"):
        assert f"{name}: not installed" in out


def test_an_allow_listed_model_is_not_missing(tmp_path):
    allow = tmp_path / "allow.yaml"
    allow.write_text("omitted:\n  - id: kimi-k3.1-pro\n    reason: |\n      not yet\n      sourced\n")
    cat = catalog.load(catalog_without(tmp_path, *K31))
    report = drift.compare(cat, [drift.read_pydantic_ai(FIX / "pydantic_ai")], drift.load_allow(allow))
    verdicts = {r.id: r.verdict for r in report.rows}
    assert verdicts["kimi-k3.1-pro"] == "allow-listed"
    assert verdicts["kimi-k3.1-pro-highspeed"] == "missing"
    assert next(r for r in report.rows if r.id == "kimi-k3.1-pro").allowed == "not yet sourced"


def test_the_shipped_allow_list_gives_every_entry_a_reason():
    allow = drift.load_allow()
    assert {"kimi-k3-fast", "kimi-k3-us", "moonshot-v1-8k"} <= set(allow["omitted"])
    assert all(a.reason for section in allow.values() for a in section.values())
    # an allow-list entry never hides a model the catalog has
    assert not set(allow["omitted"]) & set(drift.catalog_ids(catalog.builtin()))


@pytest.mark.parametrize(
    "text, says",
    [
        ("omitted: [\n", "not YAML"),
        ("omitted:\n  - id: x\n", "omitted[0] needs an `id` and a non-empty `reason`"),
        ("omited: []\n", "unknown key(s) omited"),
    ],
)
def test_a_bad_allow_list_is_one_line_naming_it(tmp_path, capsys, text, says):
    bad = tmp_path / "allow.yaml"
    bad.write_text(text)
    assert main(["catalog", "--drift", "--allow-list", str(bad), *FROM]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(bad) in err and says in err


def test_a_broken_integration_file_is_one_line_naming_it(tmp_path, capsys):
    (tmp_path / "providers").mkdir()
    (tmp_path / "providers" / "moonshotai.py").write_text("MoonshotAIModelName = (\n")
    assert main(["catalog", "--drift", "--from", f"pydantic-ai={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "moonshotai.py: not Python" in err


def test_a_pi_ai_file_of_another_layout_is_named(tmp_path):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "models.generated.js").write_text('export const MODELS = {\n  "moonshotai": {}\n};\n')
    with pytest.raises(drift.DriftError, match="no provider keys found"):
        drift.read_pi_ai(tmp_path)


def test_a_bad_from_is_one_line(capsys):
    assert main(["catalog", "--drift", "--from", "vercel=/nowhere"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--from 'vercel=/nowhere'" in err


@pytest.mark.parametrize("mid", K31)
def test_each_new_model_carries_its_sources(mid):
    m = catalog.builtin().resolve(f"moonshot/{mid}")
    text = " ".join(m.data["source"])
    assert "pydantic-ai-slim 2.78.0" in text and "providers/moonshotai.py" in text
    assert "genai-prices 0.2.5" in text and "platform.kimi.ai/docs/pricing" in text
    for fact in ("thinking", "contextWindow", "cost", "input", "maxTokens"):
        assert fact in text, f"{mid}: no source for {fact}"
    assert m.thinking_mode == "effort"  # the reference's K3 rules apply through the catalog's mode
