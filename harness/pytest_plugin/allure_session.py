"""What an Allure run writes once, at the end of the session: `environment.properties`
(harness, catalog and target versions, mode, the run id), an Allure-2-style `categories.json`,
and the run file `kimi-conformance/run.json` (harness.reporting.run_identity: the run id and the
session's results, the same the results files get), from which the report build takes the run's
identity. It runs after the results files are written (trylast), so both carry the same run id."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from harness.pytest_plugin.allure_labels import _alias
from harness.reporting.redact import scrub


def _ensure_session_hooks(config) -> None:
    if not config.pluginmanager.has_plugin("kimi-conformance-allure"):
        config.pluginmanager.register(_SessionHooks(), "kimi-conformance-allure")


def mode(config) -> str:
    for name in ("live", "kimi_live"):
        if getattr(config.option, name, False):
            return "live"
    return "live" if os.environ.get("KIMI_CONFORMANCE_MODE") == "live" else "replay"


def environment(config) -> dict[str, str]:
    from harness import __version__
    from harness.pytest_plugin.standard_tests import target_versions

    env = {"harness.version": __version__, "mode": mode(config)}
    from harness.pytest_plugin.state import CATALOG

    cat = config.stash.get(CATALOG, None)
    if cat is not None:
        env["catalog.version"] = str(cat.version)
    for name, versions in sorted(target_versions(config).items()):
        alias, implementation = _alias(name)
        env[f"target.{alias}"] = implementation
        for k, v in sorted((versions or {}).items()):
            env[f"target.{alias}.{k}"] = str(v)
    return env


def write_properties(path: Path, values: dict[str, str]) -> None:
    def esc(s: str, key: bool = False) -> str:
        s = s.replace("\\", "\\\\").replace("\n", "\\n")
        return re.sub(r"([=: #!])", r"\\\1", s) if key else s

    path.write_text("".join(f"{esc(k, True)}={esc(scrub(str(v)))}\n" for k, v in values.items()), encoding="utf-8")


def write_run(config, directory: Path, exitstatus: int | None = None) -> str | None:
    """The run file of this session in the Allure results; its run id (None: no results)."""
    from harness.pytest_plugin.state import RESULTS
    from harness.reporting import run_identity

    writer = config.stash.get(RESULTS, None)
    if writer is None or not writer.records:
        return None
    # the payloads the results files got (same records, same meta): the same run ids
    return run_identity.write(directory, writer.payloads(getattr(writer, "meta", None) or {}), exitstatus)


class _SessionHooks:
    @pytest.hookimpl(trylast=True)  # after the plugin's sessionfinish has written the results files
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        from harness.pytest_plugin import xdist as parallel
        from harness.reporting import categories

        directory = getattr(session.config.option, "allure_report_dir", None)
        if not directory or parallel.is_worker(session.config):  # under xdist: the controller's
            return
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        run_id = write_run(session.config, d, int(exitstatus))
        env = environment(session.config)
        if run_id:
            env["run.id"] = run_id
        write_properties(d / "environment.properties", env)
        (d / "categories.json").write_text(json.dumps(categories.allure2(), indent=1), encoding="utf-8")
