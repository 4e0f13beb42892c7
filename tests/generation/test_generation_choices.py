"""Cases decoded from one drawn byte string (harness.generation.choices): the decoders stay within
the bytes they reserve, every byte string is a valid case, all zeros is the simplest case, one
byte changes one decision, and Hypothesis still shrinks to small cases."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, find, settings

from harness.contract.case import validate_case
from harness.generation.choices import MAX_UNIFORM, Choices
from harness.generation.strategies import case, case_bytes, cases
from harness.targets.base import ALL_FEATURES
from tests.examples import scaled

FOCUS = ((), ("tool_history", "extra_body", "stream"), ("keep",), ("provider", "compat"), ("sampling", "tool_choice"))
NARROW = frozenset({"thinking_level"})
SPELLINGS = ("kimi/kimi-code", "kimi-coding/k2p5")


def decode(raw: bytes, features=ALL_FEATURES, need=(), spellings=SPELLINGS, defaults=None):
    return case("kimi/kimi-for-coding", frozenset(features), None, frozenset(need), spellings, defaults or {}, raw)


@pytest.mark.parametrize(
    "features",
    [ALL_FEATURES, NARROW, ALL_FEATURES - {"configured_thinking"}],
    ids=lambda f: ",".join(sorted(f)),  # a set's order varies by process: xdist workers need one id
)
@pytest.mark.parametrize("need", FOCUS, ids=str)
def test_any_bytes_decode_to_a_valid_case_within_their_size(features, need):
    rng = random.Random(7)
    size = case_bytes(frozenset(features))
    edges = [bytes(size), b"\xff" * size]
    for raw in edges + [rng.randbytes(size) for _ in range(scaled(300))]:  # random strings: as many as the profile
        validate_case(decode(raw, features, need))  # an IndexError here: a block reserves too few bytes
    with pytest.raises(IndexError):
        decode(bytes(size - 1), features, need)


def test_all_zeros_is_the_simplest_case():
    assert decode(bytes(case_bytes(ALL_FEATURES))) == {
        "model": "kimi/kimi-for-coding",
        "request": {"messages": [{"role": "user", "content": "hi"}]},
    }


def test_one_byte_changes_one_decision():
    """Fixed offsets: drawing more tool calls or turns does not move the bytes of what follows."""
    rng = random.Random(3)
    size = case_bytes(ALL_FEATURES)
    changed = Counter()
    for _ in range(200):
        raw = bytearray(rng.randbytes(size))
        before = decode(bytes(raw))
        i = rng.randrange(size)
        raw[i] = rng.randrange(256)
        after = decode(bytes(raw))
        parts = [k for k in ("model", "thinking", "params", "provider") if before.get(k) != after.get(k)]
        parts += [
            k
            for k in set(before["request"]) | set(after["request"])
            if before["request"].get(k) != after["request"].get(k)
        ]
        changed[len(parts)] += 1
    # a byte is one decision: at most a few fields move (a presence byte moves its field; the
    # history's tool names move `tools`; the provider choice moves the whole provider)
    assert max(changed) <= 3, changed


def test_picks_are_near_uniform_and_shrink_toward_the_first():
    for n in range(1, MAX_UNIFORM + 1):
        counts = Counter(Choices(bytes([b])).below(n) for b in range(256))
        assert set(counts) == set(range(n)) and max(counts.values()) <= 1.15 * 256 / n + 1, n
        picks = [Choices(bytes([b])).below(n) for b in range(256)]
        assert picks == sorted(picks) and picks[0] == 0  # monotone: a smaller byte, an earlier option
    assert not Choices(bytes([0])).chance(1, 2) and Choices(bytes([255])).chance(1, 2)
    with pytest.raises(ValueError):
        Choices(bytes([0])).below(257)


def test_wide_integers_reach_every_magnitude_and_both_ends():
    rng = random.Random(5)
    values = [Choices(rng.randbytes(4)).integer(1, 4096) for _ in range(2000)]
    assert min(values) >= 1 and max(values) <= 4096
    assert Choices(bytes(4)).integer(1, 4096) == 1 and Choices(b"\xff" + bytes(3)).integer(1, 4096) == 4096
    assert {v.bit_length() for v in values} == set(range(1, 14))  # 1 .. 4096
    assert 0.1 < sum(v <= 256 for v in values) / len(values) < 0.6


def test_hypothesis_shrinks_to_a_small_case():
    """A combined draw still shrinks: the smallest case with a custom provider's compat flag and
    a tool history has nothing else in it."""

    def wanted(c):
        compat = (c.get("provider") or {}).get("compat") or {}
        return "maxTokensField" in compat and any(m.get("tool_calls") for m in c["request"]["messages"])

    found = find(
        cases("moonshot/kimi-k2.6"),
        wanted,
        settings=settings(
            database=None,
            derandomize=True,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert set(found) == {"model", "request", "provider"}, found
    assert set(found["request"]) == {"messages", "tools"}, found
    # the user, one call, its result, the next user text; every text the first one
    assert [m["role"] for m in found["request"]["messages"]] == ["user", "assistant", "tool", "user"], found
    assert len(found["request"]["messages"][1]["tool_calls"]) == 1, found
    assert {m["content"] for m in found["request"]["messages"] if m["role"] == "user"} == {"hi"}, found
    assert found["provider"]["compat"] == {"maxTokensField": "max_tokens"}, found
