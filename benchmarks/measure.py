"""The measurements behind `python -m benchmarks.bench`: each returns a figure or raises Skip.

Every in-process figure is CPU time of this process (`time.process_time`): on a machine shared
with other jobs wall time measures the neighbours. It is the best of a few rounds, and figures
compared with each other (reference vs the JSON floor, replay vs MockTransport) are measured in
alternating rounds. Figures that involve another process (targets, Node, whole pytest runs) are
wall time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The suites' spread: a binary, an always-thinking, an effort and a Kimi Coding model, each with
# plain cases and with the heavy ones (multi-turn tool history, extra body, streaming).
MODELS = ("moonshot/kimi-k2.6", "moonshot/kimi-k2.7-code", "moonshot/kimi-k3", "kimi/kimi-for-coding")
REQUIRES = ((), ("tool_history", "extra_body", "stream"))
WARM_UP = 5  # a Node worker's warm-up: cases drawn per timed case


class Skip(Exception):
    """A figure that cannot be measured here; the message says why (it becomes the reason)."""


def best_of(fn: Callable[[], Any], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def paired(a: Callable[[], Any], b: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """Best times of a and b, measured in alternating rounds."""
    ta = tb = float("inf")
    for _ in range(rounds):
        ta = min(ta, best_of(a, 1))
        tb = min(tb, best_of(b, 1))
    return ta, tb


# ------------------------------------------------------------------------------- cases
def generate(
    model: str, n: int, features=None, require: tuple[str, ...] = (), request_defaults: dict | None = None
) -> list[dict[str, Any]]:
    """n cases as the suites draw them (Hypothesis, derandomized: the same cases every run)."""
    from harness.generation.sample import examples
    from harness.generation.strategies import cases
    from harness.targets.base import ALL_FEATURES

    return examples(cases(model, features or ALL_FEATURES, require=require, request_defaults=request_defaults), n)


def case_set(per_combo: int, rounds: int = 3) -> tuple[list[dict[str, Any]], float]:
    """The shared cases and the generation cost per case in ms (best of `rounds`: derandomized,
    every round draws the same cases)."""
    # warm: imports, Hypothesis' strategy caches and its one-time scan of the local modules for
    # constants (done at the first draw that tries a constant, 1 in 20) are not per case
    generate(MODELS[0], 100)
    out: list[dict[str, Any]] = []

    def draw_all() -> None:
        out.clear()
        for model in MODELS:
            for require in REQUIRES:
                out.extend(generate(model, per_combo, require=require))

    best = best_of(draw_all, rounds)
    return out, best * 1000 / len(out)


def target_cases(target, per_combo: int) -> list[dict[str, Any]]:
    """The same models and seeds, drawn within what the target can express (as the suites do)."""
    caps = target.capabilities
    out: list[dict[str, Any]] = []
    for model in MODELS:
        if model in caps.models_not_applicable:
            continue
        for require in REQUIRES:
            out += generate(model, per_combo, caps.features, require, dict(caps.request_defaults) or None)
    return out


# ------------------------------------------------------------------------------- in process
def reference_vs_json(cases: list[dict[str, Any]], rounds: int) -> tuple[float, float]:
    """Cases per second: the reference, and a deep copy via JSON of the same cases (the floor for
    any pure-Python transform that copies its input)."""
    from harness.reference import transform

    for c in cases:  # warm: catalog, schema validator
        transform(c)
    t_ref, t_json = paired(
        lambda: [transform(c) for c in cases], lambda: [json.loads(json.dumps(c)) for c in cases], rounds
    )
    return len(cases) / t_ref, len(cases) / t_json


def reference_cold(cases: list[dict[str, Any]]) -> float:
    """Cases per second the first time the reference sees each case (fresh objects, empty caches):
    the schema validation a suite pays once per drawn case is in this figure, not in the warm one."""
    from harness.contract import case as case_mod
    from harness.reference import transform

    fresh = [json.loads(json.dumps(c)) for c in cases]
    for cache in ("_VALID", "_SEEN"):  # (older trees have only _VALID: --compare across versions)
        getattr(case_mod, cache, {}).clear()
    start = time.process_time()
    for c in fresh:
        transform(c)
    return len(cases) / (time.process_time() - start)


def example_floor_ms(n: int = 200) -> float:
    """ms per Hypothesis example that draws a single integer: the engine's own cost per example,
    which no case strategy can go below."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    @settings(
        max_examples=n,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.integers(0, 10**9))
    def one(x):
        pass

    one()  # warm
    start = time.process_time()
    one()
    return (time.process_time() - start) * 1000 / n


def properties_ms(cases: list[dict[str, Any]], rounds: int) -> float:
    """Every transform rule's checks (implementation-agnostic properties and agreement with the
    reference) on each case's reference answer, ms per case."""
    try:
        from harness import rules
        from harness.rules.judge import judge
    except ImportError as e:
        raise Skip(f"no rule registry to time: {e}") from None
    from harness.reference import transform

    ids = [r.id for r in rules.transform_rules() if r.id != "idempotence"]  # idempotence re-runs the target
    outs = [(c, transform(c)) for c in cases]
    return best_of(lambda: [judge(r, c, o) for c, o in outs for r in ids], rounds) * 1000 / len(cases)


def per_case_ms(target, cases: list[dict[str, Any]]) -> tuple[float, int]:
    """Mean ms per answered case (an answer or a case error); cases the target declines without
    a round trip (NotExpressible) are left out of the mean."""
    from harness.errors import CaseError
    from harness.targets.base import NotExpressible

    total, answered = 0.0, 0
    for case in cases:
        start = time.perf_counter()
        try:
            target.transform(case)
        except NotExpressible:
            continue
        except CaseError:
            pass
        total += time.perf_counter() - start
        answered += 1
    if not answered:
        raise Skip("the target answered none of the cases")
    return total * 1000 / answered, answered


