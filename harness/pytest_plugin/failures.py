"""A conformance failure as its reader needs it: the verdict in the contract's terms, no harness
frames, and one line that reproduces it.

pytest would print the traceback through the engine and the standard tests, and Hypothesis its
`@reproduce_failure` hint, neither of which a gateway author can act on. For a
`ConformanceFailure` the report's text is replaced by the failure's own (violations with check
ids, places, values and what to do; the contract section; the case and where it came from) and
the case is written to a file, so that

    Reproduce: kimi-conformance check <file> --target <spec> --rule <rule>

runs that one case through the same target and shows the same check ids. The files go to
`<--kimi-results-dir>/failures/`, else to pytest's cache (`.pytest_cache/d/kimi-conformance-failures`),
each emptied when a session starts; else to a folder of the session's own in the temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import tempfile
from pathlib import Path
from typing import Any

import pytest

FAILURES: pytest.StashKey[Path] = pytest.StashKey()
CACHE_NAME = "kimi-conformance-failures"


def _stable(config: pytest.Config) -> Path | None:
    """The folder a session reuses: `<results-dir>/failures`, else pytest's cache; None without either."""
    results = config.getoption("results_dir", None)
    if results:
        return Path(results) / "failures"
    cache = getattr(config, "cache", None)
    return Path(cache.mkdir(CACHE_NAME)) if cache is not None else None


def folder(config: pytest.Config) -> Path:
    """Where this session writes failing cases. Without a results directory or pytest's cache, a
    folder of its own in the temporary folder (made when the first case is written): a shared one
    would be emptied by another session under way."""
    found = config.stash.get(FAILURES, None)
    if found is None:
        found = _stable(config) or Path(tempfile.mkdtemp(prefix=f"{CACHE_NAME}-"))
        config.stash[FAILURES] = found
    return found


def start_session(config: pytest.Config) -> None:
    """Empty the reused folder of an earlier session's cases (the controller, before any test runs)."""
    where = _stable(config)
    if where is not None and where.is_dir():
        for stale in where.glob("*.json"):
            stale.unlink(missing_ok=True)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "-" for c in text).strip("-")


def write_case(config: pytest.Config, rule: str, model: str, case: dict[str, Any]) -> Path:
    from harness.util.scrub import scrub_text

    # a case can carry a key (a header, an extra_body value, a target's echo): scrubbed like every file
    text = scrub_text(json.dumps(case, indent=2, ensure_ascii=False, sort_keys=True)) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    where = folder(config)
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{_slug(rule)}-{_slug(model)}-{digest}.json"
    path.write_text(text, encoding="utf-8")
    return path


def reproduce_command(item: pytest.Item, rule: str, path: Path) -> str:
    from harness.util.scrub import scrub_text

    params = getattr(getattr(item, "callspec", None), "params", {})
    spec = str(params.get("target_name") or "reference")
    words = ["kimi-conformance", "check", str(path), "--target", scrub_text(spec), "--rule", rule]
    catalog = item.config.getoption("catalog", None)
    if catalog:
        words += ["--catalog", str(catalog)]
    from harness.pytest_plugin.targets import divergence_files
    from harness.targets import split_alias

    for path in divergence_files(item.config).for_target(scrub_text(split_alias(spec)[0])):
        words += ["--divergences", str(path)]  # your own known divergences count there too
    return shlex.join(words)


def reproduce_line(item: pytest.Item, rule: str, name: str, case: dict[str, Any]) -> str:
    """`Reproduce: kimi-conformance check …` for `case`, written to the session's folder."""
    try:
        return f"Reproduce: {reproduce_command(item, rule, write_case(item.config, rule, name, case))}"
    except OSError as e:  # a read-only checkout must not hide the verdict itself
        return f"Reproduce: (the case could not be written: {e})"


def conformance_report(item: pytest.Item, report: pytest.TestReport, failures: list[Any]) -> None:
    """Replace the report's text of conformance failures (a ConformanceFailure, or a TargetCrash: the
    target failed on the case) by each failure's own and its Reproduce line."""
    from harness.pytest_plugin.scrubbing import scrub_text

    parts = [f"{f.text()}\n{reproduce_line(item, f.rule, f.model, f.case)}" for f in failures]
    head = f"{len(parts)} distinct failures:\n\n" if len(parts) > 1 else ""
    # outside the report scrubber (an inner wrapper): the case and the body are scrubbed here
    report.longrepr = scrub_text(head + "\n\n".join(parts))
