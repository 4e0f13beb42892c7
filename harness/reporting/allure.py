"""Allure labels and attachments for conformance tests (active with `--alluredir`).

Called by harness/plugin.py: `on_setup(item)` before a test's fixtures, `on_report(item, call,
report)` after each phase. What a result gets:

* labels — `epic` (the `area` marker: transformations / wire / catalog / live), `feature`
  ("T3 thinking.keep", titles from rules.json), `story` (the model ref), `severity` (rules.json),
  `provenance` (the `provenance` marker of a cassette), `divergence` (each known divergence the
  test met, from report.user_properties) plus a `tag` "divergence:<id>";
* parameters — `target` (the display name: the alias of `NAME=SPEC`) and `model`, both in the
  history id; the spec behind the alias (`implementation`) and anything volatile (ports, temp
  paths, object addresses) are shown but excluded, the raw `target_name` is hidden and excluded.
  So the history id stays the same when `impl=reference` becomes `impl=python:tests.mutants:x`;
* attachments on failure — the case, the target's outbound request, the reference's, a unified
  diff (text/plain) and a side-by-side HTML diff, Hypothesis's minimal failing example and its
  `@reproduce_failure` blob, and for wire tests the request / response bodies (user_properties
  `wire.request` / `wire.response` / `wire.steps` — record them before asserting so a failing
  test has them — or a call to `attach_exchange()` from the wire runner).

Every attachment passes through `scrub()` — one function, built on harness.cassettes.scrub —
so no API key reaches the report. `harness.reporting.build` sweeps the results again and refuses
to build if a key survived.

At the end of the session `environment.properties` (harness, catalog and target versions, mode)
and an Allure-2-style `categories.json` are written into the results directory.
"""

from __future__ import annotations

import difflib
import html
import json
import os
import re
import tempfile
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.cassettes.scrub import SECRET_RE, scrub_text

# ----------------------------------------------------------------------------------- scrubbing
REDACTED = "<redacted>"
# The report's own key pattern (a superset of the cassette scrubber's, which wants a key
# character right after `sk-`).
_KEY_RE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{6,}")
_SECRET_HEADER = r"(?:proxy-authorization|authorization|x-api-key|api-key|cookie)"
# "authorization": "Bearer x"  /  'x-api-key': 'x'  (JSON, Python reprs)
_QUOTED_HEADER_RE = re.compile(
    r"""(?ix)(["']""" + _SECRET_HEADER + r"""["']\s*[:=]\s*)(["'])((?:\\.|(?!\2).)*)\2""")
# Authorization: Bearer x   (HTTP header lines, YAML, logs)
_LINE_HEADER_RE = re.compile(r"(?im)^(\s*-?\s*" + _SECRET_HEADER + r"\s*:\s*)(?![\"'])(\S.*?)\s*$")


