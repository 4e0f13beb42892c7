"""Known divergences stay true: every entry of the target's divergence files is replayed on its
target. It must still diverge (cover a violation of its own minimal case), and every violation
of that case must be covered by exactly one entry — no gaps, no overlaps."""

from __future__ import annotations

import json

import pytest

from harness.divergences.model import Divergences
from harness.engine.replay import replay


def _entries(target_name: str):
    return [d for d in Divergences.for_target(target_name) if d.observer == "harness"]


def pytest_generate_tests(metafunc):
    if "known_divergence" in metafunc.fixturenames:
        metafunc.parametrize("known_divergence", _params(metafunc.config))


def _params(config):
    from harness.pytest_plugin.plugin import selected_targets

    params = []
    for name in selected_targets(config):
        entries = _entries(name)
        if not entries:
            params.append(pytest.param((name, None), id=f"{name}-none"))
        for d in entries:
            params.append(pytest.param((name, d.id), id=f"{name}-{d.id}"))
    return params


@pytest.mark.area("divergences")
def test_known_divergence(request, known_divergence, catalog):
    target_name, divergence_id = known_divergence
    base = target_name.split(":", 1)[0]
    if divergence_id is None:
        pytest.skip(f"no known divergences for {base}")
    from harness.pytest_plugin.standard_tests import open_target

    target = open_target(request.config, target_name)
    entry = next(d for d in _entries(target_name) if d.id == divergence_id)
    result = replay(entry, target, catalog)
    where = entry.file
    if not result.still_diverges:
        pytest.fail(
            f"{base}: divergence {entry.id!r} no longer diverges: none of its checks {sorted(entry.checks)} "
            f"fails on its minimal case; remove it from {where}",
            pytrace=False,
        )
    gaps = "\n".join(f"  {v}" for v in result.coverage.uncovered)
    if gaps:
        pytest.fail(
            f"{base}: the minimal case of {entry.id!r} has violations no entry covers (add entries with "
            f"`kimi-conformance divergence add`):\n{gaps}\ncase: {json.dumps(entry.case)}",
            pytrace=False,
        )
    overlaps = "\n".join(f"  {v}: {', '.join(d.id for d in ds)}" for v, ds in result.coverage.overlapping)
    if overlaps:
        pytest.fail(
            f"{base}: entries overlap on the minimal case of {entry.id!r} (each violation needs exactly "
            f"one entry):\n{overlaps}",
            pytrace=False,
        )
