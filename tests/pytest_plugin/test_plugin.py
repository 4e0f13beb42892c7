"""The pytest plugin as a user meets it (pytester runs the suites in a sandbox)."""

import json
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
# each test but the override check runs whole pytest sessions: the integration tier (tests/spawn_guard.py)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def suites(pytester):
    shutil.copytree(ROOT / "suites", pytester.path / "suites")
    pytester.syspathinsert(ROOT)  # tests.mutants, for python: targets
    return pytester


def run(pytester, *args):
    """Run pytest inside the sandbox the way an installed plugin would be loaded."""
    from importlib.metadata import entry_points

    installed = any(
        ep.value in ("kimi_conformance.plugin", "harness.pytest_plugin.plugin") for ep in entry_points(group="pytest11")
    )
    extra = () if installed else ("-p", "harness.pytest_plugin.plugin")
    # importlib mode: the outer run may have imported suites/ modules under the same names.
    return pytester.runpytest(
        *args, *extra, "-p", "no:cacheprovider", "--hypothesis-profile=mutation", "--import-mode=importlib"
    )


@pytest.mark.integration
def test_unknown_target_fails_clearly(suites):
    result = run(
        suites, "suites/test_t8_stream_usage.py", "--kimi-target", "nosuch", "--kimi-model", "moonshot/kimi-k2.6"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*target 'nosuch' is not available: unknown target*"])


@pytest.mark.integration
def test_bad_catalog_is_a_usage_error(suites, tmp_path):
    bad = tmp_path / "c.json"
    bad.write_text("{")
    result = run(suites, "suites/test_t8_stream_usage.py", "--kimi-catalog", str(bad))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*not valid JSON*"])
    assert "Traceback" not in result.stderr.str()


@pytest.mark.integration
def test_unknown_model_filter_is_a_usage_error(suites):
    result = run(suites, "suites/test_t8_stream_usage.py", "--kimi-model", "moonshot/kimi-k9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*closest known refs*"])


@pytest.mark.integration
def test_results_are_per_target_model_and_rule(suites, tmp_path):
    out = tmp_path / "res"
    result = run(
        suites,
        "suites/test_t3_thinking_keep.py",
        "--kimi-target",
        "reference",
        "--kimi-target",
        "bad=python:tests.mutants:t3_keep_everywhere",
        "--kimi-model",
        "moonshot/kimi-k2.5",
        "--kimi-results-dir",
        str(out),
    )
    result.assert_outcomes(passed=1, failed=1)
    ref = json.loads((out / "results-reference.json").read_text())
    bad = json.loads((out / "results-bad.json").read_text())
    assert [(r["rule"], r["model"], r["outcome"]) for r in ref["results"]] == [("T3", "moonshot/kimi-k2.5", "passed")]
    assert [(r["rule"], r["outcome"]) for r in bad["results"]] == [("T3", "failed")]


SUBCLASS = """
import pytest
from harness.pytest_plugin.suite_class import ConformanceSuite

class TestMine(ConformanceSuite):
    target = "python:tests.mutants:t3_keep_everywhere"
    models = ("Kimi K2.5",)
    test_t3_thinking_keep = ConformanceSuite.known_failure("T3", reason="keeps thinking.keep everywhere")
"""


@pytest.mark.integration
def test_base_class_suite_in_another_project(pytester):
    pytester.syspathinsert(ROOT)
    pytester.makepyfile(
        test_mine=SUBCLASS.replace("    test_t3_thinking_keep = ", "    # ").replace(
            "python:tests.mutants:t3_keep_everywhere", "reference"
        )
    )
    result = run(pytester, "-q")
    # every rule of the registry: one test per transformation rule and for T9 (one model), one per bad case
    from harness import rules
    from harness.pytest_plugin.standard_tests import BAD_CASES

    bad = len(json.loads(BAD_CASES.read_text())["cases"])
    # a rule of another surface (anthropic: Kimi Coding's Messages models) has none of the suite's models;
    # the models the class does not declare, and the replay of its (absent) known divergences, are n/a
    other = [r for r in rules.transform_rules() if r.extra.get("api", "openai-completions") != "openai-completions"]
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == len(rules.transform_rules()) - len(other) + 1 + bad
    assert not outcomes.get("failed") and not outcomes.get("errors") and outcomes.get("skipped", 0) > 0


