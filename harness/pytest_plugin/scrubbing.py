"""Secrets out of every pytest report and log, before any writer sees them.

A secret can reach a report through a target spec (`--kimi-target "command:gw --token=…"`), through
what a target answered (a failing test prints its outbound request), through its stderr (shown in a
failure) or through captured output. The terminal, junit, allure-pytest and the results writer all
read the same report objects, so they are scrubbed once, where they are made: the innermost
`pytest_runtest_makereport` wrapper (its after-yield part runs before every other plugin's) and
the collection report. pytest's log handlers (`--log-file`, live logs, captured logs) get a filter
that scrubs each record. The scrubber is the one redaction function (`harness.util.scrub`): keys
by shape, secrets by position, and the session's secrets by value (collected when the plugin
configures the session's targets).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from harness.pytest_plugin import xdist as parallel
from harness.util.scrub import contains_secret, scrub_obj, scrub_text


def scrub_report(report: Any, nodeid: bool = True) -> None:
    """Redact every `sk-…` in a test or collection report, in place (its id unless `nodeid` is False)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], scrub_text(str(longrepr[2])))
    elif longrepr is not None and contains_secret(str(longrepr)):
        # The structured repr cannot be edited safely: its scrubbed text replaces it.
        text = scrub_text(str(longrepr))
        report.longrepr = text
    report.sections = [(scrub_text(title), scrub_text(body)) for title, body in report.sections]
    if hasattr(report, "user_properties"):
        report.user_properties = [(name, scrub_obj(value)) for name, value in report.user_properties]
    if nodeid:
        report.nodeid = scrub_text(report.nodeid)
    if isinstance(report, pytest.TestReport) and report.location:
        report.location = (report.location[0], report.location[1], scrub_text(str(report.location[2])))
    for key in ("wasxfail",):
        if isinstance(getattr(report, key, None), str):
            setattr(report, key, scrub_text(getattr(report, key)))


def scrub_exception(error: BaseException) -> None:
    """Redact the message of an exception (and of the ones it groups) in place."""
    if any(isinstance(a, str) and contains_secret(a) for a in error.args):
        try:
            error.args = tuple(scrub_text(a) if isinstance(a, str) else a for a in error.args)
        except (AttributeError, TypeError):  # an exception type with read-only args
            pass
    for inner in getattr(error, "exceptions", ()) or ():
        scrub_exception(inner)


class ScrubLogFilter(logging.Filter):
    """Rewrites a log record's message (and its formatted traceback) scrubbed; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it as it would
            return True
        clean = scrub_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        return True


LOG_HANDLERS = ("log_file_handler", "log_cli_handler", "caplog_handler", "report_handler")


def filter_log_handlers(config: pytest.Config) -> None:
    """Put the scrubbing filter on pytest's own log handlers (the logging plugin's)."""
    plugin = config.pluginmanager.get_plugin("logging-plugin")
    for name in LOG_HANDLERS:
        handler = getattr(plugin, name, None)
        if isinstance(handler, logging.Handler) and not any(isinstance(f, ScrubLogFilter) for f in handler.filters):
            handler.addFilter(ScrubLogFilter())


class ReportScrubber:
    """Registered by the plugin; trylast makes these the innermost wrappers."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        filter_log_handlers(session.config)

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        scrub_report(outcome.get_result(), nodeid=not parallel.is_worker(item.config))
        if call.excinfo is not None:  # allure-pytest reads the exception itself, not the report
            scrub_exception(call.excinfo.value)

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_make_collect_report(self, collector):
        outcome = yield
        scrub_report(outcome.get_result())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_to_serializable(self, config, report):
        # What a pytest-xdist worker sends: the id too (kept on the worker's own report, where xdist
        # checks it against the item's).
        outcome = yield
        data = outcome.get_result()
        if isinstance(data, dict) and isinstance(data.get("nodeid"), str):
            data["nodeid"] = scrub_text(data["nodeid"])
