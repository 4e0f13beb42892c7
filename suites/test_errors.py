"""Bad cases: a malformed case (unknown ref, wrong types, broken history) is rejected as invalid
with a clear message — never sent upstream, never a crash. Cases: harness/contract/bad_cases.json."""

import json
from pathlib import Path

import pytest

import harness.contract
from harness.errors import CaseError, TargetError

BAD = json.loads((Path(harness.contract.__file__).parent / "bad_cases.json").read_text())["cases"]


@pytest.mark.rule("errors")
@pytest.mark.parametrize("bad", BAD, ids=[b["id"] for b in BAD])
def test_errors(target, bad):
    try:
        out = target.transform(bad["case"])
    except CaseError as e:
        assert str(e).strip(), "a case error needs a message saying what is wrong"
        return
    except TargetError as e:
        pytest.fail(f"{target.name} crashed on a malformed case ({bad['id']}) instead of rejecting it: {e}")
    pytest.fail(f"{target.name} accepted a malformed case ({bad['id']}) and would send: {json.dumps(out)[:300]}")
