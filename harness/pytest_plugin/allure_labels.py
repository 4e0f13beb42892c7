"""Allure labels, titles and parameters of a conformance test (`on_setup`, before its fixtures).

Titles and severities come from the rule registry and report_areas.json; parameters that change between
runs are excluded from the history id (see harness/pytest_plugin/allure.py for the whole picture).
"""

from __future__ import annotations

import json
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.util.scrub import scrub_text


@lru_cache(maxsize=1)
def rule_info() -> dict[str, dict[str, str]]:
    """Titles and severities: the rule registry's, then report_areas.json's for report areas that are
    not rules (catalog, input modalities, gaps, live)."""
    from harness import rules

    data = json.loads((Path(__file__).with_name("report_areas.json")).read_text(encoding="utf-8"))
    info = {k: v for k, v in data.items() if not k.startswith("$")}
    info.update({r.id: {"title": r.title, "severity": r.severity} for r in rules.all_rules()})
    return info


def feature_title(rule: str) -> str:
    title = rule_info().get(rule, {}).get("title")
    return f"{rule} {title}" if title and title != rule else rule


def severity(rule: str | None) -> str:
    return rule_info().get(rule or "", {}).get("severity", "normal")


def _marker_arg(item, name: str) -> str | None:
    marker = item.get_closest_marker(name)
    return str(marker.args[0]) if marker and marker.args else None


_VOLATILE_RE = re.compile(
    r" at 0x[0-9a-f]+|(?:127\.0\.0\.1|localhost|\[::1\]):\d+|/tmp/|/var/folders/|pytest-of-|\d{10,}"
)


def volatile(value: Any) -> bool:
    """A parameter value that changes between runs (ports, temp paths, addresses, timestamps)."""
    text = repr(value)
    tmp = tempfile.gettempdir()
    return bool(_VOLATILE_RE.search(text)) or (len(tmp) > 1 and tmp in text)


def _alias(spec: str) -> tuple[str, str]:
    from harness.targets import split_alias

    alias, implementation = split_alias(spec)
    return scrub_text(alias), scrub_text(implementation)  # a key inside a target spec stays out


def on_setup(item) -> None:
    """Dynamic labels (epic/feature/story, parameters, provenance) for `item`: a test of a target
    is filed under that target first (epic and parent suite), then its rule, then its model."""
    import allure
    from allure_commons.types import ParameterMode

    params = dict(getattr(getattr(item, "callspec", None), "params", {}))
    rules = list(dict.fromkeys(str(m.args[0]) for m in item.iter_markers("rule") if m.args))
    area = _marker_arg(item, "area")
    provenance = _marker_arg(item, "provenance")
    spec = params.get("target_name")
    if spec is not None:  # target first (target -> rule -> model): one target's health reads on its own
        allure.dynamic.epic(f"target: {_alias(str(spec))[0]}")
        allure.dynamic.parent_suite(f"target: {_alias(str(spec))[0]}")
    elif area:  # wire tests group by where their cassette came from: real captures apart from the emulator's
        allure.dynamic.epic(f"{area} ({provenance})" if area == "wire" and provenance else area)
    if area:
        allure.dynamic.label("area", area)
    for rule in rules:  # a wire scenario can check several rules: one feature each
        allure.dynamic.feature(feature_title(rule))
        allure.dynamic.label("rule", rule)
    severities = [severity(r) for r in rules] or [severity(None)]
    allure.dynamic.severity(_severity_level(min(severities, key=_SEVERITY_ORDER.index)))
    if provenance:
        allure.dynamic.label("provenance", provenance)
        allure.dynamic.tag(f"provenance:{provenance}")
    model = params.pop("model", None)
    if model is not None:
        allure.dynamic.story(str(model))
    spec = params.pop("target_name", None)
    if spec is not None:
        alias, implementation = _alias(str(spec))
        allure.dynamic.parameter("target", alias)
        # the raw pytest param: its value is the full spec, which changes with the implementation
        allure.dynamic.parameter("target_name", scrub_text(str(spec)), excluded=True, mode=ParameterMode.HIDDEN)
        allure.dynamic.parameter("implementation", implementation, excluded=True)
    if model is not None:
        allure.dynamic.parameter("model", str(model))
    for name, value in params.items():
        if volatile(value):
            allure.dynamic.parameter(name, value, excluded=True)


_SEVERITY_ORDER = ["blocker", "critical", "normal", "minor", "trivial"]


def _severity_level(name: str):
    from allure_commons.types import Severity

    try:
        return Severity(name)
    except ValueError:
        return Severity.NORMAL
