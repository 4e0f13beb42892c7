"""The `litellm` target: LiteLLM's Moonshot provider driven in process (skipped without litellm).

Checks the case -> litellm.completion mapping, that requests are captured without network, and
that every entry of harness/divergences/litellm.yaml still reproduces on its minimal case.
"""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before litellm is imported: no cost-map fetch
# Found, not imported: importing litellm takes seconds, and every xdist worker collects this module;
# only the worker that runs these tests pays it.
if importlib.util.find_spec("litellm") is None:
    pytest.skip("litellm is not installed (tox -e litellm)", allow_module_level=True)

from harness.divergences.model import Divergences
from harness.engine.replay import replay
from harness.targets import NotExpressible, create

HI = {"role": "user", "content": "hi"}


@pytest.fixture(scope="module")
def litellm_target():
    target = create("litellm")
    yield target
    target.close()


def test_captures_what_litellm_would_send(litellm_target):
    out = litellm_target.transform({"model": "Kimi K2.6", "request": {"messages": [HI], "seed": 3}})
    assert out["method"] == "POST"
    assert out["url"] == "https://api.moonshot.ai/v1/chat/completions"  # LiteLLM's default base
    assert out["body"]["model"] == "kimi-k2.6" and out["body"]["seed"] == 3
    assert out["headers"]["authorization"] == "Bearer <redacted>"
    assert "sk-conformance" not in json.dumps(out)


def test_no_socket_is_opened_and_the_session_is_given_back(monkeypatch):
    import socket

    import litellm

    from harness.targets.capture_transport import CaptureTransport

    monkeypatch.setattr(litellm, "client_session", None)
    target = create("litellm")
    try:
        # LiteLLM's documented hook carries the capture
        assert isinstance(litellm.client_session._transport, CaptureTransport)

        def refuse(*args, **kwargs):
            raise AssertionError("the litellm target opened a socket")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        for stream in (False, True):
            case = {"model": "moonshot/kimi-k2.6", "request": {"messages": [HI], "stream": stream}}
            if stream:
                case["request"]["stream_options"] = {"include_usage": True}
            out = target.transform(case)
            assert (
                out["body"]["stream"] is stream if stream else "stream" not in out["body"] or not out["body"]["stream"]
            )
    finally:
        target.close()
    assert litellm.client_session is None


def test_custom_base_url_is_litellm_api_base(litellm_target):
    case = {
        "model": "moonshot/kimi-k2.6",
        "provider": {"id": "moonshot", "baseUrl": "https://api.moonshot.cn/v1"},
        "request": {"messages": [HI]},
    }
    assert litellm_target.transform(case)["url"] == "https://api.moonshot.cn/v1/chat/completions"


def test_mapping(litellm_target):
    kwargs, base = litellm_target.kwargs_for(
        {
            "model": "moonshot/kimi-k2.6",
            "thinking": "off",
            "params": {"thinking": {"type": "enabled", "keep": "all"}, "temperature": 0.7, "extra_body": {"x": 1}},
            "request": {"messages": [HI], "thinking": {"type": "disabled"}, "temperature": 0.2, "user": "u"},
        }
    )
    assert base is None
    assert kwargs["model"] == "moonshot/kimi-k2.6"
    assert kwargs["reasoning_effort"] == "none"  # /think off, LiteLLM's one thinking control
    assert kwargs["extra_body"] == {"thinking": {"type": "enabled", "keep": "all"}, "x": 1}  # configured wins
    assert kwargs["temperature"] == 0.7 and kwargs["user"] == "u"


def test_a_failure_after_sending_judges_the_sent_request(litellm_target):
    """An extra body's `stream: true`: LiteLLM sends a streamed request it built as non-streamed, then
    fails reading the SSE answer as JSON. What it sent is the outcome, not a crash of the target."""
    import litellm

    case = {
        "model": "moonshot/kimi-k2-turbo",
        "params": {"extra_body": {"stream": True}},
        "request": {"messages": [HI]},
    }
    with pytest.raises(litellm.InternalServerError, match="Empty or invalid response"):  # LiteLLM's own failure
        litellm.completion(
            api_base="http://127.0.0.1:9/v1",
            api_key="k",
            max_retries=0,
            num_retries=0,
            **litellm_target.kwargs_for(case)[0],
        )
    out = litellm_target.transform(case)
    assert out["body"]["stream"] is True
    assert "stream_options" not in out["body"]
    assert out["body"]["messages"] == [HI]


def test_a_failure_before_sending_is_a_target_error(litellm_target, monkeypatch):
    import litellm

    from harness.errors import TargetError

    def broken(**kwargs):
        raise RuntimeError("boom before any request")

    monkeypatch.setattr(litellm, "completion", broken)
    with pytest.raises(TargetError, match=r"got 0 \(litellm.completion raised RuntimeError: boom before any request\)"):
        litellm_target.transform({"model": "moonshot/kimi-k2.6", "request": {"messages": [HI]}})


