"""The pytest plugin as a user meets it (pytester runs the suites in a sandbox)."""

import json
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
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


def test_unknown_target_fails_clearly(suites):
    result = run(
        suites, "suites/test_t8_stream_usage.py", "--kimi-target", "nosuch", "--kimi-model", "moonshot/kimi-k2.6"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*target 'nosuch' is not available: unknown target*"])


def test_bad_catalog_is_a_usage_error(suites, tmp_path):
    bad = tmp_path / "c.json"
    bad.write_text("{")
    result = run(suites, "suites/test_t8_stream_usage.py", "--kimi-catalog", str(bad))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*not valid JSON*"])
    assert "Traceback" not in result.stderr.str()


def test_unknown_model_filter_is_a_usage_error(suites):
    result = run(suites, "suites/test_t8_stream_usage.py", "--kimi-model", "moonshot/kimi-k9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*closest known refs*"])


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
    # a rule of another surface (anthropic: Kimi Coding's Messages models) has none of the suite's models
    other = [r for r in rules.transform_rules() if r.extra.get("api", "openai-completions") != "openai-completions"]
    result.assert_outcomes(passed=len(rules.transform_rules()) - len(other) + 1 + bad, skipped=len(other))


def test_base_class_known_failure_is_an_xfail(pytester):
    pytester.syspathinsert(ROOT)
    pytester.makepyfile(test_mine=SUBCLASS)
    result = run(pytester, "-q", "-k", "thinking_keep")
    result.assert_outcomes(xfailed=1)


def test_base_class_strict_xfail_fails_when_fixed(pytester):
    pytester.syspathinsert(ROOT)
    pytester.makepyfile(test_mine=SUBCLASS.replace("python:tests.mutants:t3_keep_everywhere", "reference"))
    result = run(pytester, "-q", "-k", "thinking_keep")
    result.assert_outcomes(failed=1)
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


def test_every_option_is_prefixed_and_only_known_aliases_are_not(pytester):
    from harness.pytest_plugin.options import DEPRECATED

    options = _kimi_group_options(pytester)
    assert options, "the plugin's option group is empty"
    assert all(names[0].startswith("--kimi-") for names in options)
    unprefixed = {n for names in options for n in names if not n.startswith("--kimi-")}
    assert unprefixed == set(DEPRECATED)
    # pytest-recording's names are its own (tests/pytest_plugin/test_pytest_recording.py runs both together)
    assert not {n for names in options for n in names} & {"--record-mode", "--block-network", "--allowed-hosts"}


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


def test_the_prefixed_spelling_does_not_warn(suites):
    result = run(
        suites, "suites/test_t8_stream_usage.py", "--kimi-target", "reference", "--kimi-model", "moonshot/kimi-k2.6"
    )
    result.assert_outcomes(passed=1)
    assert "deprecated" not in result.stdout.str()
