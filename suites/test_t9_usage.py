"""T9 Usage and cost: the target reads streamed usage wherever Moonshot puts it (finish-chunk
`choices[0].usage`, trailing usage chunk), counts cache hits from top-level `cached_tokens` and
`prompt_tokens_details.cached_tokens`, never bills cached tokens twice, and prices them at the
catalog's rates. CONTRACT.md T9."""

import pytest
from hypothesis import given

from harness.generation.usage_streams import usage_stream
from harness.suite import usage_problem
from harness.targets import NotExpressible


@pytest.mark.rule("T9")
@given(chunks=usage_stream())
def test_t9_usage(conformance, target, model, chunks):
    try:
        target.usage(model, chunks)
    except NotExpressible as e:
        pytest.skip(f"not applicable: {e}")
    problem = usage_problem(target, conformance.reference, model, chunks)
    if problem:
        conformance.expect_divergence(target, "T9", {"model": model, "chunks": chunks}, problem)
