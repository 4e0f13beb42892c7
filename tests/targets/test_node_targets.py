"""The Node worker targets (openclaw, pi-ai) through harness.targets: one worker per target
instance, versions reported, protocol errors mapped (unsupported -> NotExpressible, case_error ->
CaseError, crash -> TargetError), a hung worker restarted. Skips with the install hint when a
target is not installed."""

from __future__ import annotations

import pytest

from harness.errors import CaseError, TargetError, TargetUnavailable
from harness.targets import NotExpressible, create
from harness.targets.node import install as node_install

PACKAGES = {"openclaw": "openclaw", "pi-ai": "@mariozechner/pi-ai"}
USER = [{"role": "user", "content": "hi"}]


def case(model="moonshot/kimi-k2.6", **request):
    request.setdefault("messages", USER)
    request.setdefault("stream", True)
    return {"model": model, "thinking": "off", "request": request}


@pytest.fixture(scope="module", params=sorted(PACKAGES))
def target(request):
    name = request.param
    if not node_install.is_installed(name):
        pytest.skip(f"{name} not installed, run: tox -e {name} (or python -m harness.targets.node.install {name})")
    t = create(name)
    yield t
    t.close()


@pytest.mark.integration
def test_versions_and_single_start(target):
    versions = target.versions()
    assert versions[PACKAGES[target.name]] == node_install.target_version(target.name)
    assert versions["node"].startswith("24.")
    for _ in range(5):
        target.transform(case())
    assert target.starts == 1, "the worker must start once per session, not per case"


@pytest.mark.integration
def test_outbound_request(target):
    out = target.transform(case(max_tokens=10))
    assert out["method"] == "POST"
    assert out["url"] == "https://api.moonshot.ai/v1/chat/completions"
    assert out["headers"]["authorization"] == "Bearer <redacted>"
    assert out["body"]["model"] == "kimi-k2.6" and out["body"]["max_tokens"] == 10


@pytest.mark.integration
def test_unsupported_is_not_expressible(target):
    with pytest.raises(NotExpressible):
        target.transform(case(stream=False))
    with pytest.raises(NotExpressible):
        target.transform(
            case("acme/kimi-for-coding")
        )  # neither has it (openclaw: nix-openclaw's kimi provider; pi-ai: its kimi-coding, test_anthropic_pi_ai.py)


@pytest.mark.integration
def test_case_error(target):
    with pytest.raises(CaseError):
        target.transform({"model": "moonshot/kimi-k2.6", "thinking": "sometimes", "request": {"messages": USER}})


@pytest.mark.integration
def test_crash_is_target_error_and_the_worker_comes_back(target):
    with pytest.raises(TargetError):
        target._call("__exit", "a crash")
    assert target.transform(case())["body"]["model"] == "kimi-k2.6"


@pytest.mark.integration
def test_timeout_restarts_the_worker(target):
    starts = target.starts
    saved = target.process.timeout
    target.process.timeout = 1.0
    try:
        with pytest.raises(TargetError, match="restarted"):
            target._call("__hang", "a hung case")
    finally:
        target.process.timeout = saved
    assert target.transform(case())["body"]["model"] == "kimi-k2.6"
    assert target.starts == starts + 1


@pytest.mark.integration
def test_usage_op(target):
    chunks = [
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "kimi-k2.6",
            "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": None}],
        },
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "kimi-k2.6",
            "choices": [],
            "usage": {
                "prompt_tokens": 1000,
                "completion_tokens": 100,
                "total_tokens": 1100,
                "prompt_tokens_details": {"cached_tokens": 400},
            },
        },
    ]
    u = target.usage("moonshot/kimi-k2.6", chunks)
    assert (u["input"], u["output"], u["cacheRead"]) == (600, 100, 400)
    assert u["cost"]["total"] == pytest.approx(0.001034)


def test_not_installed_hint(tmp_path):
    with pytest.raises(
        TargetUnavailable,
        match=r"not installed, run: tox -e openclaw \(or python -m harness.targets.node.install openclaw\)",
    ):
        from harness.targets.openclaw import OpenClawTarget

        OpenClawTarget(cache_dir=tmp_path / "nowhere")


def test_unpinned_version_is_unavailable():
    from harness.targets.openclaw import OpenClawTarget

    with pytest.raises(TargetUnavailable, match="not the pinned version"):
        OpenClawTarget("2020.1.1")


@pytest.mark.integration  # the real install: `integration` runs after `nodes`; `py` runs beside it (.ci/run)
def test_openclaw_declines_what_the_npm_package_cannot_run():
    """OpenClaw's Kimi plugin (Anthropic Messages) is not on npm, and a catalog alias spelled as a
    ref would become a configured model of its own: both are refused before any worker call;
    nix-openclaw's openai-completions kimi/ models run."""
    if not node_install.is_installed("openclaw"):
        pytest.skip("openclaw not installed, run: tox -e openclaw")
    from harness.targets.openclaw import CAPABILITIES, OpenClawTarget

    target = OpenClawTarget()
    try:
        for model in ("kimi/kimi-for-coding", "kimi/k3", "kimi/kimi-k2.5"):
            with pytest.raises(NotExpressible):
                target.precheck(case(model))
        target.precheck(case("kimi/kimi-k2p5"))  # nix-openclaw's provider
        target.precheck({**case("kimi/kimi-for-coding"), "provider": {"id": "my-kimi", "baseUrl": "https://x.test/v1"}})
        assert "kimi/kimi-for-coding" in CAPABILITIES.models_not_applicable
        assert "kimi/kimi-k2p5" not in CAPABILITIES.models_not_applicable
        assert target.process._proc is None  # decided without starting OpenClaw
    finally:
        target.close()