@pytest.mark.integration
def test_base_class_known_failure_is_an_xfail(pytester):
    pytester.syspathinsert(ROOT)
    pytester.makepyfile(test_mine=SUBCLASS)
    result = run(pytester, "-q", "-rs", "-k", "thinking_keep")
    outcomes = result.parseoutcomes()
    assert outcomes.get("xfailed") == 1 and not outcomes.get("failed") and not outcomes.get("passed")
    # the models it does not serve are n/a with the reason, never dropped
    assert outcomes.get("skipped", 0) > 0
    result.stdout.fnmatch_lines(["*not applicable: TestMine serves moonshot/kimi-k2.5 only (declared with models)*"])


@pytest.mark.integration
def test_base_class_strict_xfail_fails_when_fixed(pytester):
    pytester.syspathinsert(ROOT)
    pytester.makepyfile(test_mine=SUBCLASS.replace("python:tests.mutants:t3_keep_everywhere", "reference"))
    result = run(pytester, "-q", "-k", "thinking_keep")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1 and not outcomes.get("xfailed")
    result.stdout.fnmatch_lines(["*XPASS(strict)*"])


@pytest.mark.parametrize(
    "override",
    [
        "None",
        "ConformanceSuite.test_t4_tool_choice",
        "pytest.mark.xfail(reason='x', strict=True)(ConformanceSuite.test_t4_tool_choice)",
        "ConformanceSuite.known_failure('T4', reason='wrong rule')",
    ],
)
def test_base_class_refuses_any_other_override(override):
    """Only known_failure(<its own rule>) may replace a standard test: not None, not a copy, not a
    hand-made xfail, not another rule's known failure."""
    from harness.pytest_plugin.suite_class import ConformanceSuite

    with pytest.raises(TypeError, match="overrides a standard conformance test"):
        type("TestMine", (ConformanceSuite,), {"test_t3_thinking_keep": eval(override)})


