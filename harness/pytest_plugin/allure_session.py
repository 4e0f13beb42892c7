"""What an Allure run writes once, at the end of the session: `environment.properties`
(harness, catalog and target versions, mode) and an Allure-2-style `categories.json`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

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


class _SessionHooks:
    def pytest_sessionfinish(self, session) -> None:
        from harness.pytest_plugin import xdist as parallel
        from harness.reporting import categories

        directory = getattr(session.config.option, "allure_report_dir", None)
        if not directory or parallel.is_worker(session.config):  # under xdist: the controller's
            return
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        write_properties(d / "environment.properties", environment(session.config))
        (d / "categories.json").write_text(json.dumps(categories.allure2(), indent=1), encoding="utf-8")