def scrub(text: str | bytes) -> str:
    """The one scrubber of every report attachment: API keys and credential header values."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = _QUOTED_HEADER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)
    text = _LINE_HEADER_RE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = scrub_text(text)
    return _KEY_RE.sub(REDACTED, text)


def contains_secret(text: str | bytes) -> bool:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return bool(_KEY_RE.search(text) or SECRET_RE.search(text))


# ----------------------------------------------------------------------------------- data
@lru_cache(maxsize=1)
def rule_info() -> dict[str, dict[str, str]]:
    """Titles and severities: the rule registry's, then rules.json's for report areas that are
    not rules (catalog, input modalities, gaps, live)."""
    from harness import rules

    data = json.loads((Path(__file__).with_name("rules.json")).read_text(encoding="utf-8"))
    info = {k: v for k, v in data.items() if not k.startswith("$")}
    info.update({r.id: {"title": r.title, "severity": r.severity} for r in rules.all_rules()})
    return info


def feature_title(rule: str) -> str:
    title = rule_info().get(rule, {}).get("title")
    return f"{rule} {title}" if title and title != rule else rule


def severity(rule: str | None) -> str:
    return rule_info().get(rule or "", {}).get("severity", "normal")


# ----------------------------------------------------------------------------------- helpers
def _marker_arg(item, name: str) -> str | None:
    marker = item.get_closest_marker(name)
    return str(marker.args[0]) if marker and marker.args else None


_VOLATILE_RE = re.compile(
    r" at 0x[0-9a-f]+|(?:127\.0\.0\.1|localhost|\[::1\]):\d+|/tmp/|/var/folders/|pytest-of-|\d{10,}")


def volatile(value: Any) -> bool:
    """A parameter value that changes between runs (ports, temp paths, addresses, timestamps)."""
    text = repr(value)
    tmp = tempfile.gettempdir()
    return bool(_VOLATILE_RE.search(text)) or (len(tmp) > 1 and tmp in text)


def _alias(spec: str) -> tuple[str, str]:
    from harness.targets import split_alias

    alias, implementation = split_alias(spec)
    return scrub_text(alias), scrub_text(implementation)  # a key inside a target spec stays out


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False, default=repr)


def _attach(body: str, name: str, kind) -> None:
    import allure

    allure.attach(scrub(body), name=name, attachment_type=kind)


# ----------------------------------------------------------------------------------- setup
def on_setup(item) -> None:
    """Dynamic labels (epic/feature/story, parameters, provenance) for `item`."""
    import allure
    from allure_commons.types import ParameterMode

    _ensure_session_hooks(item.config)
    params = dict(getattr(getattr(item, "callspec", None), "params", {}))
    rules = list(dict.fromkeys(str(m.args[0]) for m in item.iter_markers("rule") if m.args))
    area = _marker_arg(item, "area")
    provenance = _marker_arg(item, "provenance")
    if area:  # wire tests group by where their cassette came from: real captures apart from the emulator's
        allure.dynamic.epic(f"{area} ({provenance})" if area == "wire" and provenance else area)
    for rule in rules:  # a wire scenario can check several rules: one feature each
        allure.dynamic.feature(feature_title(rule))
        allure.dynamic.label("rule", rule)
    allure.dynamic.severity(_severity_level(min((severity(r) for r in rules or [None]), key=_SEVERITY_ORDER.index)))
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


# ----------------------------------------------------------------------------------- report
def on_report(item, call, report) -> None:
    """Attachments for a finished phase (case, outbound, reference, diff, Hypothesis blob)."""
    if call.when == "call":
        for div in sorted({v for k, v in report.user_properties if k == "divergence"}):
            _divergence_label(div)
    if not report.failed:
        return
    try:
        _attach_failure(item, call, report)
    except Exception as e:  # a report problem must never hide the test's own failure
        _attach(f"could not build the report attachments: {type(e).__name__}: {e}", "report error",
                _types().TEXT)


def _types():
    from allure_commons.types import AttachmentType

    return AttachmentType


def _divergence_label(div: str) -> None:
    import allure

    allure.dynamic.label("divergence", div)
    allure.dynamic.tag(f"divergence:{div}")


def _attach_failure(item, call, report) -> None:
    from harness.pytest_state import OUTCOME

    T = _types()
    outcome = item.stash.get(OUTCOME, None)
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
    for key, name in (("wire.request", "request body"), ("wire.response", "response body"),
                      ("wire.steps", "wire exchanges")):
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
        _attach(body if isinstance(body, str) else _dumps(body), name,
                T.TEXT if isinstance(body, str) else T.JSON)


def readable_diff(reference: Any, outbound: Any, engine_diff: str | None, target: str = "target") -> tuple[str, str]:
    """A unified diff (reference -> target, pretty JSON) and a side-by-side HTML page."""
    text, page = "", ""
    if reference is not None and outbound is not None:
        a = _dumps(reference).splitlines()
        b = _dumps(outbound).splitlines()
        lines = list(difflib.unified_diff(a, b, "reference", str(target), lineterm="", n=3))
        text = "\n".join(lines)
        table = difflib.HtmlDiff(wrapcolumn=80).make_table(a, b, "reference", html.escape(str(target)),
                                                            context=True, numlines=3)
        page = ("<!doctype html><html><head><meta charset='utf-8'><style>"
                "body{font:12px monospace}table.diff{border-collapse:collapse}"
                "td{padding:0 4px;vertical-align:top}.diff_add{background:#aaffaa}"
                ".diff_chg{background:#ffff77}.diff_sub{background:#ffaaaa}"
                "</style></head><body>" + table + "</body></html>")
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
        blob = (f"{m.group(0)}\n\nAdd this decorator above the test function (under @given) to replay the "
                "exact failing example; remove it afterwards.")
    return example, blob


# ----------------------------------------------------------------------------------- session end
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
    from harness.suite import target_versions

    env = {"harness.version": __version__, "mode": mode(config)}
    from harness.pytest_state import CATALOG

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

    path.write_text("".join(f"{esc(k, True)}={esc(scrub(str(v)))}\n" for k, v in values.items()),
                    encoding="utf-8")


class _SessionHooks:
    def pytest_sessionfinish(self, session) -> None:
        from harness.reporting import categories

        directory = getattr(session.config.option, "allure_report_dir", None)
        if not directory:
            return
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        write_properties(d / "environment.properties", environment(session.config))
        (d / "categories.json").write_text(json.dumps(categories.allure2(), indent=1), encoding="utf-8")
