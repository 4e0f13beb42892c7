"""The catalog: data validated by its schema, every ref of docs/contract.md#catalog resolving."""

import json

import pytest

from harness import catalog
from harness.errors import CatalogError
from harness.reference import transform

# Every ref docs/contract.md#catalog names, with what it must resolve to.
CONTRACT_REFS = {
    "moonshot/kimi-k2.6": "moonshot/kimi-k2.6",
    "moonshot/kimi-k2.7-code": "moonshot/kimi-k2.7-code",
    "moonshot/kimi-k2.7-code-highspeed": "moonshot/kimi-k2.7-code-highspeed",
    "moonshot/kimi-k2.5": "moonshot/kimi-k2.5",
    "moonshot/kimi-k2-thinking": "moonshot/kimi-k2-thinking",
    "moonshot/kimi-k2-thinking-turbo": "moonshot/kimi-k2-thinking-turbo",
    "moonshot/kimi-k2-turbo": "moonshot/kimi-k2-turbo",
    "moonshot/kimi-k2-0905-preview": "moonshot/kimi-k2-0905-preview",
    "moonshot/kimi-k2-turbo-preview": "moonshot/kimi-k2-turbo-preview",
    "moonshot/kimi-k3": "moonshot/kimi-k3",
    "kimi/kimi-for-coding": "kimi/kimi-for-coding",
    "kimi/kimi-code": "kimi/kimi-for-coding",
    "kimi/k2p5": "kimi/kimi-for-coding",
    "kimi-coding/k2p5": "kimi/kimi-for-coding",
    "kimi-coding/kimi-for-coding": "kimi/kimi-for-coding",
    "kimi/kimi-for-coding-highspeed": "kimi/kimi-for-coding-highspeed",
    "kimi/k3": "kimi/k3",
    "kimi/k3-256k": "kimi/k3-256k",
    "kimi/kimi-k2p5": "kimi/kimi-k2p5",
    "kimi/kimi-k2-0711-preview": "kimi/kimi-k2-0711-preview",
    "kimi/kimi-latest": "kimi/kimi-latest",
    "Kimi K2.6": "moonshot/kimi-k2.6",
    "Kimi K2.7 Code": "moonshot/kimi-k2.7-code",
    "Kimi": "kimi/kimi-for-coding",
    "k2": "kimi/kimi-k2p5",
    "k2-thinking": "kimi/kimi-k2-thinking",
    "kimi-k2p5": "kimi/kimi-k2p5",
}


@pytest.fixture(scope="module")
def cat():
    return catalog.builtin()


@pytest.mark.parametrize("ref,canonical", sorted(CONTRACT_REFS.items()))
def test_every_contract_ref_resolves(cat, ref, canonical):
    assert cat.resolve(ref).ref == canonical


@pytest.mark.parametrize("ref", sorted(CONTRACT_REFS))
def test_reference_transform_resolves_every_ref(ref):
    out = transform({"model": ref, "request": {"messages": [{"role": "user", "content": "hi"}]}})
    model = catalog.builtin().resolve(ref)
    assert out["body"]["model"] == model.id
    # each model's own surface: chat completions, or Anthropic Messages for Kimi Coding's models
    path = "/v1/messages" if model.api == "anthropic-messages" else "/chat/completions"
    assert out["url"] == model.base_url + path


@pytest.mark.parametrize("legacy", ["kimi/kimi-code", "kimi/k2p5", "kimi-coding/k2p5"])
def test_legacy_refs_go_out_as_kimi_for_coding(legacy):
    out = transform({"model": legacy, "request": {"messages": [{"role": "user", "content": "hi"}]}})
    assert out["body"]["model"] == "kimi-for-coding"
    assert out["url"] == "https://api.kimi.com/coding/v1/messages"  # OpenClaw's Kimi plugin surface [oc]


def test_china_region_goes_to_moonshot_cn():
    out = transform(
        {
            "model": "moonshot/kimi-k2.6",
            "provider": {"id": "moonshot", "baseUrl": "https://api.moonshot.cn/v1"},
            "request": {"messages": [{"role": "user", "content": "hi"}], "stream": True},
        }
    )
    assert out["url"] == "https://api.moonshot.cn/v1/chat/completions"
    assert out["body"]["stream_options"] == {"include_usage": True}


def test_both_regions_are_in_the_catalog(cat):
    endpoints = cat.providers["moonshot"].endpoints()
    assert endpoints["international"]["baseUrl"] == "https://api.moonshot.ai/v1"
    assert endpoints["china"]["baseUrl"] == "https://api.moonshot.cn/v1"
    assert endpoints["china"]["authChoice"] == "moonshot-api-key-cn"


def test_unknown_ref_names_the_closest(cat):
    with pytest.raises(CatalogError) as e:
        cat.resolve("moonshot/kimi-k2.66")
    assert "moonshot/kimi-k2.6" in str(e.value) and "closest" in str(e.value)


def test_ambiguous_bare_id_asks_for_the_provider(cat):
    with pytest.raises(CatalogError, match="ambiguous.*kimi/kimi-k2-thinking.*moonshot/kimi-k2-thinking"):
        cat.resolve("kimi-k2-thinking")


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_empty_or_non_string_ref(cat, bad):
    with pytest.raises(CatalogError):
        cat.resolve(bad)


