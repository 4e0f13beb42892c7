"""T9 Usage and cost: the target reads streamed usage wherever Moonshot puts it (finish-chunk
`choices[0].usage`, trailing usage chunk), counts cache hits from top-level `cached_tokens` and
`prompt_tokens_details.cached_tokens`, never bills cached tokens twice, and prices them at the
catalog's rates. CONTRACT.md T9."""

import pytest
from hypothesis import given

from harness.generation.usage_streams import usage_stream
from harness.targets import NotExpressible

FIELDS = ("input", "output", "cacheRead")


@pytest.mark.rule("T9")
@given(chunks=usage_stream())
def test_t9_usage(conformance, target, model, chunks):
    try:
        got = target.usage(model, chunks)
    except NotExpressible as e:
        pytest.skip(f"not applicable: {e}")
    want = conformance.reference.usage(model, chunks)
    if want is None:
        assert got is None or not any(got.get(k) for k in FIELDS), f"no usage was sent, {target.name} reports {got}"
        return
    assert got is not None, f"{target.name} found no usage in a stream that has it: {chunks[-1]}"
    mine = {k: got.get(k) for k in FIELDS}
    theirs = {k: want[k] for k in FIELDS}
    problem = None
    if mine != theirs:
        problem = f"T9: token buckets differ: target {mine}, reference {theirs}"
    elif abs(got["cost"]["total"] - want["cost"]["total"]) > 1e-9:
        problem = f"T9: cost differs: target {got['cost']['total']}, reference {want['cost']['total']}"
    if problem:
        conformance.expect_divergence(target, "T9", {"model": model, "chunks": chunks}, problem)
