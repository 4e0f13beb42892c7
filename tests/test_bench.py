"""`python -m benchmarks.bench`: the report holds every figure (measured or null with a reason),
the ratios and goals follow from the figures, and `--compare` reads two runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks import bench
from tests.child import run as run_child

ROOT = Path(__file__).resolve().parents[1]
FIGURES = (
    "reference_cases_per_s",
    "json_roundtrip_cases_per_s",
    "case_generation_ms",
    "properties_ms_per_case",
    "openclaw_worker_ms_per_case",
    "openclaw_spawn_ms_per_case",
    "pi_ai_worker_ms_per_case",
    "pi_ai_spawn_ms_per_case",
    "litellm_ms_per_case",
    "command_target_ms_per_case",
    "replay_ms",
    "mock_transport_ms",
    "suite_seconds",
    "tests_seconds",
    "offline_seconds",
    "openclaw_deep_examples_per_s_1w",
    "openclaw_deep_examples_per_s_2w",
    "pi_ai_deep_examples_per_s_1w",
    "pi_ai_deep_examples_per_s_2w",
    "litellm_deep_examples_per_s_1w",
    "litellm_deep_examples_per_s_2w",
)


def test_ratios_and_goals_follow_from_the_figures():
    f = {
        "reference_cases_per_s": 8000.0,
        "json_roundtrip_cases_per_s": 10000.0,
        "openclaw_worker_ms_per_case": 5.0,
        "openclaw_spawn_ms_per_case": 1000.0,
        "replay_ms": 0.9,
        "mock_transport_ms": 0.3,
        "case_generation_ms": 1.5,
    }
    r = bench.ratios(f)
    assert r["reference_vs_json_floor"] == 0.8
    assert r["openclaw_worker_speedup"] == 200.0
    assert r["replay_vs_mock_transport"] == 3.0
    assert r["pi_ai_worker_speedup"] is None  # not measured: no ratio, never a made-up one
    g = bench.goals(f)
    assert g["reference_vs_json_floor"]["met"] is True
    assert g["openclaw_worker_speedup"]["met"] is False
    assert g["replay_vs_mock_transport"]["met"] is False
    assert g["case_generation_ms"]["met"] is False
    assert "pi_ai_worker_speedup" not in g  # a ratio without a goal


def test_compare_prints_new_over_old():
    old = {"figures": {"replay_ms": 2.0, "suite_seconds": None}, "ratios": {}}
    new = {"figures": {"replay_ms": 1.0, "suite_seconds": 50.0}, "ratios": {}}
    lines = {ln.split()[0]: ln.split() for ln in bench.compare(old, new).splitlines()[1:]}
    assert lines["replay_ms"][-1] == "0.50"
    assert lines["suite_seconds"][1:] == ["null", "50", "-"]


@pytest.mark.parametrize(
    "content, says",
    [
        (None, "no such file"),
        ("{", "not JSON"),
        ('{"x": 1}', "not a bench report"),
    ],
)
@pytest.mark.integration
def test_a_bad_compare_file_is_one_line(tmp_path, content, says):
    path = tmp_path / "old.json"
    if content is not None:
        path.write_text(content)
    r = run_child(
        [sys.executable, "-m", "benchmarks.bench", "--compare", str(path), "--only-compare", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode != 0
    assert says in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.integration
def test_a_quick_run_writes_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    r = run_child(
        [
            sys.executable,
            "-m",
            "benchmarks.bench",
            "--quick",
            "--targets",
            "command",
            "--cases",
            "2",
            "--rounds",
            "1",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads(out.read_text())
    for name in FIGURES:
        assert name in report["figures"], name
        assert report["figures"][name] is not None or report["skipped"][name], name
    for name in (
        "reference_cases_per_s",
        "json_roundtrip_cases_per_s",
        "case_generation_ms",
        "replay_ms",
        "mock_transport_ms",
        "command_target_ms_per_case",
        "properties_ms_per_case",
    ):
        assert report["figures"][name] > 0, name
    assert report["skipped"]["openclaw_worker_ms_per_case"] == "openclaw not selected (--targets)"
    assert report["skipped"]["suite_seconds"].startswith("--quick")
    assert report["machine"]["cores"] >= 1 and report["machine"]["python"]
    assert len(report["git"]["commit"]) == 40
    assert set(report["ratios"]) == {
        "reference_vs_json_floor",
        "openclaw_worker_speedup",
        "pi_ai_worker_speedup",
        "replay_vs_mock_transport",
        "openclaw_deep_scaling",
        "pi_ai_deep_scaling",
        "litellm_deep_scaling",
    }
    assert report["skipped"]["openclaw_deep_examples_per_s_2w"].startswith("--quick")
    assert len(report["load_average"]["start"]) == 3  # the machine's load, beside the wall-time figures
    assert "reference_vs_json_floor" in r.stdout  # the table
    again = run_child(
        [sys.executable, "-m", "benchmarks.bench", "--compare", str(out), "--only-compare", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0 and "1.00" in again.stdout


def test_deep_scaling_is_two_workers_over_one_and_held_to_its_goal():
    f = {"openclaw_deep_examples_per_s_1w": 100.0, "openclaw_deep_examples_per_s_2w": 150.0}
    assert bench.ratios(f)["openclaw_deep_scaling"] == 1.5
    assert bench.goals(f)["openclaw_deep_scaling"]["met"] is False  # goal >= 1.7 on 2 cores
    f["openclaw_deep_examples_per_s_2w"] = 180.0
    assert bench.goals(f)["openclaw_deep_scaling"]["met"] is True
    assert bench.ratios({"openclaw_deep_examples_per_s_1w": 100.0})["openclaw_deep_scaling"] is None


def test_deep_runs_are_the_deep_search_on_a_budget_and_count_what_they_judged(tmp_path):
    from benchmarks import deep

    one, two = deep.command("openclaw", 1, 3, tmp_path), deep.command("openclaw", 2, 3, tmp_path)
    assert "-n" not in one and two[-4:] == ["-n", "2", "--dist", "worksteal"]
    assert "--kimi-target=openclaw" in one and "--hypothesis-seed=3" in one
    assert f"--hypothesis-profile={deep.PROFILE}" in one and "benchmarks.deep" in one
    assert not any("wire" in a for a in one)  # the wire suites do not run the target
    doc = {"tests": {"T3": {"m1": {"drawn": 20, "replayed": 3}, "m2": {"drawn": 7, "replayed": 0}}}}
    (tmp_path / "coverage-openclaw.json").write_text(json.dumps(doc))
    assert deep.examples(tmp_path) == 30


@pytest.mark.integration
def test_the_deep_budget_profile_stops_each_test_at_its_examples(tmp_path):
    """A real run of the budget profile (the reference, one rule): each test judges the budget's draws."""
    import os

    from benchmarks import deep

    env = {**os.environ, deep.BUDGET_ENV: "3", "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    cmd = deep.command("reference", 1, 1, tmp_path)
    cmd = [a for a in cmd if not a.startswith("suites/")] + [
        "suites/test_t3_thinking_keep.py",
        "--kimi-model=moonshot/kimi-k2.6",
    ]
    r = run_child(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    drawn = json.loads((tmp_path / "coverage-reference.json").read_text())["tests"]["T3"]["moonshot/kimi-k2.6"]["drawn"]
    assert drawn == 3


@pytest.mark.integration
def test_own_tests_times_the_offline_tier_with_the_load_beside_it(tmp_path, monkeypatch):
    """--own-tests runs the offline test command once (here narrowed to this file and by -k to two of
    its tests: the whole tier's collection, on each of its two workers, is what the bench measures)."""
    assert "-m" in bench.OFFLINE_TESTS and "not integration" in bench.OFFLINE_TESTS
    monkeypatch.setattr(bench, "OFFLINE_TESTS", ["tests/test_bench.py", "-m", "not integration"])
    monkeypatch.chdir(ROOT)
    out = tmp_path / "bench.json"
    k = "test_compare_prints_new_over_old or test_ratios_and_goals_follow_from_the_figures"
    assert bench.main(["--own-tests", "--own-tests-k", k, "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    figures = report["figures"]
    assert figures["offline_tests_s"] > 0
    assert figures["offline_tests_load_1m_start"] >= 0 and figures["offline_tests_load_1m_end"] >= 0
    assert report["runs"]["offline_tests_s"].startswith("2 passed"), report["runs"]


def test_own_tests_k_without_own_tests_is_a_usage_error():
    with pytest.raises(SystemExit) as e:
        bench.main(["--own-tests-k", "x"])
    assert e.value.code == 2