def test_prices_carry_their_unit(cat):
    k26 = cat.resolve("moonshot/kimi-k2.6").cost
    assert (k26["unit"], k26["input"], k26["output"], k26["cacheRead"]) == ("usd_per_mtok", 0.95, 4.0, 0.16)
    nix = cat.resolve("kimi/kimi-k2p5").cost
    assert (nix["unit"], nix["input"], nix["output"]) == ("usd_per_ktok", 0.002, 0.008)


def test_thinking_modes(cat):
    assert cat.resolve("moonshot/kimi-k2.7-code").thinking_mode == "always"
    assert cat.resolve("moonshot/kimi-k2.7-code-highspeed").thinking_mode == "always"
    assert cat.resolve("moonshot/kimi-k2.6").thinking_mode == "binary"
    assert cat.resolve("moonshot/kimi-k3").thinking_mode == "effort"
    assert cat.resolve("kimi/kimi-for-coding").thinking_mode == "none"
    assert [m.ref for m in cat if m.thinking.get("keep")] == ["moonshot/kimi-k2.6"]


def test_nix_compat_flags(cat):
    compat = cat.resolve("kimi/kimi-k2p5").compat
    assert compat == {
        "maxTokensField": "max_tokens",
        "supportsDeveloperRole": False,
        "supportsReasoningEffort": True,
        "supportsStore": False,
    }


def test_schema_rejects_a_corrupted_catalog():
    data = json.loads(catalog.BUILTIN_PATH.read_text())
    data["providers"]["moonshot"]["models"][0]["cost"]["unit"] = "usd"
    del data["providers"]["moonshot"]["models"][1]["thinking"]
    with pytest.raises(CatalogError) as e:
        catalog.Catalog(data)
    assert "$.providers.moonshot.models[0].cost.unit" in str(e.value)
    assert "thinking" in str(e.value)


def test_alias_to_unknown_ref_is_an_error():
    data = json.loads(catalog.BUILTIN_PATH.read_text())
    data["aliases"]["oops"] = "moonshot/nope"
    with pytest.raises(CatalogError, match="oops"):
        catalog.Catalog(data)


def test_user_catalog_merges_over_builtin(tmp_path):
    user = tmp_path / "mine.json"
    user.write_text(
        json.dumps(
            {
                "mode": "merge",
                "version": "u1",
                "providers": {
                    "moonshot": {
                        "models": [
                            {"id": "kimi-k2.6", "cost": {"input": 1.5}},
                            {
                                "id": "kimi-k2.8",
                                "input": ["text"],
                                "contextWindow": 1000,
                                "maxTokens": 100,
                                "cost": {"unit": "usd_per_mtok", "input": 1, "output": 2},
                            },
                        ]
                    },
                    "my-proxy": {
                        "baseUrl": "https://proxy.example.test/v1",
                        "models": [
                            {
                                "id": "kimi-k2.6",
                                "input": ["text"],
                                "contextWindow": 10,
                                "maxTokens": 10,
                                "cost": {"unit": "usd_per_mtok", "input": 0, "output": 0},
                            }
                        ],
                    },
                },
            }
        )
    )
    cat = catalog.load(user)
    assert cat.resolve("moonshot/kimi-k2.6").cost["input"] == 1.5
    assert cat.resolve("moonshot/kimi-k2.6").cost["output"] == 4.0  # deep merge keeps the rest
    assert cat.resolve("moonshot/kimi-k2.8").thinking_mode == "binary"
    assert cat.resolve("my-proxy/kimi-k2.6").thinking_mode == "none"
    assert cat.version == "2026.11.21+u1"
    assert len(cat) == len(catalog.builtin()) + 2


def test_openclaw_config_is_a_catalog_and_its_key_is_dropped(tmp_path):
    cfg = tmp_path / "openclaw.json"
    cfg.write_text(
        json.dumps(
            {
                "models": {
                    "mode": "merge",
                    "providers": {
                        "moonshot": {
                            "baseUrl": "https://api.moonshot.cn/v1",
                            "apiKey": "sk-should-never-be-kept-123456",
                            "api": "openai-completions",
                            "models": [
                                {
                                    "id": "kimi-k2.6",
                                    "name": "Kimi K2.6",
                                    "cost": {"input": 0.5, "output": 2, "cacheRead": 0.1, "cacheWrite": 0},
                                }
                            ],
                        }
                    },
                }
            }
        )
    )
    cat = catalog.load(cfg)
    assert cat.providers["moonshot"].base_url == "https://api.moonshot.cn/v1"
    assert cat.resolve("moonshot/kimi-k2.6").cost == {
        "unit": "usd_per_mtok",
        "input": 0.5,
        "output": 2,
        "cacheRead": 0.1,
        "cacheWrite": 0,
    }
    assert "sk-should" not in json.dumps(cat.data)


def test_replace_mode_and_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(CatalogError, match="not valid JSON"):
        catalog.load(bad)
    with pytest.raises(CatalogError, match="not found"):
        catalog.load(tmp_path / "missing.json")
    replace = tmp_path / "replace.json"
    replace.write_text(json.dumps({"mode": "replace", "version": "x", "providers": {}}))
    with pytest.raises(CatalogError, match="providers"):
        catalog.load(replace)
