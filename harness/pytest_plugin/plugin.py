"""The pytest plugin (entry point `pytest11: kimi_conformance`): hooks and fixtures.

Options are declared in `options` (one group, `--kimi-…`); the wire suites' hooks and fixtures in
`wire`, registered with this module. The work is done by the layers below (catalog, engine,
targets, reporting). Heavy imports happen lazily, so installing the package does not slow down
unrelated pytest runs.
"""

from __future__ import annotations

import os

import pytest

# the wire suites' fixtures and hooks: a second plugin module, registered with this one
pytest_plugins = ["harness.pytest_plugin.wire"]


def pytest_addoption(parser: pytest.Parser) -> None:
    from harness.pytest_plugin.options import add_options

    add_options(parser)


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's own plugin loads --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    from harness.pytest_plugin import profiles

    profiles.register()
    if not config.getoption("hypothesis_profile", default=None):
        profiles.load_default()
    config.addinivalue_line("markers", "rule(id): the contract rule a test checks (T1..T9, routing, ...)")
    config.addinivalue_line("markers", "area(name): transformations / wire / catalog / live")
    config.addinivalue_line("markers", "provenance(kind): where a cassette was recorded: emulator or live")
    from harness.pytest_plugin import options, xdist

    if not xdist.is_worker(config):  # the controller has already said it
        options.warn_deprecated(config)
        if _allure_active(config):  # under xdist only the controller writes the run's session files
            from harness.pytest_plugin.allure_session import _ensure_session_hooks

            _ensure_session_hooks(config)
    if config.getoption("catalog") or config.getoption("model"):
        selected_models(config)  # a bad --kimi-catalog or --kimi-model is a usage error now, not at collection
    if config.getoption("target"):
        selected_targets(config)  # so is a --kimi-target that cannot be read
    # files with --kimi-results-dir; in memory only without it, for the end-of-run summary
    from harness.pytest_plugin.state import RESULTS
    from harness.reporting.results import ResultsWriter

    config.stash[RESULTS] = ResultsWriter(config.getoption("results_dir"))
    _targets_configure(config)
    from harness.pytest_plugin.targets import divergence_files

    divergence_files(config)  # a bad --kimi-divergences file is a usage error now, not in every test
    xdist.configure(config)
    from harness.pytest_plugin import shard

    shard.configure(config)  # --kimi-shard I/N: a bad one is a usage error before collection
    from harness.pytest_plugin import sample

    sample.configure(config)  # CI=true: the slow reproductions' sample, unless --kimi-repro-all


def _targets_configure(config: pytest.Config) -> None:
    """The session's targets (harness.pytest_plugin.targets) and the scrubbing of every report."""
    from harness.pytest_plugin import targets as session
    from harness.pytest_plugin.scrubbing import ReportScrubber

    session.install(config, lambda: {"catalog": _catalog(config), "timeout": config.getoption("target_timeout")})
    config.pluginmanager.register(session.SessionHooks(), "kimi-conformance-targets")
    config.pluginmanager.register(ReportScrubber(), "kimi-conformance-scrubber")


