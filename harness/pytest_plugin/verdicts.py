"""A test's verdict as data on its pytest report (what results files, summaries and reports read)."""

from __future__ import annotations

import pytest


def record_verdict(item: pytest.Item, call, report, conformance) -> None:
    """The test's verdict as data: divergences met, and for a failure its uncovered violations,
    its cause and its minimal case (what summaries and reports read; never the message)."""
    from harness.engine.conformance import ConformanceFailure
    from harness.pytest_plugin.state import OUTCOME

    for divergence in sorted(set(conformance.hits)):
        report.user_properties.append(("divergence", divergence))
    last = conformance.last
    item.stash[OUTCOME] = last
    failure = call.excinfo.value if call.excinfo is not None else None
    if report.failed and isinstance(failure, ConformanceFailure):
        report.user_properties.append(("violations", [v.to_json() for v in failure.uncovered]))
        report.user_properties.append(("cause", failure.cause[1]))
        report.user_properties.append(("minimal_case", failure.case))
        if last is not None and last.case == failure.case:
            conformance.remember(last)
