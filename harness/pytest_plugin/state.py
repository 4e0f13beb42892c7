"""Per-test and per-session state the plugin shares with reporting, kept in pytest's stash
(never as attributes on the config) so no layer has to import the plugin."""

from __future__ import annotations

from typing import Any

import pytest

# why items were deselected by the harness itself (not by -k / -m): reason -> count, said once at the end
DESELECTED: pytest.StashKey[dict[str, int]] = pytest.StashKey()
VERDICT: pytest.StashKey[Any] = pytest.StashKey()  # harness.engine.conformance.TestVerdict of the test
CATALOG: pytest.StashKey[Any] = pytest.StashKey()  # harness.catalog.Catalog of the session (--kimi-catalog)
RESULTS: pytest.StashKey[Any] = pytest.StashKey()  # harness.reporting.results.ResultsWriter
NETWORK_BLOCKED: pytest.StashKey[bool] = pytest.StashKey()  # --kimi-block-network is in force
WIRE: pytest.StashKey[Any] = pytest.StashKey()  # harness.cassettes.settings.WireSettings
# under pytest-xdist, on the controller: what the workers sent (harness.pytest_plugin.xdist), by kind:
# "versions" (target -> versions) and "broken" (alias -> cause)
FROM_WORKERS: pytest.StashKey[dict[str, dict[str, Any]]] = pytest.StashKey()


def from_workers(config: pytest.Config, kind: str) -> dict[str, Any]:
    return config.stash.get(FROM_WORKERS, {}).get(kind, {})


def catalog(config: pytest.Config):
    """The session's catalog: loaded once; a bad --kimi-catalog is a usage error, not 100 failing tests."""
    cached = config.stash.get(CATALOG, None)
    if cached is None:
        from harness import catalog as catalog_mod

        try:
            cached = catalog_mod.load(config.getoption("catalog", None))
        except Exception as e:
            raise pytest.UsageError(str(e)) from None
        config.stash[CATALOG] = cached
        for warning in cached.warnings:  # e.g. cost figures that look per-1K
            config.issue_config_time_warning(pytest.PytestConfigWarning(warning), stacklevel=2)
    return cached
