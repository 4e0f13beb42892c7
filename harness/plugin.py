"""The pytest plugin (entry point `pytest11: kimi_conformance`): options, fixtures, hooks.

Everything pytest-facing lives here; the work is done by the layers below it (catalog,
contract, targets, generation). Heavy imports happen lazily, so installing the package does not
slow down unrelated pytest runs.
"""

from __future__ import annotations

import os

import pytest

GROUP = "kimi-conformance"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "kimi-conformance: Moonshot / Kimi provider conformance")
    group.addoption("--target", action="append", default=None, metavar="NAME",
                    help="system under test: reference (default), python:MODULE:CALLABLE, command:CMD, "
                         "openclaw, pi-ai, litellm, http:URL. Repeatable: results are per target.")
    group.addoption("--catalog", default=None, metavar="PATH",
                    help="a catalog (or openclaw.json) merged over the built-in one (mode: merge) or replacing it")
    group.addoption("--model", action="append", default=None, metavar="REF",
                    help="only these model refs (any spelling the catalog resolves). Repeatable.")
    group.addoption("--skip-retired", action="store_true", default=False,
                    help="leave out models the catalog marks retired")
    group.addoption("--target-timeout", type=float, default=30.0, metavar="SECONDS",
                    help="per-case timeout for process targets (default 30)")
    group.addoption("--results-dir", default=None, metavar="DIR",
                    help="write per-test conformance results (JSON, per target) here, for `kimi-conformance matrix`")


def pytest_configure(config: pytest.Config) -> None:
    from harness import profiles

    profiles.register()
    if not config.getoption("hypothesis_profile", default=None):
        profiles.load_default()
    config.addinivalue_line("markers", "rule(id): the contract rule a test checks (T1..T9, routing, ...)")
    config.addinivalue_line("markers", "area(name): transformations / wire / catalog / live")
    config.addinivalue_line("markers", "provenance(kind): where a cassette was recorded: emulator or live")
    if config.getoption("results_dir"):
        from harness.reporting.results import ResultsWriter

        config._kimi_results = ResultsWriter(config.getoption("results_dir"))


def _allure_active(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "allure_report_dir", None))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _allure_active(item.config):
        from harness.reporting import allure

        allure.on_setup(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    conformance = getattr(item, "funcargs", {}).get("conformance")
    if conformance is not None and call.when == "call":
        for divergence in sorted(set(conformance.hits)):
            report.user_properties.append(("divergence", divergence))
    if conformance is not None and call.when in ("setup", "teardown"):
        conformance.hits.clear()
    if _allure_active(item.config):
        from harness.reporting import allure

        allure.on_report(item, call, report)
    writer = getattr(item.config, "_kimi_results", None)
    if writer is not None:
        writer.add(item, report)


# ---------------------------------------------------------------------------- parametrization
def _catalog(config: pytest.Config):
    cached = getattr(config, "_kimi_catalog", None)
    if cached is None:
        from harness import catalog

        try:
            cached = catalog.load(config.getoption("catalog"))
        except Exception as e:  # a bad --catalog is a usage error, not 100 failing tests
            raise pytest.UsageError(str(e)) from None
        config._kimi_catalog = cached
    return cached


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
    return config.getoption("target") or ["reference"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    if "target_name" in metafunc.fixturenames:
        from harness.targets import split_alias

        names = selected_targets(config)
        metafunc.parametrize("target_name", names, ids=[split_alias(n)[0] for n in names], scope="session")
    if "model" in metafunc.fixturenames:
        metafunc.parametrize("model", selected_models(config))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A rule a target cannot express is reported as not applicable (skipped), never passed."""
    from harness.suite import not_applicable_reason

    for item in items:
        marker = item.get_closest_marker("rule")
        callspec = getattr(item, "callspec", None)
        if marker is None or callspec is None or "target_name" not in callspec.params:
            continue
        reason = not_applicable_reason(config, callspec.params["target_name"], marker.args[0],
                                       callspec.params.get("model"))
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"not applicable: {reason}"))


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def catalog(request: pytest.FixtureRequest):
    return _catalog(request.config)


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, target_name: str):
    from harness.suite import open_target

    return open_target(request.config, target_name)


@pytest.fixture(scope="session")
def conformance(request: pytest.FixtureRequest, catalog):
    """Runs a rule's properties and its agreement with the reference on drawn cases."""
    from harness.suite import Conformance

    return Conformance(catalog)


def pytest_sessionfinish(session: pytest.Session) -> None:
    writer = getattr(session.config, "_kimi_results", None)
    if writer is not None:
        from harness import __version__
        from harness.suite import target_versions

        cat = _catalog(session.config)
        writer.write({"harness": __version__, "catalog": cat.version,
                      "targets": target_versions(session.config)})


def pytest_unconfigure(config: pytest.Config) -> None:
    from harness.suite import close_targets

    close_targets(config)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
