"""The live smoke test of the documents (docs/contract.md#smoke): `Reply exactly: KIMI_LIVE_OK`, thinking off,
to each provider's default model (moonshot -> kimi-k2.6, kimi -> kimi-for-coding, or the config's
`agents.defaults.model.primary` for its provider; `--kimi-model` picks others). The answer must be
exactly KIMI_LIVE_OK; usage is normalized and priced at the catalog rates (T9).

Runs only online: `--kimi-live` (keys from the environment, then from the `--kimi-config` file; skipped
naming the variables without one) or `--kimi-upstream URL` (e.g. the emulator). Offline it is skipped.
"""

import pytest

pytestmark = [pytest.mark.area("live"), pytest.mark.rule("live")]  # rules.json: "live smoke test"


def pytest_generate_tests(metafunc):
    if "smoke_ref" not in metafunc.fixturenames:
        return
    from harness.cli.smoke import default_models
    from harness.pytest_plugin.plugin import _catalog

    cat = _catalog(metafunc.config)
    wanted = metafunc.config.getoption("model")
    # a retired model cannot answer: --kimi-model picks among the current ones
    refs = (
        [m.ref for m in map(cat.resolve, wanted) if m.status != "retired"]
        if wanted
        else [m.ref for m in default_models(cat)]
    )
    metafunc.parametrize("smoke_ref", refs)


def test_smoke(smoke_ref, wire_settings, catalog, request, record_property):
    from harness.catalog.user_config import Secrets, parse
    from harness.cli.endpoints import EMULATOR_KEYS
    from harness.cli.smoke import SMOKE_ANSWER, smoke_one
    from harness.online.keys import key_owner, missing_key_reason, run_key

    if not wire_settings.online:
        pytest.skip(
            "the smoke test talks to an API: give --kimi-live (MOONSHOT_API_KEY / KIMI_API_KEY) or --kimi-upstream URL"
        )
    model = catalog.resolve(smoke_ref)
    if wire_settings.upstream and wire_settings.upstream_for(model) is None:
        pytest.skip(f"--kimi-upstream stands in for moonshot and kimi only, not {model.provider.id}")
    key = EMULATOR_KEYS.get(model.provider.id, EMULATOR_KEYS["moonshot"])
    if wire_settings.live:
        config_path = request.config.getoption("catalog")
        secrets = parse(config_path).secrets if config_path else Secrets()
        # the config's own key first, as the CLI does; then the provider's own variables only
        key = run_key(model.provider, catalog, secrets.get(model.provider.id))
        if not key:
            own = [n for n in model.provider.auth_env if key_owner(catalog, n) == model.provider.id]
            pytest.skip(
                missing_key_reason(own, model.provider.id)
                + " (its own key: another provider's variable or value is never sent to this host)"
            )
    fact = smoke_one(wire_settings, model, key, catalog)
    # not run, as in the wire suites: --kimi-budget-usd reached, or the upstream is broken, throttled
    # (still 429 / 5xx after the retries) or gone; no answer to judge, so never a FAIL
    if "skipped" in fact:
        pytest.skip(fact["skipped"])
    record_property("smoke", fact)  # provider, model, endpoint, answer, usage: never the key
    assert "error" not in fact, fact["error"]
    assert fact["answer"] == SMOKE_ANSWER, f"{model.ref} answered {fact['answer']!r}"
    usage = fact["usage"]
    if usage is not None:  # "when Moonshot returns usage" (docs/contract.md#smoke)
        assert usage["totalTokens"] > 0 and usage["cost"]["total"] >= 0
