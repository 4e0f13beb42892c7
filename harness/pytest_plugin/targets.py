"""The session's targets: one instance per `--kimi-target` for the whole pytest run, and what makes a
run end fast when a target is gone.

* A target that cannot be built or started is ONE error (the first test that needs it); every
  other test of that target is skipped as "not run", naming the cause — not hundreds of failures.
* A target that times out, whose process dies, or that breaks the target protocol (an answer with
  the wrong id, a banner line on stdout, not JSON) on `--kimi-target-max-timeouts` consecutive
  cases is marked broken: the test that met it fails, the rest of its cases end at once
  (`TargetBroken`), its remaining tests are skipped as not run. A case it answers (even with a
  rejection) resets the count: a target that is only sometimes out of turn is not broken.
* A slow target says so once (`SlowWatch`, `--kimi-slow-target-notice`): after its first cases, one
  line with the time per case, the estimated duration of its run and how to narrow the run.

State lives in `config.stash` (a `pytest.StashKey`), never on the config object itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.errors import (
    TargetBroken,
    TargetError,
    TargetExited,
    TargetProtocolError,
    TargetUnavailable,
    TargetUnresponsive,
)
from harness.targets import Target, create, split_alias
from harness.util.scrub import scrub_text

DEFAULT_MAX_TIMEOUTS = 3
SLOW_AFTER_CASES = 5  # timed cases before a target's pace is judged (its first case is not timed: warm-up)
DEFAULT_SLOW_NOTICE_SECONDS = 300.0  # say so when a target's run is estimated to take longer
NOTICES_ATTR = "kimi_conformance_notices"  # on a worker's test report: [[alias, line], ...] for the controller


@dataclass
class Entry:
    """One `--kimi-target` value: its instance, or why it cannot run."""

    spec: str
    target: Target | None = None
    cause: str | None = None  # set: unavailable or broken; its tests are not run
    reported: bool = False  # the one error naming the cause has been raised
    started: bool = False
    misses: int = 0  # consecutive cases that timed out, lost the process or broke the protocol
    answered: bool = False  # it has answered a case: it can run, so a process lost on a case is that case's crash
    guarded: GuardedTarget | None = None
    cases: int = 0  # cases it answered (the slow notice's sample)
    busy: float = 0.0  # seconds those cases took, its first one left out
    noticed: bool = False  # its pace was judged (and said, if slow)

    @property
    def alias(self) -> str:
        return scrub_text(split_alias(self.spec)[0])

    def break_(self, cause: str, *, reported: bool) -> None:
        self.cause = scrub_text(cause)
        self.reported = self.reported or reported


@dataclass
class SlowWatch:
    """A slow target says so, once: after its first `SLOW_AFTER_CASES` timed cases, the time per case
    times the cases its collected tests will ask for (Hypothesis's max_examples each), over the xdist
    workers sharing them; at `threshold` seconds or more, one line with how to narrow the run."""

    threshold: float = DEFAULT_SLOW_NOTICE_SECONDS
    workers: int = 1
    tests: dict[str, int] = field(default_factory=dict)  # spec -> its collected tests (not skipped)
    say: Callable[[str, str], None] | None = None  # (alias, line); None: kept for the report (xdist)
    pending: list[list[str]] = field(default_factory=list)  # what a worker has not handed over yet

    def observe(self, entry: Entry, seconds: float) -> None:
        if entry.noticed:
            return
        entry.cases += 1
        if entry.cases == 1:  # the first case pays for imports, caches, a JIT: not the pace
            return
        entry.busy += seconds
        if entry.cases - 1 < SLOW_AFTER_CASES:
            return
        entry.noticed = True
        line = self.notice(entry, entry.busy / (entry.cases - 1))
        if line is None:
            return
        if self.say is not None:
            self.say(entry.alias, line)
        else:
            self.pending.append([entry.alias, line])

    def notice(self, entry: Entry, per_case: float) -> str | None:
        from hypothesis import settings

        per_test = settings().max_examples
        tests = self.tests.get(entry.spec, 0)
        estimate = per_case * per_test * tests / max(self.workers, 1)
        if estimate < self.threshold:
            return None
        return scrub_text(
            f"kimi-conformance: target {entry.alias!r} takes {per_case:.2g} s per case: its {tests} tests "
            f"(up to {per_test} cases each{f', {self.workers} workers' if self.workers > 1 else ''}) will take "
            f"about {_duration(estimate)}. To narrow the run: --kimi-model REF (one model), a suite file "
            f"(e.g. suites/test_t3_thinking_keep.py), or the ci profile (--hypothesis-profile=ci)"
        )


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{seconds:.0f} s"
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


@dataclass
class Registry:
    options: Callable[[], dict[str, Any]]  # create() options (catalog, timeout), read when first needed
    max_misses: int = DEFAULT_MAX_TIMEOUTS
    entries: dict[str, Entry] = field(default_factory=dict)
    slow: SlowWatch = field(default_factory=SlowWatch)

    def entry(self, spec: str) -> Entry:
        found = self.entries.get(spec)
        if found is None:
            found = self.entries[spec] = Entry(spec)
            try:
                found.target = create(spec, **self.options())
            except TargetError as e:  # TargetUnavailable included: not installed, bad spec
                found.break_(f"{e}", reported=False)
            else:
                found.guarded = GuardedTarget(found.target, found, self.max_misses, self.slow)
        return found


REGISTRY = pytest.StashKey[Registry]()


def install(config: pytest.Config, options: Callable[[], dict[str, Any]]) -> Registry:
    """Called from the plugin's pytest_configure: where create() options come from. The session's
    secrets by position (in the --kimi-target specs) and by name (the environment) are collected
    here, once, before any test id is made; every scrub of this process redacts them."""
    from harness.util.scrub import collect_session_secrets, spec_name

    specs = config.getoption("target", None) or []
    collect_session_secrets(specs)
    for spec in specs:  # also what only spec_name finds by position (a URL's lone userinfo token)
        spec_name(spec)
    registry = config.stash[REGISTRY] = Registry(options, max_misses=_max_misses(config), slow=_slow_watch(config))
    return registry


def _slow_watch(config: pytest.Config) -> SlowWatch:
    threshold = config.getoption("slow_target_notice", DEFAULT_SLOW_NOTICE_SECONDS)
    worker = getattr(config, "workerinput", None)  # a pytest-xdist worker (xdist.is_worker: no import circle)
    if worker is not None:  # a worker cannot write to the terminal: its reports carry the line
        workers = int(worker.get("workercount", 1))
        return SlowWatch(threshold=threshold, workers=workers)
    return SlowWatch(threshold=threshold, say=lambda alias, line: _say_now(config, line))


def _say_now(config: pytest.Config, line: str) -> None:
    """One line on the terminal in the middle of a test (its output capture set aside)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
        reporter.ensure_newline()
        reporter.write_line(line, yellow=True)


def _max_misses(config: pytest.Config) -> int:
    return int(config.getoption("target_max_timeouts", DEFAULT_MAX_TIMEOUTS) or DEFAULT_MAX_TIMEOUTS)


def _registry(config: pytest.Config) -> Registry:
    registry = config.stash.get(REGISTRY, None)
    if registry is None:  # not configured through the plugin (a bare Config): built-in catalog

        def options() -> dict[str, Any]:
            from harness import catalog

            return {
                "catalog": catalog.load(config.getoption("catalog", None)),
                "timeout": config.getoption("target_timeout", 30.0),
            }

        registry = install(config, options)
    return registry


# ----------------------------------------------------------------------------------- the guard
class GuardedTarget(Target):
    """The session's face of a target: counts consecutive timeouts / lost processes / protocol errors
    and, once the target is broken, ends every further case at once instead of waiting out its
    timeout; times the cases it answers for the slow-target notice."""

    def __init__(self, inner: Target, entry: Entry, max_misses: int, slow: SlowWatch | None = None):
        self.inner, self._entry, self._max = inner, entry, max_misses
        self._slow = slow
        self.name, self.capabilities = inner.name, inner.capabilities

    def __getattr__(self, attr: str) -> Any:  # the rest of a target's own API (start, process, ...)
        if attr == "inner":  # not set yet (copy, pickle): no recursion
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def _guard(self, fn: Callable[..., Any], *args: Any) -> Any:
        entry = self._entry
        if entry.cause is not None:
            raise TargetBroken(f"{entry.alias} is broken, case not run: {entry.cause}")
        started = time.monotonic()
        try:
            result = fn(*args)
        except (TargetUnresponsive, TargetProtocolError) as e:
            if fn == self.inner.transform and _malformed(args[0]):
                # Dying or hanging on a malformed case is that case's `errors` verdict (errors.crashed),
                # not a sign the target cannot run: the next case restarts it; the count is unchanged.
                raise
            if isinstance(e, TargetExited) and entry.answered:
                # It has run cases, so dying on this one is a crash on this input (the case's failure
                # names it), and a restart is cheap: only hangs and protocol errors add up to "broken".
                raise
            # No answer to judge, N times in a row: a target that speaks out of turn on every case
            # (a banner, wrong ids) is as broken as one that hangs, and costs a restart per case.
            entry.misses += 1
            if entry.misses >= self._max:
                entry.break_(
                    f"marked broken after {entry.misses} consecutive timeouts, lost processes or protocol "
                    f"errors (--kimi-target-max-timeouts {self._max}); the last: {e}",
                    reported=True,
                )
            raise
        except TargetUnavailable as e:  # could not even be restarted
            entry.break_(str(e), reported=True)
            raise
        except Exception:  # it answered (a rejection, an unsupported case): it is alive
            entry.misses = 0
            self._timed(started)
            raise
        entry.misses = 0
        entry.answered = True
        self._timed(started)
        return result

    def _timed(self, started: float) -> None:
        if self._slow is not None:
            self._slow.observe(self._entry, time.monotonic() - started)

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        return self._guard(self.inner.transform, case)

    def usage(self, model_ref: str, chunks: list[dict[str, Any]]) -> dict[str, Any] | None:
        return self._guard(self.inner.usage, model_ref, chunks)

    def versions(self) -> dict[str, str]:
        return self.inner.versions()

    def close(self) -> None:
        self.inner.close()

    def __repr__(self) -> str:  # Hypothesis prints it in falsifying examples: no spec, no key
        return f"<target {self._entry.alias}>"


def _malformed(case: Any) -> bool:
    from harness.rules.errors import is_bad_case

    return is_bad_case(case)


# ----------------------------------------------------------------------------------- API
def open_target(config: pytest.Config, name: str) -> Target:
    """One instance per target for the whole session (workers start once). A target that cannot
    run fails the first test that asks for it; later ones are skipped as not run."""
    entry = _registry(config).entry(name)
    if entry.cause is None and not entry.started:
        entry.started = True
        start = getattr(entry.target, "start", None)
        if callable(start):  # a missing executable or a worker that dies at start-up: now, once
            try:
                start()
            except TargetError as e:
                entry.break_(str(e), reported=False)
    if entry.cause is not None:
        if entry.reported:
            pytest.skip(not_run_reason(entry))
        entry.reported = True
        pytest.fail(f"target {entry.alias!r} is not available: {entry.cause}", pytrace=False)
    assert entry.guarded is not None
    return entry.guarded


def not_run_reason(entry: Entry) -> str:
    return f"not run: target {entry.alias!r} is not available: {entry.cause}"


def skip_if_broken(item: pytest.Item) -> None:
    """Before a test's fixtures: a test of a target already reported broken is not run."""
    callspec = getattr(item, "callspec", None)
    spec = callspec.params.get("target_name") if callspec is not None else None
    registry = item.config.stash.get(REGISTRY, None)
    entry = registry.entries.get(spec) if registry is not None and isinstance(spec, str) else None
    if entry is not None and entry.cause is not None and entry.reported:
        pytest.skip(not_run_reason(entry))


def target_versions(config: pytest.Config) -> dict[str, dict[str, str]]:
    from harness.pytest_plugin.state import from_workers

    registry = config.stash.get(REGISTRY, None)
    if registry is None:
        return {}
    # A broken target is not started again just to ask its versions.
    return {
        **from_workers(config, "versions"),  # under xdist, the controller runs no target itself
        **{
            name: e.target.versions() if e.cause is None else {"error": e.cause[:200]}
            for name, e in registry.entries.items()
            if e.target is not None
        },
    }


def close_targets(config: pytest.Config) -> None:
    registry = config.stash.get(REGISTRY, None)
    for entry in registry.entries.values() if registry is not None else ():
        if entry.target is not None:
            entry.target.close()


def broken_targets(config: pytest.Config) -> dict[str, str]:
    """alias -> cause, for the terminal summary."""
    from harness.pytest_plugin.state import from_workers

    registry = config.stash.get(REGISTRY, None)
    own = {e.alias: e.cause for e in registry.entries.values() if e.cause} if registry is not None else {}
    return {**from_workers(config, "broken"), **own}


def not_applicable_reason(config: pytest.Config, target_name: str, rule: str, model: str | None) -> str | None:
    """Why `rule` cannot be checked on this target (and model), from its declared capabilities.
    None for a target that cannot run: that is reported once, by its first test."""
    entry = _registry(config).entry(target_name)
    if entry.target is None:
        return None
    caps = entry.target.capabilities
    if not caps.supports(rule):
        return caps.why_not.get(rule, f"{entry.alias} cannot express rule {rule}")
    if model is not None and model in caps.models_not_applicable:
        return caps.models_not_applicable[model]
    if isinstance(model, str):  # a test may parametrize `model` itself (or leave it unset)
        from harness import rules
        from harness.errors import CatalogError
        from harness.pytest_plugin.state import catalog

        if rule in rules.ids():
            try:
                resolved = catalog(config).resolve(model)
            except CatalogError:  # not a catalog model: the test itself reports it
                return None
            return rules.get(rule).not_applicable(resolved)
    return None


class SessionHooks:
    """Registered by the plugin: not-run skips before fixtures, one summary line per target, and the
    slow-target notice (said at once in one process; under xdist carried by a worker's test report
    to the controller, which says it once per target however many workers noticed)."""

    def __init__(self) -> None:
        self.said: set[str] = set()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        skip_if_broken(item)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        registry = session.config.stash.get(REGISTRY, None)
        if registry is None:
            return
        counts: dict[str, int] = {}
        for item in session.items:
            callspec = getattr(item, "callspec", None)
            spec = callspec.params.get("target_name") if callspec is not None else None
            if isinstance(spec, str) and item.get_closest_marker("skip") is None:
                counts[spec] = counts.get(spec, 0) + 1
        registry.slow.tests = counts

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        outcome = yield
        registry = item.config.stash.get(REGISTRY, None)
        if registry is not None and registry.slow.pending:
            setattr(outcome.get_result(), NOTICES_ATTR, registry.slow.pending)
            registry.slow.pending = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for alias, line in getattr(report, NOTICES_ATTR, None) or ():  # on the controller, from a worker
            if alias not in self.said:
                self.said.add(alias)
                reporter = self._reporter
                if reporter is not None:
                    reporter.ensure_newline()
                    reporter.write_line(line, yellow=True)

    _reporter: Any = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not hasattr(session.config, "workerinput"):  # a worker's own reports stay silent: it hands them over
            self._reporter = session.config.pluginmanager.get_plugin("terminalreporter")

    def pytest_terminal_summary(self, terminalreporter) -> None:
        for alias, cause in broken_targets(terminalreporter.config).items():
            terminalreporter.write_line(
                f"kimi-conformance: target {alias!r} not available, its tests were not run: {cause}", red=True
            )


class DivergenceFiles:
    """The user's own known-divergence files of this session: `--kimi-divergences` files apply to
    every target (their entries name the target), a ConformanceSuite's `divergences` file to that
    class's target. Each is read and checked when declared: a bad file stops the run in one line."""

    def __init__(self) -> None:
        self.files: dict[str, list[Path]] = {}  # target display name ("*": every target) -> files

    def add(self, spec: str, path: Path) -> None:
        from harness.divergences.model import DivergenceFileError, load_user_file
        from harness.targets import split_alias
        from harness.util.scrub import scrub_text

        try:
            load_user_file(str(path))
        except DivergenceFileError as e:
            if spec == "*":  # an option: a usage error before any test
                raise pytest.UsageError(str(e)) from None
            pytest.fail(str(e), pytrace=False)  # a suite class's file: its module cannot be collected
        key = "*" if spec == "*" else scrub_text(split_alias(spec)[0])
        if path not in self.files.setdefault(key, []):
            self.files[key].append(path)

    def for_target(self, name: str) -> list[Path]:
        return [*self.files.get("*", ()), *self.files.get(name, ())]

    def entries(self, name: str):
        from harness.divergences.model import Divergences

        return list(Divergences.for_target(name, self.for_target(name)))


DIVERGENCE_FILES = pytest.StashKey[DivergenceFiles]()


def divergence_files(config: pytest.Config) -> DivergenceFiles:
    found = config.stash.get(DIVERGENCE_FILES, None)
    if found is None:
        found = config.stash[DIVERGENCE_FILES] = DivergenceFiles()
        for path in config.getoption("divergences", None) or ():
            found.add("*", Path(path))
    return found
