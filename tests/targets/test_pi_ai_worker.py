"""The pi-ai worker takes only what pi-ai's public API expresses (issue 21, item 2).

A request's own `store` or `reasoning_effort` is pi-ai's decision (compat.supportsStore -> store:
false; the `reasoning` level -> reasoning_effort): the worker could only write a caller's value over
pi-ai's body through onPayload, after the fact, so both are refused as not expressible — by the
target's precheck and by the worker itself. A custom provider's Model object carries the catalog's
facts of the model (harness.targets.openclaw.catalog_row). Skips when pi-ai is not installed.
"""

from __future__ import annotations

import pytest

from harness.targets import NotExpressible, create
from harness.targets.node import install as node_install

USER = [{"role": "user", "content": "hi"}]
SYSTEM = [{"role": "system", "content": "SYS"}, *USER]
NATIVE = {"id": "my-kimi", "baseUrl": "https://api.moonshot.ai/v1", "compat": {"supportsDeveloperRole": True}}


@pytest.fixture(scope="module")
def target():
    if not node_install.is_installed("pi-ai"):
        pytest.skip("pi-ai not installed, run: tox -e pi-ai (or python -m harness.targets.node.install pi-ai)")
    t = create("pi-ai")
    yield t
    t.close()


def case(model="moonshot/kimi-k2.6", provider=None, thinking=None, **request):
    request.setdefault("messages", USER)
    request.setdefault("stream", True)
    return {"model": model, "provider": provider, "thinking": thinking, "request": request}


@pytest.mark.parametrize("field,value", [("store", True), ("store", False), ("reasoning_effort", "high")])
@pytest.mark.integration
def test_fields_pi_ai_decides_are_not_expressible(target, field, value):
    with pytest.raises(NotExpressible, match=f"request.{field}"):
        target.transform(case(**{field: value}))
    # the worker refuses them too (a caller bypassing the precheck gets no after-the-fact injection)
    with pytest.raises(NotExpressible, match=f"request.{field}"):
        target._call("transform", "a case", case=case(**{field: value}))


@pytest.mark.integration
def test_fields_pi_ai_never_decides_still_go_out_through_on_payload(target):
    body = target.transform(case(top_p=0.5, seed=7))["body"]
    assert body["top_p"] == 0.5 and body["seed"] == 7
    assert "store" not in body and "reasoning_effort" not in body  # pi-ai's Moonshot compat sends neither


@pytest.mark.integration
def test_model_object_carries_the_catalogs_reasoning_flag(target):
    # convertMessages: developer only for `model.reasoning && compat.supportsDeveloperRole`
    k26 = target.transform(case(provider=NATIVE, messages=SYSTEM))["body"]  # the catalog's K2.6: reasoning false
    assert k26["messages"][0]["role"] == "system"
    turbo = target.transform(case("moonshot/kimi-k2-thinking-turbo", provider=NATIVE, messages=SYSTEM))["body"]
    assert turbo["messages"][0]["role"] == "developer"
    # the catalog's maxTokens is the Model object's: K2 Turbo 16384 (not the 262144 a bare object would get)
    k2t = target.transform(case("moonshot/kimi-k2-turbo", provider=NATIVE))["body"]
    assert k2t["max_tokens"] == 16384
