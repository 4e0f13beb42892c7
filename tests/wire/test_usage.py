"""T9 usage parsing and cost: checks are functions of the parser/cost function under test,
so the same checks are shown to catch deliberately divergent implementations."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cassettes.captures import SHIPPED as CAPTURES
from harness.cassettes.captures import capture_files, load_units
from harness.wire.usage import Cost, Usage, estimate_cost, parse_usage, usage_from_dict
from tests.examples import scaled

K26 = {"input": 0.95, "output": 4.00, "cache_read": 0.16, "unit": "usd_per_mtok"}  # floats on purpose


def cap(name: str):
    return next(CAPTURES.rglob(name))


def stream(name: str) -> list[dict]:
    return load_units(cap(name))[1][0].payload


def bodies():
    """(label, payload) for every non-request body in the real captures."""
    out = []
    for f in capture_files(CAPTURES):
        for u in load_units(f)[1]:
            if u.kind != "request":
                out.append((f"{f.name}:{u.root}", u.payload))
    return out


# --- the oracle: raw numbers located in the capture by hand, per shape ----------------------


def raw_usages(payload) -> list[dict] | None:
    if isinstance(payload, dict) and "error" in payload:
        return None
    chunks = payload if isinstance(payload, list) else [payload]
    if isinstance(payload, dict) and payload.get("object") == "chat.completion":
        return [payload["usage"]] if "usage" in payload else None
    tops = [c["usage"] for c in chunks if c.get("usage")]
    if tops:
        return [tops[-1]]
    per_choice = {ch["index"]: ch["usage"] for c in chunks for ch in c["choices"] if "usage" in ch}
    return list(per_choice.values()) or None


def cached_of(raw: dict) -> int:
    top, details = raw.get("cached_tokens"), (raw.get("prompt_tokens_details") or {}).get("cached_tokens")
    if top is not None and details is not None:
        assert top == details or 0 in (top, details), f"capture disagrees with itself: {raw}"
    return max(top or 0, details or 0)


def expected(raws: list[dict]) -> dict:
    prompt = max(r["prompt_tokens"] for r in raws)
    completion = sum(r["completion_tokens"] for r in raws)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": raws[0]["total_tokens"] if len(raws) == 1 else prompt + completion,
        "cached_tokens": max(cached_of(r) for r in raws),
        "reasoning_tokens": sum((r.get("completion_tokens_details") or {}).get("reasoning_tokens", 0) for r in raws),
    }


def got(u: Usage) -> dict:
    return {
        k: getattr(u, k)
        for k in ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens", "reasoning_tokens")
    }


# --- checks, parameterized by the parser under test -------------------------------------------


def check_capture_numbers(parser):
    for label, payload in bodies():
        raws, u = raw_usages(payload), parser(payload)
        if raws is None:
            assert u is None, label
        else:
            assert u is not None and got(u) == expected(raws), label


def check_no_double_count(parser):
    for name in (
        "moonshotai-metadata-live.chunks.txt",
        "moonshotai-usage-live.chunks.txt",
        "moonshotai-max-completion-tokens.chunks.txt",
    ):
        chunks = stream(name)
        finish, trailing = chunks[-2]["choices"][0]["usage"], chunks[-1]["usage"]
        assert chunks[-1]["choices"] == [] and finish == trailing  # both present in the capture
        u = parser(chunks)
        assert (u.prompt_tokens, u.completion_tokens, u.total_tokens) == (
            trailing["prompt_tokens"],
            trailing["completion_tokens"],
            trailing["total_tokens"],
        ), name


def check_top_level_cached(parser):
    chunk = json.loads(cap("kimi-k2-turbo-preview-final-chunk.json").read_text())
    raw = chunk["choices"][0]["usage"]
    assert "prompt_tokens_details" not in raw and raw["cached_tokens"] > 0  # only the top-level field
    assert parser(chunk).cached_tokens == raw["cached_tokens"]
    assert (
        parser({"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11, "cached_tokens": 4}).cached_tokens == 4
    )


def check_reasoning(parser):
    seen = 0
    for label, payload in bodies():
        raws = raw_usages(payload) or []
        want = sum((r.get("completion_tokens_details") or {}).get("reasoning_tokens", 0) for r in raws)
        if want:
            seen += 1
            assert parser(payload).reasoning_tokens == want, label
    assert seen >= 10


def check_cost(parser):
    m = Decimal(1_000_000)
    for label, payload in bodies():
        raws = raw_usages(payload)
        if raws is None:
            continue
        e = expected(raws)
        uncached = e["prompt_tokens"] - e["cached_tokens"]
        want = (
            uncached * Decimal("0.95") + e["completion_tokens"] * Decimal("4.00") + e["cached_tokens"] * Decimal("0.16")
        ) / m
        assert estimate_cost(parser(payload), K26).total == want, label


CHECKS = [check_capture_numbers, check_no_double_count, check_top_level_cached, check_reasoning, check_cost]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_reference_parser_passes(check):
    check(parse_usage)


# --- deliberately divergent parsers ----------------------------------------------------------


def _strip(obj, keys):
    """Deep copy with these keys removed from every usage dict (simulates a parser blind to them)."""
    obj = copy.deepcopy(obj)
    items = obj if isinstance(obj, list) else [obj]
    usages = [obj] if isinstance(obj, dict) and "prompt_tokens" in obj else []
    for c in items:
        if isinstance(c, dict):
            usages += [c["usage"]] if isinstance(c.get("usage"), dict) else []
            usages += [ch["usage"] for ch in c.get("choices") or [] if isinstance(ch, dict) and "usage" in ch]
    for u in usages:
        for k in keys:
            u.pop(k, None)
    return obj


def openclaw_parser(obj):  # reads only prompt_tokens_details.cached_tokens / prompt_cache_hit_tokens [oc]
    return parse_usage(_strip(obj, ["cached_tokens"]))


def no_details_parser(obj):  # ignores *_details objects
    return parse_usage(_strip(obj, ["prompt_tokens_details", "completion_tokens_details"]))


def summing_parser(obj):  # adds choice-level usage and trailing usage
    if not isinstance(obj, list):
        return parse_usage(obj)
    raws = [c["usage"] for c in obj if c.get("usage")] + [
        ch["usage"] for c in obj for ch in c["choices"] if "usage" in ch
    ]
    if not raws:
        return None
    parts = [usage_from_dict(r) for r in raws]
    return Usage(
        *(
            sum(getattr(p, f) for p in parts)
            for f in (
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "cached_tokens",
                "cache_write_tokens",
                "reasoning_tokens",
            )
        )
    )


def first_choice_parser(obj):  # takes the first finish chunk's choice usage, ignores other choices
    if not isinstance(obj, list):
        return parse_usage(obj)
    for c in obj:
        for ch in c["choices"]:
            if "usage" in ch:
                return usage_from_dict(ch["usage"])
    return parse_usage(obj)


def trailing_only_parser(obj):  # OpenAI-only reader: never looks inside choices
    if isinstance(obj, list):
        return parse_usage([{k: v for k, v in c.items() if k != "choices"} for c in obj])
    if isinstance(obj, dict) and obj.get("object") == "chat.completion.chunk":
        return None
    return parse_usage(obj)


def reasoning_extra_parser(obj):  # treats reasoning as extra output on top of completion_tokens
    u = parse_usage(obj)
    return u and Usage(
        u.prompt_tokens,
        u.completion_tokens + u.reasoning_tokens,
        u.total_tokens + u.reasoning_tokens,
        u.cached_tokens,
        u.cache_write_tokens,
        u.reasoning_tokens,
    )


BROKEN = [
    (openclaw_parser, check_top_level_cached),
    (openclaw_parser, check_capture_numbers),
    (no_details_parser, check_reasoning),
    (summing_parser, check_no_double_count),
    (summing_parser, check_capture_numbers),
    (first_choice_parser, check_capture_numbers),
    (trailing_only_parser, check_capture_numbers),
    (reasoning_extra_parser, check_cost),
]


@pytest.mark.parametrize("parser,check", BROKEN, ids=lambda f: f.__name__)
def test_checks_catch_divergent_parser(parser, check):
    with pytest.raises(AssertionError):
        check(parser)


# --- parse_usage on each shape ---------------------------------------------------------------


def test_stream_shapes_and_sources():
    meta = stream("moonshotai-metadata-live.chunks.txt")
    assert parse_usage(meta).source == "stream.trailing"
    assert parse_usage(meta[:-1]) == Usage(**{**got(parse_usage(meta)), "source": "stream.choices"})
    assert parse_usage(meta[:-2]) is None  # stream cut before any usage
    n2 = stream("moonshot-v1-128k-n2-toolcall-stream.chunks.jsonl")
    per = [ch["usage"] for c in n2 for ch in c["choices"] if "usage" in ch]
    assert len(per) == 2 and per[0]["prompt_tokens"] == per[1]["prompt_tokens"]
    u = parse_usage(n2)
    assert (u.prompt_tokens, u.completion_tokens) == (
        per[0]["prompt_tokens"],
        per[0]["completion_tokens"] + per[1]["completion_tokens"],
    )
    _, units = load_units(cap("multi_tool_streaming_kimi-k2_moonshotai.yaml"))
    last = units[1].payload[-1]
    assert (
        last["choices"] and parse_usage(units[1].payload).prompt_tokens == last["usage"]["prompt_tokens"]
    )  # OpenRouter form


def test_bare_and_missing_usage():
    assert parse_usage({"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}).source == "usage"
    assert (
        parse_usage(
            {"prompt_tokens": 50, "completion_tokens": 2, "total_tokens": 52, "prompt_cache_hit_tokens": 30}
        ).cached_tokens
        == 30
    )
    u = parse_usage(
        {
            "prompt_tokens": 50,
            "completion_tokens": 2,
            "cached_tokens": 20,
            "prompt_tokens_details": {"cached_tokens": 20},
        }
    )
    assert (u.cached_tokens, u.total_tokens) == (20, 52)  # two spellings, one count
    assert parse_usage({"id": "x", "object": "chat.completion", "choices": []}) is None
    assert parse_usage({"error": {"message": "m", "type": "t"}}) is None
    assert parse_usage([]) is None and parse_usage(None) is None and parse_usage("x") is None
    assert parse_usage([{"choices": [], "usage": None}]) is None


# --- cost ------------------------------------------------------------------------------------


def test_contract_worked_example_is_exact():
    cost = estimate_cost(Usage(prompt_tokens=1000, completion_tokens=100, total_tokens=1100, cached_tokens=400), K26)
    assert (cost.input, cost.output, cost.cache_read, cost.cache_write) == (
        Decimal("0.00057"),
        Decimal("0.0004"),
        Decimal("0.000064"),
        Decimal(0),
    )
    assert cost.total == Decimal("0.001034") and str(cost.total.normalize()) == "0.001034"


def test_cost_inputs():
    u = Usage(10, 1, 11, cached_tokens=30)  # cached > prompt: uncached clamps to zero
    assert estimate_cost(u, K26).input == 0
    with pytest.raises(ValueError):
        estimate_cost(u, {"input": 1, "output": 1})
    with pytest.raises(ValueError):
        estimate_cost(u, {"output": 1, "unit": "usd_per_mtok"})
    w = estimate_cost(Usage(100, 0, 100, cached_tokens=10, cache_write_tokens=40), {**K26, "cache_write": 1.2})
    assert w.input == 50 * Decimal("0.95") / 10**6 and w.cache_write == 40 * Decimal("1.2") / 10**6


rate = st.decimals(min_value=0, max_value=50, places=3, allow_nan=False, allow_infinity=False)
count = st.integers(min_value=0, max_value=2_000_000)


@st.composite
def usages(draw):
    uncached, cached, cw, completion = draw(count), draw(count), draw(count), draw(count)
    reasoning = draw(st.integers(0, completion))
    prompt = uncached + cached + cw
    return Usage(prompt, completion, prompt + completion, cached, cw, reasoning)


@st.composite
def price_tables(draw, cheap_cache=False):
    p = {
        "input": draw(rate),
        "output": draw(rate),
        "cache_read": draw(rate),
        "cache_write": draw(rate),
        "unit": "usd_per_mtok",
    }
    if cheap_cache:
        p["cache_read"], p["input"] = sorted([p["cache_read"], p["input"]])
    return p


def bump(u: Usage, k: int, **fields) -> Usage:
    d = {
        f: getattr(u, f)
        for f in ("prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens")
    }
    for f in fields:
        d[f] += k
    return Usage(total_tokens=d["prompt_tokens"] + d["completion_tokens"], **d)


def check_monotone(cost_fn):
    @settings(max_examples=scaled(200), deadline=None)
    @given(usages(), price_tables(), st.integers(1, 10_000))
    def prop(u, p, k):
        base = cost_fn(u, p).total
        assert cost_fn(bump(u, k, prompt_tokens=1), p).total >= base
        assert cost_fn(bump(u, k, completion_tokens=1), p).total >= base
        assert cost_fn(bump(u, k, prompt_tokens=1, cached_tokens=1), p).total >= base
        assert cost_fn(bump(u, k, prompt_tokens=1, cache_write_tokens=1), p).total >= base
        if u.reasoning_tokens + k <= u.completion_tokens:
            assert cost_fn(bump(u, k, reasoning_tokens=1), p).total == base  # reasoning is inside completion

    prop()


def check_cached_not_billed_twice(cost_fn):
    @settings(max_examples=scaled(200), deadline=None)
    @given(usages(), price_tables(cheap_cache=True))
    def prop(u, p):
        if u.uncached_input_tokens == 0:
            return
        moved = Usage(
            u.prompt_tokens,
            u.completion_tokens,
            u.total_tokens,
            u.cached_tokens + 1,
            u.cache_write_tokens,
            u.reasoning_tokens,
        )
        assert cost_fn(moved, p).total <= cost_fn(u, p).total
        c = cost_fn(u, p)
        assert c.total == c.input + c.output + c.cache_read + c.cache_write

    prop()


def check_units(cost_fn):
    @settings(max_examples=scaled(200), deadline=None)
    @given(usages(), price_tables())
    def prop(u, p):
        per_k = {**{k: v / 1000 for k, v in p.items() if k != "unit"}, "unit": "usd_per_ktok"}
        assert cost_fn(u, per_k).total == cost_fn(u, p).total

    prop()


@pytest.mark.parametrize(
    "check", [check_monotone, check_cached_not_billed_twice, check_units], ids=lambda c: c.__name__
)
def test_cost_properties(check):
    check(estimate_cost)


def double_billing_cost(u, p):  # prices the whole prompt as input and the cache hits again
    c = estimate_cost(Usage(u.prompt_tokens, u.completion_tokens, u.total_tokens, 0, 0, u.reasoning_tokens), p)
    extra = estimate_cost(Usage(u.cached_tokens, 0, u.cached_tokens, cached_tokens=u.cached_tokens), p)
    return Cost(c.input, c.output, extra.cache_read, Decimal(0), c.total + extra.cache_read)


def ktok_blind_cost(u, p):  # treats every table as per-million
    return estimate_cost(u, {**p, "unit": "usd_per_mtok"})


@pytest.mark.parametrize(
    "cost_fn,check",
    [(double_billing_cost, check_cached_not_billed_twice), (ktok_blind_cost, check_units)],
    ids=lambda f: f.__name__,
)
def test_cost_checks_catch_divergent_cost(cost_fn, check):
    with pytest.raises(AssertionError):
        check(cost_fn)
