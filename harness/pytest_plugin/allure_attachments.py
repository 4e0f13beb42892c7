"""Allure attachments of a failed conformance or wire test (`on_report`, after each phase).

The case, both outbound requests, a unified and a side-by-side diff, Hypothesis's minimal example
and its reproduction blob, and the wire bodies; each passes through harness.reporting.redact.scrub.
"""

from __future__ import annotations

import difflib
import html
import json
import re
import textwrap
from typing import Any

from harness.pytest_plugin.allure_labels import _marker_arg
from harness.reporting.redact import scrub


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False, default=repr)


def _attach(body: str, name: str, kind) -> None:
    import allure

    allure.attach(scrub(body), name=name, attachment_type=kind)


def on_report(item, call, report, verdict=None) -> None:
    """Attachments for a finished phase (case, outbound, reference, diff, Hypothesis blob), from
    the test's verdict (harness.engine.conformance.TestVerdict) where it has one."""
    if call.when == "call" and verdict is not None:
        for div in sorted(verdict.divergences):
            _divergence_label(div)
    if not report.failed:
        return
    try:
        _attach_failure(item, call, report, verdict)
    except Exception as e:  # a report problem must never hide the test's own failure
        _attach(f"could not build the report attachments: {type(e).__name__}: {e}", "report error", _types().TEXT)


def _types():
    from allure_commons.types import AttachmentType

    return AttachmentType


def _divergence_label(div: str) -> None:
    import allure

    allure.dynamic.label("divergence", div)
    allure.dynamic.tag(f"divergence:{div}")


def _attach_failure(item, call, report, verdict) -> None:
    T = _types()
    outcome = verdict.outcome if verdict is not None else None
    rule = _marker_arg(item, "rule")
    if outcome is not None and (rule is None or outcome.rule == rule):
        _attach(_dumps(outcome.case), "case", T.JSON)
        if outcome.outbound is not None:
            _attach(_dumps(outcome.outbound), f"outbound request ({outcome.target})", T.JSON)
        if outcome.reference is not None:
            _attach(_dumps(outcome.reference), "outbound request (reference)", T.JSON)
        text, page = readable_diff(outcome.reference, outcome.outbound, outcome.diff, outcome.target)
        if text:
            _attach(text, "diff", T.TEXT)
        if page:
            _attach(page, "diff (side by side)", T.HTML)
    # wire tests: what went over the wire, recorded with record_property (before asserting)
    for key, name in (
        ("wire.request", "request body"),
        ("wire.response", "response body"),
        ("wire.steps", "wire exchanges"),
    ):
        for k, v in report.user_properties:
            if k == key:
                _attach(v if isinstance(v, str) else _dumps(v), name, T.TEXT if isinstance(v, str) else T.JSON)
    example, blob = hypothesis_failure(_failure_text(call, report))
    if example:
        _attach(example, "Hypothesis minimal failing example", T.TEXT)
    if blob:
        _attach(blob, "Hypothesis reproduction blob", T.TEXT)


def attach_exchange(request: Any = None, response: Any = None) -> None:
    """For wire tests: attach a request / response body (scrubbed). No-op without Allure."""
    try:
        import allure  # noqa: F401
        from allure_commons._core import plugin_manager

        if not plugin_manager.list_name_plugin():
            return
    except Exception:
        return
    T = _types()
    for body, name in ((request, "request body"), (response, "response body")):
        if body is None:
            continue
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        _attach(body if isinstance(body, str) else _dumps(body), name, T.TEXT if isinstance(body, str) else T.JSON)


def readable_diff(reference: Any, outbound: Any, engine_diff: str | None, target: str = "target") -> tuple[str, str]:
    """A unified diff (reference -> target, pretty JSON) and a side-by-side HTML page."""
    text, page = "", ""
    if reference is not None and outbound is not None:
        a = _dumps(reference).splitlines()
        b = _dumps(outbound).splitlines()
        lines = list(difflib.unified_diff(a, b, "reference", str(target), lineterm="", n=3))
        text = "\n".join(lines)
        table = difflib.HtmlDiff(wrapcolumn=80).make_table(
            a, b, "reference", html.escape(str(target)), context=True, numlines=3
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><style>"
            "body{font:12px monospace}table.diff{border-collapse:collapse}"
            "td{padding:0 4px;vertical-align:top}.diff_add{background:#aaffaa}"
            ".diff_chg{background:#ffff77}.diff_sub{background:#ffaaaa}"
            "</style></head><body>" + table + "</body></html>"
        )
    if engine_diff:
        head = f"What the rule compares ({target} vs reference):\n{engine_diff}\n"
        text = head + ("\nWhole request, unified diff (reference -> " + str(target) + "):\n" + text if text else "")
    return text, page


def _failure_text(call, report) -> str:
    """Hypothesis's notes (exact text) when the exception is at hand, else the longrepr text."""
    excinfo = getattr(call, "excinfo", None)
    notes = getattr(getattr(excinfo, "value", None), "__notes__", None) if excinfo else None
    if notes:
        return "\n".join(str(n) for n in notes)
    text = getattr(report, "longreprtext", None)
    return text if text is not None else str(report.longrepr or "")


_BLOB_RE = re.compile(r"@reproduce_failure\((['\"])[^'\"]+\1,\s*b(['\"])[A-Za-z0-9+/=]+\2\)")


def hypothesis_failure(longrepr: str) -> tuple[str, str]:
    """(minimal failing example, reproduction blob line) from a report's longrepr text."""
    # longrepr lines of the exception are "E" + indentation: drop the prefix, then dedent the block
    e_lines = [line[1:] for line in longrepr.splitlines() if line.startswith("E")]
    text = textwrap.dedent("\n".join(e_lines)) if e_lines else longrepr
    if "Falsifying example" not in text:
        text = longrepr
    example = ""
    start = text.find("Falsifying example")
    if start >= 0:
        end = text.find("You can reproduce this example", start)
        stop = end if end >= 0 else len(text)
        nxt = re.search(r"^\S.*\.py:\d+: ", text[start:stop], re.M)  # the traceback's location line
        if nxt:
            stop = start + nxt.start()
        example = text[start:stop].rstrip()
    blob = ""
    m = _BLOB_RE.search(text)
    if m:
        blob = (
            f"{m.group(0)}\n\nAdd this decorator above the test function (under @given) to replay the "
            "exact failing example; remove it afterwards."
        )
    return example, blob