@pytest.mark.parametrize(
    "case",
    [
        {"model": "kimi/kimi-for-coding", "request": {"messages": [HI]}},
        {"model": "moonshot/kimi-k2.6", "params": {"thinking": "on"}, "request": {"messages": [HI]}},
        {
            "model": "moonshot/kimi-k2.6",
            "provider": {"id": "my-kimi", "baseUrl": "https://api.moonshot.ai/v1", "sanitizeToolCallIds": True},
            "request": {"messages": [HI]},
        },
        # LiteLLM refuses reasoning_effort on models its cost map does not mark as reasoning
        {"model": "moonshot/kimi-k2-turbo", "thinking": "high", "request": {"messages": [HI]}},
    ],
    ids=["kimi-coding", "openclaw-spelling", "sanitize-switch", "refused-param"],
)
def test_not_expressible(litellm_target, case):
    with pytest.raises(NotExpressible):
        litellm_target.transform(case)


def test_kimi_coding_models_not_applicable(litellm_target):
    caps = litellm_target.capabilities
    assert "kimi/kimi-for-coding" in caps.models_not_applicable
    assert "moonshot/kimi-k2.6" not in caps.models_not_applicable
    assert "T9" not in caps.rules and caps.why_not["T9"]
    assert "errors" in caps.rules and "errors" not in caps.why_not  # malformed cases reach LiteLLM itself


ENTRIES = [d for d in Divergences.for_target("litellm") if d.observer == "harness"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_known_divergence_still_reproduces(litellm_target, entry):
    result = replay(entry, litellm_target)
    assert result.still_diverges, f"{entry.id}: the minimal case no longer diverges: remove or update the entry"
    assert not result.coverage.uncovered, f"{entry.id}: violations no entry covers: {result.coverage.uncovered}"


def test_levels_are_left_out_exactly_where_litellm_refuses_them(litellm_target):
    from harness.catalog import builtin

    removed = litellm_target.capabilities.model_features_removed
    assert removed, "LiteLLM's cost map marks some Moonshot models as non-reasoning"
    for m in builtin().models():
        if not m.ref.startswith("moonshot/"):
            continue
        case = {"model": m.ref, "thinking": "low", "request": {"messages": [HI]}}
        refused = False
        try:
            litellm_target.transform(case)
        except NotExpressible:
            refused = True
        assert refused == (m.ref in removed), m.ref
        assert ("thinking_level" in litellm_target.capabilities.features_for(m.ref)) is not refused


# ------------------------------------------------------------------------- the `errors` rule (bad cases)
def test_a_malformed_case_reaches_litellm_as_written(litellm_target, monkeypatch):
    """No case-schema check in the driver: litellm.completion itself sees messages="hi"."""
    import litellm

    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        raise litellm.BadRequestError("messages must be a list", model=kwargs["model"], llm_provider="moonshot")

    monkeypatch.setattr(litellm, "completion", fake)
    from harness.errors import CaseError

    with pytest.raises(CaseError, match="LiteLLM rejected the case: BadRequestError: .*messages must be a list"):
        litellm_target.transform({"model": "moonshot/kimi-k2.6", "request": {"messages": "hi"}})
    assert seen["messages"] == "hi" and seen["model"] == "moonshot/kimi-k2.6"


def test_the_driver_hands_litellm_what_the_user_would_write(litellm_target):
    kwargs, _ = litellm_target.kwargs_for(
        {"model": "moonshot/kimi-k9", "thinking": "max", "request": {"messages": [], "temperature": "hot"}}
    )
    assert kwargs == {"model": "moonshot/kimi-k9", "messages": [], "temperature": "hot", "reasoning_effort": "max"}
    with pytest.raises(NotExpressible, match="no model"):  # model is litellm.completion's required argument
        litellm_target.kwargs_for({"request": {"messages": [HI]}})


def test_a_well_formed_case_that_litellm_fails_on_stays_a_target_error(litellm_target, monkeypatch):
    """Only a malformed case's refusal is a rejection: the same exception on a good case is a crash."""
    import litellm

    from harness.errors import TargetError

    def fake(**kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(litellm, "completion", fake)
    with pytest.raises(TargetError, match="ValueError: boom"):
        litellm_target.transform({"model": "moonshot/kimi-k2.6", "request": {"messages": [HI]}})


def test_a_driver_that_swallows_litellms_rejection_fails_the_errors_rule(litellm_target):
    """The broken variant, as data: a transform that swallows LiteLLM's refusal and sends the case
    anyway is errors.accepted at the bad case's path; the real driver passes the same bad case."""
    from harness.rules import errors

    bad = next(b for b in errors.bad_cases() if b["id"] == "messages-not-a-list")
    assert errors.violations(bad["case"], litellm_target.transform, (NotExpressible,)) == []  # LiteLLM refuses

    from tests.mutants import sending_anyway

    found = errors.violations(bad["case"], sending_anyway(litellm_target.transform), (NotExpressible,))
    assert [(v.check, v.path, v.actual) for v in found] == [("errors.accepted", "/body/messages", "hi")]