def _allure_active(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "allure_report_dir", None))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _allure_active(item.config):
        from harness.pytest_plugin import allure

        allure.on_setup(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    from harness.pytest_plugin.state import RESULTS, VERDICT

    conformance = getattr(item, "funcargs", {}).get("conformance")
    if conformance is not None and call.when == "setup":
        item.stash[VERDICT] = conformance.start_test()
    if conformance is not None and call.when == "call":
        error = call.excinfo.value if call.excinfo is not None else None
        ended = conformance.end_test(error)
        if ended.not_exercised and report.passed:  # mostly discarded: judged too little to pass
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {ended.not_exercised_reason}")
        from harness.engine.conformance import failures_in

        failures = failures_in(error)
        if failures and report.failed:
            from harness.pytest_plugin.failures import conformance_report

            conformance_report(item, report, failures)
    if call.when == "call" and call.excinfo is not None and VERDICT not in item.stash:
        from harness.scenarios.expect import ScenarioFailure

        if isinstance(call.excinfo.value, ScenarioFailure):  # a wire scenario's checks: its verdict too
            from harness.engine.conformance import TestVerdict

            failed = call.excinfo.value.violations
            item.stash[VERDICT] = TestVerdict(violations=list(failed), cause=failed[0].check if failed else None)
    verdict = item.stash.get(VERDICT, None)
    if _allure_active(item.config):
        from harness.pytest_plugin import allure

        allure.on_report(item, call, report, verdict)
    writer = item.config.stash.get(RESULTS, None)
    if writer is not None:
        writer.add(item, report, verdict)


# ---------------------------------------------------------------------------- parametrization
def _catalog(config: pytest.Config):
    from harness.pytest_plugin.state import catalog

    return catalog(config)


def selected_models(config: pytest.Config) -> list[str]:
    cat = _catalog(config)
    wanted = config.getoption("model")
    if wanted:
        try:
            return list(dict.fromkeys(cat.resolve(ref).ref for ref in wanted))
        except Exception as e:
            raise pytest.UsageError(str(e)) from None
    return [m.ref for m in cat.models(include_retired=not config.getoption("skip_retired"))]


def selected_targets(config: pytest.Config) -> list[str]:
    from harness.errors import TargetError
    from harness.targets import check_spec

    specs = config.getoption("target") or ["reference"]
    for spec in specs:
        try:
            check_spec(spec)
        except TargetError as e:
            raise pytest.UsageError(f"--kimi-target: {e}") from None
    return specs


def _parametrized_by_test(metafunc: pytest.Metafunc, name: str) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        names = names.split(",") if isinstance(names, str) else names
        if name in [n.strip() for n in names]:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`target_name` and `model` are ours to parametrize, unless the test does it itself."""
    config = metafunc.config
    suite_cls = _suite_class(metafunc)
    if suite_cls is not None and suite_cls.divergences:
        from pathlib import Path

        from harness.pytest_plugin.targets import divergence_files

        here = Path(str(metafunc.definition.path)).parent
        divergence_files(config).add(suite_cls.target_spec(), here / suite_cls.divergences)
    if "known_divergence" in metafunc.fixturenames:
        _known_divergences(metafunc, suite_cls)
    if "target_name" in metafunc.fixturenames and not _parametrized_by_test(metafunc, "target_name"):
        from harness.targets import split_alias
        from harness.util.scrub import scrub_text

        # A ConformanceSuite subclass names its own target; plain suites take --kimi-target. A key in
        # a spec must not reach a test id (terminal, junit, allure, results).
        names = [suite_cls.target_spec()] if suite_cls is not None else selected_targets(config)
        metafunc.parametrize("target_name", names, ids=[scrub_text(split_alias(n)[0]) for n in names], scope="session")
    if "model" in metafunc.fixturenames and not _parametrized_by_test(metafunc, "model"):
        models = selected_models(config)
        if suite_cls is not None and suite_cls.models:  # declared: the others are n/a, never dropped
            declared = [_catalog(config).resolve(ref).ref for ref in suite_cls.models]
            models = list(dict.fromkeys([*models, *declared]))
        # A suite speaks one surface (its rule's `api`, else the module's API, default chat
        # completions): Kimi Coding's Anthropic Messages models go to the tests written for them.
        api = getattr(metafunc.module, "API", "openai-completions")
        marker = metafunc.definition.get_closest_marker("rule")
        if marker is not None and marker.args:
            from harness import rules

            try:
                api = rules.get(marker.args[0]).extra.get("api", api)
            except KeyError:
                pass
        params: list[object] = [ref for ref in models if _catalog(config).resolve(ref).api == api]
        if not params:  # one skipped item saying why, rather than pytest's NOTSET parameter
            params = [
                pytest.param(
                    None,
                    id="no-model",
                    marks=pytest.mark.skip(reason=f"none of the selected models is reached through {api}"),
                )
            ]
        metafunc.parametrize("model", params)


def _known_divergences(metafunc: pytest.Metafunc, suite_cls) -> None:
    """One test per known divergence of each target (shipped and the user's own files)."""
    from harness.pytest_plugin.targets import divergence_files
    from harness.targets import split_alias
    from harness.util.scrub import scrub_text

    names = [suite_cls.target_spec()] if suite_cls is not None else selected_targets(metafunc.config)
    params = []
    for spec in names:
        name = scrub_text(split_alias(spec)[0])
        entries = [d for d in divergence_files(metafunc.config).entries(name) if d.observer == "harness"]
        if not entries:
            params.append(pytest.param((spec, None), id=f"{name}-none"))
        params += [pytest.param((spec, d.id), id=f"{name}-{d.id}") for d in entries]
    metafunc.parametrize("known_divergence", params)


def _suite_class(metafunc: pytest.Metafunc):
    cls = metafunc.cls
    if cls is None or "harness.pytest_plugin.suite_class" not in __import__("sys").modules:
        return None
    from harness.pytest_plugin.suite_class import ConformanceSuite

    return cls if issubclass(cls, ConformanceSuite) else None


def _harness_inputs(items: list[pytest.Item]) -> None:
    """The shipped divergence files and corpus, read once before any test that needs them: one
    that cannot be read stops the run in one line (exit 4), never as a failure of every test."""
    if not any({"conformance", "known_divergence"} & set(getattr(item, "fixturenames", ())) for item in items):
        return
    from harness import corpus, rules
    from harness.divergences.model import DivergenceFileError, _load_all

    try:
        _load_all()
        for rule in rules.ids():
            corpus.corpus(rule)
    except (DivergenceFileError, corpus.CorpusError) as e:
        raise pytest.UsageError(str(e)) from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A rule a target cannot express is reported as not applicable (skipped), never passed."""
    from harness.pytest_plugin.targets import not_applicable_reason

    _harness_inputs(items)

    for item in items:
        marker = item.get_closest_marker("rule")
        callspec = getattr(item, "callspec", None)
        if marker is None or callspec is None or "target_name" not in callspec.params:
            continue
        reason = _undeclared(config, item, callspec.params.get("model")) or not_applicable_reason(
            config, callspec.params["target_name"], marker.args[0], callspec.params.get("model")
        )
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"not applicable: {reason}"))


def _undeclared(config: pytest.Config, item: pytest.Item, model: object) -> str | None:
    """A surface or model the target does not serve, as its suite class (`apis`, `models`) or
    --kimi-apis declares: the test is not applicable, with that reason."""
    if not isinstance(model, str):
        return None
    cls = getattr(item, "cls", None)
    suite = cls if cls is not None and hasattr(cls, "target_spec") else None
    who = suite.__name__ if suite is not None else "the targets of this run"
    apis = (suite.apis if suite is not None and suite.apis else None) or config.getoption("apis", None)
    resolved = _catalog(config).resolve(model)
    if apis and resolved.api not in apis:
        how = "apis" if suite is not None and suite.apis else "--kimi-apis"
        return f"{who} speaks {', '.join(apis)}, not {resolved.api} (declared with {how})"
    if suite is not None and suite.models:
        declared = {_catalog(config).resolve(ref).ref for ref in suite.models}
        if resolved.ref not in declared:
            return f"{who} serves {', '.join(sorted(declared))} only (declared with models)"
    return None


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def catalog(request: pytest.FixtureRequest):
    return _catalog(request.config)


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, target_name: str):
    from harness.pytest_plugin.targets import open_target

    return open_target(request.config, target_name)


@pytest.fixture(scope="session")
def conformance(request: pytest.FixtureRequest, catalog):
    """Runs a rule's properties and its agreement with the reference on drawn cases (one engine
    for the session; each test's findings go into its own verdict, `item.stash[VERDICT]`)."""
    from harness.engine.conformance import Conformance
    from harness.pytest_plugin.targets import divergence_files

    engine = Conformance(catalog, user_divergences=divergence_files(request.config).files)
    from harness.pytest_plugin.coverage import adopt

    adopt(request.config, engine)  # its contract coverage is the session's (written at the end)
    return engine


def pytest_sessionstart(session: pytest.Session) -> None:
    from harness.pytest_plugin import failures, xdist

    if not xdist.is_worker(session.config):  # one session's failing cases, not an earlier one's
        failures.start_session(session.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    from harness.pytest_plugin import xdist as parallel

    parallel.session_finish(session.config, _catalog)
    if not parallel.is_worker(session.config):  # workers sent their counts; the controller writes once
        from harness.pytest_plugin import coverage

        coverage.session_finish(session, _catalog)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """This session's results against the previous run of its targets (harness.reporting.summary)."""
    from harness.pytest_plugin import xdist
    from harness.pytest_plugin.state import DESELECTED, RESULTS
    from harness.reporting import runs
    from harness.reporting.summary import CASES_DIR, append_step_summary, compare, render, write

    for why, count in config.stash.get(DESELECTED, {}).items():  # pytest says "N deselected", not why
        terminalreporter.write_line(f"kimi-conformance: {count} deselected: {why}")
    from harness.pytest_plugin.coverage import terminal_lines

    for line in terminal_lines(config):  # contract coverage per target, and the gate's gaps
        terminalreporter.write_line(line)
    writer = config.stash.get(RESULTS, None)
    if writer is None or xdist.is_worker(config) or not any(r.rule for r in writer.records.values()):
        return
    try:
        current = runs.from_files([("session", d) for d in writer.payloads(getattr(writer, "meta", {})).values()])
        previous = runs.load(writer.previous) if writer.previous else None
    except (OSError, ValueError) as e:
        terminalreporter.write_line(f"kimi-conformance summary: {e}")
        return
    s = compare(previous, current)
    if writer.directory is not None:
        md = write(s, writer.directory / "summary.md")
        md = md.replace(f"]({CASES_DIR}/", f"]({writer.directory / CASES_DIR}/")
    else:
        md = render(s)
    terminalreporter.write_sep("=", "kimi-conformance summary")
    for line in md.splitlines()[1:]:
        terminalreporter.write_line(line)
    append_step_summary(s)


def pytest_unconfigure(config: pytest.Config) -> None:
    from harness.pytest_plugin.targets import close_targets

    close_targets(config)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