def open_target(spec: str):
    from harness.errors import TargetUnavailable
    from harness.targets import create

    try:
        return create(spec)
    except TargetUnavailable as e:
        raise Skip(str(e)) from None


def command_ms(cases: list[dict[str, Any]]) -> float:
    script = ROOT / "tests" / "fixtures" / "jsonl_target.py"
    target = open_target(f"command:{sys.executable} {script}")
    try:
        per_case_ms(target, cases[:5])  # warm: process start
        return per_case_ms(target, cases)[0]
    finally:
        target.close()


def litellm_ms(per_combo: int) -> tuple[float, int]:
    target = open_target("litellm")
    try:
        cases = target_cases(target, per_combo)
        per_case_ms(target, cases[:3])  # warm: imports, capture server
        return per_case_ms(target, cases)
    finally:
        target.close()


def node_pair(name: str, per_combo: int, spawned: int) -> tuple[float, float, int]:
    """(worker ms/case, spawn ms/case, cases): one persistent worker over the cases (after a
    warm-up over four times as many others), then one fresh Node process per case (a new target
    started, asked once and closed) over the first few."""
    target = open_target(name)
    try:
        # Every fifth case of one draw is timed, the others (of the same spread) warm the worker
        # up first: a suite run sends thousands of cases to one worker, and its first hundred run
        # before V8 has optimized the target's code (up to 1.7x slower). The figure is the steady
        # state a suite run sees.
        drawn = target_cases(target, WARM_UP * per_combo)
        cases = drawn[::WARM_UP]
        warm = [c for i, c in enumerate(drawn) if i % WARM_UP]
        target.start()  # startup is the spawn figure's cost, not the worker's
        per_case_ms(target, warm)
        worker, answered = per_case_ms(target, cases)
    finally:
        target.close()
    total, n = 0.0, 0
    for case in cases:
        if n == spawned:
            break
        start = time.perf_counter()
        fresh = open_target(name)
        # Declined cases are timed too: a naive driver pays the start either way.
        with contextlib.suppress(Exception):
            fresh.transform(case)
        fresh.close()
        total += time.perf_counter() - start
        n += 1
    return worker, total * 1000 / n, answered


# ------------------------------------------------------------------------------- replay
CASSETTE = ROOT / "cassettes" / "moonshot" / "kimi-k2.6" / "plain.yaml"


def replay_vs_mock(rounds: int, n: int = 50) -> tuple[float, float]:
    """ms for one request answered from a cassette (vcrpy, through harness.cassettes._vcr) and for
    the same response from a bare httpx.MockTransport, both through an httpx.Client."""
    import httpx
    import yaml

    from harness.cassettes._vcr import CassetteSession

    doc = yaml.safe_load(CASSETTE.read_text())
    it = doc["interactions"][0]
    req, resp = it["request"], it["response"]
    body = json.dumps(req["body"]["json"]).encode()
    answer = json.dumps(resp["body"]["json"]).encode()
    headers = {k: v[0] for k, v in resp["headers"].items()}

    def mock(request):
        return httpx.Response(resp["status"]["code"], headers=headers, content=answer)

    tmp = Path(tempfile.mkdtemp(prefix="kimi-bench-"))
    try:
        path = tmp / CASSETTE.name
        shutil.copy(CASSETTE, path)
        with (
            CassetteSession(path, mode="none") as session,
            httpx.Client() as vcr_client,
            httpx.Client(transport=httpx.MockTransport(mock)) as mock_client,
        ):
            session.cassette.allow_playback_repeats = True  # replay the one interaction n times

            def post(client):
                for _ in range(n):
                    r = client.post(req["uri"], content=body, headers={"content-type": "application/json"})
                    r.read()
                    assert r.status_code == resp["status"]["code"]

            post(vcr_client)
            post(mock_client)
            t_vcr, t_mock = paired(lambda: post(vcr_client), lambda: post(mock_client), rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t_vcr * 1000 / n, t_mock * 1000 / n


# ------------------------------------------------------------------------------- whole runs
def pytest_seconds(args: list[str]) -> tuple[float, str]:
    """Wall time of a pytest run in a subprocess with the CI profile, and its last summary line."""
    env = {**os.environ, "CI": "true", "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider"]
    start = time.perf_counter()
    done = subprocess.run(cmd, check=False, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    counts = [ln.strip("= ") for ln in done.stdout.splitlines() if _SUMMARY.search(ln)]
    failed = [ln for ln in done.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    summary = (counts[-1] if counts else f"exit {done.returncode}") + "".join(f"; {ln}" for ln in failed[:5])
    return seconds, summary


_SUMMARY = re.compile(r"\d+ (passed|failed|errors?)\b.* in [\d.]+s")


def machine() -> dict[str, Any]:
    import platform

    node = shutil.which("node")
    with contextlib.suppress(Exception):  # no cached Node: the one on PATH, if any
        from harness.targets.node import install

        cached = install.node_path(install.default_cache_dir("openclaw"))
        node = str(cached) if Path(cached).is_file() else node
    node_version = None
    if node:
        node_version = (
            subprocess.run([node, "--version"], check=False, capture_output=True, text=True).stdout.strip() or None
        )
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "node": node_version,
        "platform": platform.platform(),
        "load_average": list(os.getloadavg()),
    }


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], check=False, cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD") or None,
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }
