"""Live mode: key lookup and skip reason, 429 retries honouring Retry-After (fake sleep),
the cost budget, and `--kimi-live --kimi-upstream <emulator>` end to end (the same suites, re-recording)."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from harness.cassettes import provenance
from harness.emulator import Emulator
from harness.online.budget import Budget, BudgetExceeded, worst_case_cost
from harness.online.client import WireClient
from harness.online.keys import find_key, missing_key_reason
from harness.online.retry import RetryPolicy
from harness.scenarios import anthropic as anthropic_wire
from harness.scenarios import definitions as scenarios
from tests.child import run as run_child

REPO = Path(__file__).resolve().parents[2]
KEY_VARS = ("MOONSHOT_API_KEY", "KIMI_API_KEY", "KIMICODE_API_KEY")
BODY = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Reply exactly: hi"}], "max_tokens": 20}


def env_without_keys(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    env.update(extra)
    return env


def pytest_run(*args, env=None, timeout=240) -> subprocess.CompletedProcess:
    return run_child(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_find_key_order_and_reason():
    assert find_key(["MOONSHOT_API_KEY", "KIMI_API_KEY"], {"KIMI_API_KEY": "sk-b", "MOONSHOT_API_KEY": ""}) == (
        "KIMI_API_KEY",
        "sk-b",
    )
    assert find_key(["MOONSHOT_API_KEY"], {}) is None
    assert "MOONSHOT_API_KEY or KIMI_API_KEY" in missing_key_reason(["MOONSHOT_API_KEY", "KIMI_API_KEY"])


@pytest.mark.integration
def test_live_without_key_skips_naming_the_variable():
    r = pytest_run(
        "suites/wire",
        "--kimi-live",
        "--kimi-model",
        "moonshot/kimi-k2.6",
        "-k",
        "(plain or stream) and not test_real",
        env=env_without_keys(),
    )
    assert r.returncode == 0, r.stdout[-2000:]
    assert "skipped" in r.stdout and "passed" not in r.stdout.splitlines()[-1]
    # only Moonshot's own variable: KIMI_API_KEY is Kimi Coding's and never goes to api.moonshot.ai
    assert "for provider moonshot: set MOONSHOT_API_KEY (its own key" in r.stdout


@pytest.mark.integration
def test_live_kimi_coding_without_key_skips_naming_its_variables():
    """kimi/ models go live with KIMI_API_KEY (then KIMICODE_API_KEY); absent, they skip saying so —
    a MOONSHOT_API_KEY does not stand in (separate providers, keys not interchangeable)."""
    r = pytest_run(
        "suites/wire",
        "--kimi-live",
        "--kimi-model",
        "kimi/kimi-for-coding",
        "-k",
        "(plain or stream) and not test_real",
        env=env_without_keys(MOONSHOT_API_KEY="sk-fake-moonshot-000000"),
    )
    assert r.returncode == 0, r.stdout[-2000:]
    assert "skipped" in r.stdout and "passed" not in r.stdout.splitlines()[-1]
    assert "for provider kimi: set KIMI_API_KEY or KIMICODE_API_KEY" in r.stdout


class FakeSleep:
    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_429_retry_honours_retry_after():
    sleep = FakeSleep()
    with Emulator() as emu, WireClient(emu.base_url, "sk-test-000", retry=RetryPolicy(sleep=sleep)) as c:
        emu.inject(429, "rate_limit_reached_error", count=2, retry_after=7)
        r = c.chat(BODY)
    assert r.status == 200 and r.attempts == 3
    assert sleep.calls == [7.0, 7.0]
    assert [q["status"] for q in emu.requests] == [429, 429, 200]


def test_429_retries_are_bounded_and_quota_is_not_retried():
    sleep = FakeSleep()
    with Emulator() as emu, WireClient(emu.base_url, "sk-test-000", retry=RetryPolicy(max_retries=3, sleep=sleep)) as c:
        emu.inject(429, "engine_overloaded_error", count=10, retry_after=1)
        r = c.chat(BODY)
        assert r.status == 429 and r.attempts == 4 and sleep.calls == [1.0, 1.0, 1.0]
        emu.reset()
        sleep.calls.clear()
        emu.inject(429, "exceeded_current_quota_error", count=1)
        r = c.chat(BODY)
        assert r.status == 429 and r.attempts == 1 and sleep.calls == []


def test_429_without_retry_after_backs_off_and_long_waits_give_up():
    import random

    sleep = FakeSleep()
    policy = RetryPolicy(sleep=sleep, max_wait=5, rng=random.Random(3))
    with Emulator() as emu, WireClient(emu.base_url, "sk-test-000", retry=policy) as c:
        emu.inject(429, "rate_limit_reached_error", count=2)  # no Retry-After header
        assert c.chat(BODY).status == 200 and len(sleep.calls) == 2
        # full jitter: uniform in [0, base * 2**attempt]
        assert 0 <= sleep.calls[0] <= 1.0 and 0 <= sleep.calls[1] <= 2.0 and sleep.calls[0] != sleep.calls[1]
        sleep.calls.clear()
        emu.inject(429, "rate_limit_reached_error", count=1, retry_after=3600)
        assert c.chat(BODY).status == 429 and sleep.calls == []


def test_rpm_limit_of_the_emulator_is_retried():
    from harness.emulator import FixedClock

    clock = FixedClock(1000)
    sleep_calls = []

    def sleep(s):
        sleep_calls.append(s)
        clock.advance(60)  # the fake clock moves instead of the test sleeping

    with (
        Emulator(rpm=1, clock=clock, retry_after=2) as emu,
        WireClient(emu.base_url, "sk-test-000", retry=RetryPolicy(sleep=sleep)) as c,
    ):
        assert c.chat(BODY).status == 200
        r = c.chat(BODY)
    assert r.status == 200 and r.attempts == 2 and sleep_calls == [2.0]


def test_budget_refuses_and_stays_closed():
    b = Budget(Decimal("0.001"))
    b.reserve(Decimal("0.0004"))
    b.spend(Decimal("0.0004"))
    with pytest.raises(BudgetExceeded, match="cost budget reached"):
        b.reserve(Decimal("0.0007"))
    with pytest.raises(BudgetExceeded):
        b.reserve(Decimal("0"))  # closed: the run stops spending
    prices = {"unit": "usd_per_mtok", "input": 1, "output": 1}
    assert worst_case_cost({**BODY, "max_tokens": 1000}, prices) > worst_case_cost(BODY, prices)


def test_budget_accounts_actual_cost():
    b = Budget(Decimal("1"))
    prices = {"unit": "usd_per_mtok", "input": 0.95, "output": 4.0, "cache_read": 0.16}
    with Emulator() as emu, WireClient(emu.base_url, "sk-test-000", budget=b) as c:
        r = c.chat(BODY, prices=prices)
    assert r.cost is not None and r.cost > 0 and b.spent == r.cost and b.requests == 1


@pytest.mark.integration
def test_budget_stops_the_run_cleanly():
    with Emulator() as emu:
        # the real cassettes (suites/wire/test_real.py) are offline replays, not part of the budget
        r = pytest_run(
            "suites/wire",
            "--kimi-live",
            "--kimi-upstream",
            emu.base_url,
            "--kimi-budget-usd",
            "0.0000001",
            "--kimi-model",
            "moonshot/kimi-k2.6",
            "-k",
            "not test_real",
            env=env_without_keys(MOONSHOT_API_KEY="sk-fake-000000"),
        )
    assert r.returncode == 0, r.stdout[-3000:]
    assert "cost budget reached" in r.stdout
    assert (
        " passed" not in r.stdout.splitlines()[-1] or "1 passed" in r.stdout.splitlines()[-1]
    )  # only the offline worked example


@pytest.mark.integration
def test_live_against_emulator_end_to_end_and_rerecord(tmp_path):
    """`--kimi-live --kimi-upstream <emulator>` runs the wire suites like a live run, and re-records.

    A subset of models that between them meet every scenario kind and both providers keeps this
    fast; the full re-recording is `python -m harness.cassettes.record`, whose output the wire
    suite replays."""
    refs = (
        "moonshot/kimi-k2.6",
        "moonshot/kimi-k2.7-code",
        "moonshot/kimi-k3",
        "moonshot/kimi-k2-thinking",
        "kimi/kimi-for-coding",
        "kimi/kimi-k2-thinking-turbo",
        "kimi/kimi-k2-thinking",
    )
    models = [a for ref in refs for a in ("--kimi-model", ref)]
    with Emulator() as emu:
        # --kimi-upstream only: the Kimi Coding stand-in is derived (<emulator>/v1 -> <emulator>/coding/v1)
        r = pytest_run(
            "suites/wire",
            "--kimi-live",
            "--kimi-upstream",
            emu.base_url,
            "--kimi-record-mode=rewrite",
            f"--kimi-cassette-dir={tmp_path}",
            *models,
            env=env_without_keys(MOONSHOT_API_KEY="sk-fake-live-000000", KIMI_API_KEY="sk-kimi-fake-000000"),
        )
        paths = {(q["service"], q["body"]["model"]) for q in emu.requests if q["method"] == "POST"}
    last = r.stdout.strip().splitlines()[-1]
    assert r.returncode == 0 and "failed" not in last and "error" not in last and "skipped" not in last, r.stdout[
        -3000:
    ]
    assert ("kimi-coding", "kimi-for-coding") in paths and ("moonshot", "kimi-k2.6") in paths
    assert not any(svc == "moonshot" and m == "kimi-for-coding" for svc, m in paths)
    written = sorted(tmp_path.rglob("*.yaml"))
    # kimi/kimi-for-coding speaks Anthropic Messages: its scenarios are anthropic_wire's
    want = set(scenarios.scenario_ids()) | set(anthropic_wire.scenario_ids())
    assert {p.stem for p in written} == want, "every scenario recorded at least once"
    assert {f"{p.parent.parent.name}/{p.parent.name}" for p in written} == set(refs)
    assert {provenance.read(p).source for p in written} == {"emulator"}
    assert not any("sk-" in p.read_text() for p in written)
    # and what was recorded replays offline with the network blocked
    r = pytest_run("suites/wire", f"--kimi-cassette-dir={tmp_path}", "--kimi-block-network", *models)
    assert r.returncode == 0, r.stdout[-3000:]


@pytest.mark.integration
def test_record_mode_needs_an_upstream():
    r = pytest_run("suites/wire", "--kimi-record-mode=rewrite", "--collect-only")
    assert r.returncode != 0 and "give --kimi-live or --kimi-upstream" in r.stderr + r.stdout