@pytest.mark.integration
def test_base_class_cannot_silently_drop_a_test(pytester):
    pytester.syspathinsert(ROOT)
    pytester.makepyfile(
        test_mine="""
from harness.pytest_plugin.suite_class import ConformanceSuite

class TestMine(ConformanceSuite):
    def test_t3_thinking_keep(self):
        pass
"""
    )
    result = run(pytester, "-q")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*overrides a standard conformance test*known_failure('T3'*"])


# ------------------------------------------------------------------------------- option names
def _kimi_group_options(pytester) -> list[list[str]]:
    """The option strings of every option in the plugin's group, as pytest registered them."""
    config = pytester.parseconfig()
    group = next(g for g in config._parser._groups if g.name == "kimi-conformance")
    return [list(o.names()) for o in group.options]


@pytest.mark.integration
def test_every_option_is_prefixed_and_only_known_aliases_are_not(pytester):
    from harness.pytest_plugin.options import DEPRECATED

    options = _kimi_group_options(pytester)
    assert options, "the plugin's option group is empty"
    assert all(names[0].startswith("--kimi-") for names in options)
    unprefixed = {n for names in options for n in names if not n.startswith("--kimi-")}
    assert unprefixed == set(DEPRECATED)
    # pytest-recording's names are its own (tests/pytest_plugin/test_pytest_recording.py runs both together)
    assert not {n for names in options for n in names} & {"--record-mode", "--block-network", "--allowed-hosts"}


@pytest.mark.integration
def test_a_deprecated_spelling_still_works_and_warns_once(suites):
    result = run(
        suites,
        "suites/test_t8_stream_usage.py",
        "--target",
        "reference",
        "--model",
        "moonshot/kimi-k2.6",
        "--model=moonshot/kimi-k2.5",
        "-W",
        "always::pytest.PytestDeprecationWarning",
    )
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    assert out.count("unprefixed options are deprecated") == 1
    assert "--target -> --kimi-target, --model -> --kimi-model" in out


@pytest.mark.integration
def test_the_prefixed_spelling_does_not_warn(suites):
    result = run(
        suites, "suites/test_t8_stream_usage.py", "--kimi-target", "reference", "--kimi-model", "moonshot/kimi-k2.6"
    )
    result.assert_outcomes(passed=1)
    assert "deprecated" not in result.stdout.str()


# ------------------------------------------------------------------------------- your own repository
NAIVE = """
from kimi_conformance import ConformanceSuite

class TestNaive(ConformanceSuite):
    target = "python:naive_gateway:forward"
    name = "naive"
    models = ["moonshot/kimi-k2.6"]
    apis = {apis}
    divergences = {divergences}
"""
# a naive gateway: the request goes out as the reference makes it, but without the configured extra body
NAIVE_GATEWAY = """
import copy

from harness.reference import transform


def forward(case):
    case = copy.deepcopy(case)
    (case.get("params") or {}).pop("extra_body", None)
    return transform(case)
"""


def _naive(pytester, apis="None", divergences="None"):
    pytester.syspathinsert(ROOT)
    pytester.syspathinsert(pytester.path)
    pytester.makepyfile(naive_gateway=NAIVE_GATEWAY)
    pytester.makepyfile(test_naive=NAIVE.format(apis=apis, divergences=divergences))


@pytest.mark.integration
def test_declared_apis_make_other_surfaces_not_applicable(pytester):
    _naive(pytester, apis='["openai-completions"]')
    result = run(pytester, "-q", "-rs", "-k", "anthropic")
    outcomes = result.parseoutcomes()
    assert not outcomes.get("failed") and outcomes.get("skipped", 0) >= 1
    result.stdout.fnmatch_lines(["*not applicable: TestNaive speaks openai-completions, not anthropic-messages*"])


@pytest.mark.integration
def test_kimi_apis_option_declares_the_surfaces_of_a_command_line_target(suites):
    args = ["suites/test_anthropic_messages.py", "--kimi-target", "reference", "--kimi-apis", "openai-completions"]
    result = run(suites, *args, "-rs")
    assert result.parseoutcomes().get("skipped", 0) >= 1 and not result.parseoutcomes().get("passed")
    result.stdout.fnmatch_lines(["*speaks openai-completions, not anthropic-messages (declared with --kimi-apis)*"])


@pytest.mark.integration
def test_a_failure_says_what_to_do_and_how_to_reproduce(pytester):
    _naive(pytester)
    result = run(pytester, "-q", "-k", "t6b_extra_body")
    assert result.parseoutcomes().get("failed") == 1
    out = result.stdout.str()
    assert "first, what the rest may follow from:" in out and "[T6b.extra-body-dropped]" in out
    assert "what to do:" in out and "kimi-conformance contract T6b" in out
    assert "Reproduce: kimi-conformance check " in out and "--target naive=python:naive_gateway:forward" in out
    # the verdict, not the harness: no frame of the harness's own files, no Hypothesis hint
    assert "harness/engine" not in out and "harness/pytest_plugin" not in out and "reproduce_failure" not in out


@pytest.mark.integration
def test_your_own_divergence_file_turns_the_failure_into_a_known_divergence(pytester):
    _naive(pytester, divergences='"kimi-divergences.yaml"')
    pytester.path.joinpath("cases").mkdir()
    pytester.path.joinpath("cases", "dropped.json").write_text(
        json.dumps(
            {
                "model": "moonshot/kimi-k2.6",
                "params": {"extra_body": {"top_p": 0.9}},
                "request": {"messages": [{"role": "user", "content": "hi"}]},
            }
        )
    )
    from tests.divergences.test_divergence_files import registry_checks

    # what a dropped extra body can show as under T6b: the inner rules' checks (T1-T5, pass-through)
    inner = sorted(c for c in registry_checks() if c.split(".")[0] in {"T1", "T2", "T3", "T4", "T5", "passthrough"})
    pytester.path.joinpath("kimi-divergences.yaml").write_text(
        """target: naive
entries:
  - id: extra-body-not-merged
    title: the extra body is not merged into the request
    rules: [T6b]
    checks: {checks}
    case: cases/dropped.json
    target_does: sends the request without params.extra_body
    contract_says: every extra_body key is merged into the body, then T1-T5 hold on it
    evidence: our issue tracker, #12
""".format(checks=json.dumps(["T6b.agreement", "T6b.extra-body-dropped", *inner]))
    )
    result = run(pytester, "-q", "-rs", "-k", "t6b_extra_body or known_divergence")
    outcomes = result.parseoutcomes()
    assert not outcomes.get("failed") and outcomes.get("passed") == 2, result.stdout.str()[-3000:]
    # the gateway is fixed: the entry no longer diverges, and the run says so
    pytester.path.joinpath("naive_gateway.py").write_text(
        "from harness.reference import transform\n\n\ndef forward(case):\n    return transform(case)\n"
    )
    result = run(pytester, "-q", "-k", "known_divergence")
    assert result.parseoutcomes().get("failed") == 1
    result.stdout.fnmatch_lines(["*naive: divergence 'extra-body-not-merged' no longer diverges*"])


@pytest.mark.integration
def test_a_bad_divergence_file_of_yours_is_one_line(suites, tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text("entries: [{id: x}]\n")
    result = run(suites, "suites/test_t8_stream_usage.py", "--kimi-divergences", str(bad))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{bad}: fails its schema*"])
    assert "Traceback" not in result.stderr.str()


@pytest.mark.integration
def test_a_bad_divergence_file_of_a_suite_class_is_one_line(pytester):
    _naive(pytester, divergences='"kimi-divergences.yaml"')
    pytester.path.joinpath("kimi-divergences.yaml").write_text("entries: [{id: x}]\n")
    result = run(pytester, "-q")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*kimi-divergences.yaml: fails its schema*"])
    assert "Traceback" not in result.stdout.str() and "pluggy" not in result.stdout.str()


@pytest.mark.integration
def test_deselected_items_are_explained_once(suites):
    result = run(suites, "suites/wire/test_wire.py", "--kimi-model", "moonshot/kimi-k2.6", "-q")
    out = result.stdout.str()
    n = result.parseoutcomes().get("deselected", 0)
    assert n > 0 and out.count("deselected: wire scenarios that do not apply to their model") == 1
    assert f"kimi-conformance: {n} deselected:" in out


@pytest.mark.integration
def test_a_malformed_case_accepted_says_what_to_raise_and_reproduces(pytester):
    """The naive gateway forwards anything: the errors tests fail with what to do and a Reproduce
    line whose check exits 1."""
    import shlex
    import subprocess

    _naive(pytester)
    pytester.makepyfile(
        naive_gateway="""
def forward(case):
    body = dict(case.get("request") or {})
    body["model"] = str(case.get("model"))
    return {"method": "POST", "url": "https://api.moonshot.ai/v1/chat/completions", "headers": {}, "body": body}
"""
    )
    result = run(pytester, "-q", "-k", "errors")
    out = result.stdout.str()
    assert result.parseoutcomes().get("failed", 0) >= 1
    assert "raise kimi_conformance.CaseError" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("Reproduce: "))
    argv = shlex.split(line.removeprefix("Reproduce: "))
    assert argv[-2:] == ["--rule", "errors"]
    again = subprocess.run(argv, cwd=pytester.path, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 1 and "errors.accepted" in again.stdout, again.stdout + again.stderr


def test_a_corrupt_shipped_divergence_file_stops_the_run_in_one_line(tmp_path, monkeypatch):
    """It raised inside every test (15 failures, counted against the target); now the plugin reads
    the shipped divergence files and corpus once, at collection, and a bad one is a usage error
    (exit 4, one line naming the file) before any test runs."""
    import shutil as sh
    from types import SimpleNamespace

    from harness.divergences import model
    from harness.pytest_plugin.plugin import _harness_inputs

    copy = tmp_path / "divergences"
    sh.copytree(model.DIR, copy)
    (copy / "litellm.yaml").write_text("entries: [oops\n")
    monkeypatch.setattr(model, "DIR", copy)
    model._load_all.cache_clear()
    try:
        _harness_inputs([SimpleNamespace(fixturenames=["other"])])  # no conformance test: nothing read
        with pytest.raises(pytest.UsageError) as e:
            _harness_inputs([SimpleNamespace(fixturenames=["conformance", "target"])])
    finally:
        model._load_all.cache_clear()
    (message,) = e.value.args
    assert "litellm.yaml: is not valid YAML" in message and "\n" not in message


def test_a_failing_case_is_written_without_the_sessions_secrets(tmp_path, monkeypatch):
    """The minimal case a failure writes (its Reproduce line names the file) is scrubbed like every
    other file: a key the session knows never lands in it, wherever the case carried it."""
    from harness.pytest_plugin import failures
    from harness.util import scrub

    canary = "sk-canary-case-0123456789abcdef"
    scrub.remember([canary])
    monkeypatch.setattr(failures, "folder", lambda config: tmp_path)
    case = {"request": {"model": "kimi-k2.6", "extra_body": {"api_key": canary}, "messages": []}}
    path = failures.write_case(None, "T1", "moonshot/kimi-k2.6", case)  # type: ignore[arg-type]
    text = path.read_text()
    assert path.parent == tmp_path and canary not in text and "kimi-k2.6" in text
