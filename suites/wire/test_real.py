"""Wire suites on real traffic: every cassette of real provenance (cassettes/real/, built from the
captures in harness/cassettes/real_captures) is replayed through the same client as the scenario
cassettes, network blocked, and must show the contract's wire facts: usage where docs/contract.md#t9
puts it, the trailing usage chunk exactly when include_usage was asked (#t8), the harness's error
table equal to the real error texts (#errors), tool-call ids of the forms #t6 lists.

These are always replays, from this checkout's cassettes/real/ whatever --kimi-cassette-dir says: a real
capture cannot be re-recorded, so --kimi-live / --kimi-upstream runs replay them too. Each item carries
`provenance: real` (its column in the matrix and the report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cassettes import real

pytestmark = pytest.mark.area("wire")
CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"


def _params():
    out = []
    for e in real.entries():
        marks = [pytest.mark.provenance("real", capture=f"{e['source']}/{e['captures'][0]}")]
        marks += [pytest.mark.rule(r) for r in e["rules"]]
        out.append(pytest.param(e["id"], id=f"{e['source']}/{e['id']}", marks=marks))
    return out


@pytest.mark.parametrize("real_cassette", _params())
def test_real(real_cassette, record_property):
    from harness.scenarios import real_checks

    e = real.entry(real_cassette)
    exchanges = real.replay(e, CASSETTES)
    record_property("real.capture", f"{e['source']}/{e['captures'][0]}")
    violations = real_checks.run(e, exchanges)
    assert not violations, "\n".join(str(v) for v in violations)
