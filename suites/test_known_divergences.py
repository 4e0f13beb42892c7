"""Known divergences stay true: every entry of harness/divergences/<target>.json is replayed on
its target and its rule must still FAIL the way it was recorded (the entry's `when` conditions
and `failure` pattern). A divergence that stopped diverging fails: remove it from the file."""

from __future__ import annotations

import pytest

from harness.contract.divergences import Divergences
from harness.divergence_check import replay


def _entries(target_name: str):
    return [d for d in Divergences.for_target(target_name) if d.data.get("observer") == "harness"]


def pytest_generate_tests(metafunc):
    if "known_divergence" in metafunc.fixturenames:
        metafunc.parametrize("known_divergence", _params(metafunc.config))


def _params(config):
    from harness.plugin import selected_targets

    params = []
    for name in selected_targets(config):
        entries = _entries(name)
        if not entries:
            params.append(pytest.param((name, None), id=f"{name}-none"))
        for d in entries:
            params.append(pytest.param((name, d.id), id=f"{name}-{d.id}"))
    return params


@pytest.mark.area("divergences")
def test_known_divergence(request, known_divergence, conformance, catalog):
    target_name, divergence_id = known_divergence
    base = target_name.split(":", 1)[0]
    if divergence_id is None:
        pytest.skip(f"no known divergences for {base}")
    from harness.suite import open_target

    target = open_target(request.config, target_name)
    entry = next(d for d in _entries(target_name) if d.id == divergence_id)
    result = replay(entry, target, catalog)
    if result.failure is None:
        pytest.fail(f"{base}: divergence {entry.id!r} ({entry.rule}) no longer diverges: its minimal case now "
                    f"passes; remove it from harness/divergences/{base}.json", pytrace=False)
    if not result.still_diverges:
        pytest.fail(f"{base}: divergence {entry.id!r} ({entry.rule}) fails differently than recorded (its `when`/"
                    f"`failure` no longer match); update or remove it in harness/divergences/{base}.json\n"
                    f"{result.failure}", pytrace=False)
