"""What adds up to "broken" (harness.pytest_plugin.targets.GuardedTarget): hangs, protocol errors and
processes that die before the target ever answered; not a crash on one input of a target that runs."""

import pytest

from harness.errors import TargetBroken, TargetExited, TargetTimeout
from harness.pytest_plugin.targets import Entry, GuardedTarget
from harness.rules.errors import bad_cases

GOOD = {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}


class Fake:
    """Answers GOOD, then fails every later case the way it is told to."""

    name, capabilities = "fake", None

    def __init__(self, failure: type[Exception], answers: int):
        self.failure, self.answers = failure, answers

    def transform(self, case):
        if self.answers > 0:
            self.answers -= 1
            return {"method": "POST", "url": "u", "headers": {}, "body": case["request"]}
        raise self.failure("the process exited (code 1) during a case")


def guarded(failure, answers):
    entry = Entry(spec="fake")
    return GuardedTarget(Fake(failure, answers), entry, max_misses=3), entry


def run(target, case, n):
    for _ in range(n):
        with pytest.raises((TargetExited, TargetTimeout, TargetBroken)):
            target.transform(case)


def test_a_target_that_never_answered_and_keeps_dying_is_broken():
    target, entry = guarded(TargetExited, answers=0)
    run(target, GOOD, 3)
    assert entry.cause is not None and "3 consecutive" in entry.cause
    with pytest.raises(TargetBroken):
        target.transform(GOOD)


def test_a_target_that_answered_and_then_dies_on_some_input_runs_on():
    target, entry = guarded(TargetExited, answers=1)
    target.transform(GOOD)
    run(target, GOOD, 10)
    assert entry.cause is None and entry.misses == 0


def test_hangs_still_add_up_after_answers():
    target, entry = guarded(TargetTimeout, answers=1)
    target.transform(GOOD)
    run(target, GOOD, 3)
    assert entry.cause is not None


@pytest.mark.parametrize("failure", [TargetExited, TargetTimeout])
def test_dying_or_hanging_on_the_malformed_cases_never_counts(failure):
    target, entry = guarded(failure, answers=0)
    for bad in bad_cases():
        run(target, bad["case"], 1)
    assert entry.cause is None and entry.misses == 0
