"""Allure labels and attachments for conformance tests (active with `--alluredir`).

Called by harness/pytest_plugin/plugin.py: `on_setup(item)` before a test's fixtures, `on_report(item, call,
report, verdict)` after each phase. What a result gets:

* labels — `epic` (the `area` marker: transformations / wire / catalog / live), `feature`
  ("T3 thinking.keep", titles from report_areas.json), `story` (the model ref), `severity` (report_areas.json),
  `provenance` (the `provenance` marker of a cassette), `divergence` (each known divergence the
  test met, from the test's verdict) plus a `tag` "divergence:<id>";
* parameters — `target` (the display name: the alias of `NAME=SPEC`) and `model`, both in the
  history id; the spec behind the alias (`implementation`) and anything volatile (ports, temp
  paths, object addresses) are shown but excluded, the raw `target_name` is hidden and excluded.
  So the history id stays the same when `impl=reference` becomes `impl=python:tests.mutants:x`;
* attachments on failure — the case, the target's outbound request, the reference's, a unified
  diff (text/plain) and a side-by-side HTML diff, Hypothesis's minimal failing example and its
  `@reproduce_failure` blob, and for wire tests the request / response bodies (user_properties
  `wire.request` / `wire.response` / `wire.steps` — record them before asserting so a failing
  test has them — or a call to `attach_exchange()` from the wire runner).

Every attachment passes through `scrub()` — one function, harness/reporting/redact.py, built on
harness.util.scrub — so no API key reaches the report. `harness.reporting.build` sweeps the results again and refuses
to build if a key survived.

Labels: allure_labels.py; attachments: allure_attachments.py; session end: allure_session.py.
At the end of the session `environment.properties` (harness, catalog and target versions, mode)
and an Allure-2-style `categories.json` are written into the results directory.
"""

from __future__ import annotations

# The work is split by concern; this module is the plugin's entry and keeps the public names.
from harness.pytest_plugin.allure_attachments import (  # noqa: F401  (public names)
    attach_exchange,
    hypothesis_failure,
    on_report,
    readable_diff,
)
from harness.pytest_plugin.allure_labels import feature_title, rule_info, severity, volatile  # noqa: F401
from harness.pytest_plugin.allure_labels import on_setup as _label
from harness.pytest_plugin.allure_session import _ensure_session_hooks, environment, mode, write_properties  # noqa: F401
from harness.reporting.redact import REDACTED, contains_secret, scrub  # noqa: F401


def on_setup(item) -> None:
    """Dynamic labels (epic/feature/story, parameters, provenance) for `item`; the session's
    environment and categories are written at its end."""
    _ensure_session_hooks(item.config)
    _label(item)
