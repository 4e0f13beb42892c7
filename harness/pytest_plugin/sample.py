"""The `ci` sample of the slow reproduction tests (issue #24 item 5): under CI=true (the Hypothesis
`ci` profile) a test marked `outside_ci_sample` is deselected, unless `--kimi-repro-all` asks for
every one (the nightly run, `tox -e nightly`). Elsewhere (a developer's run) every test runs.

What is in the sample is decided once, by `first_of_each`: an item is kept when it is the first, in
order, to carry one of its keys — e.g. per target, the first divergence entry of each kind (rule, pin
kind, streaming or not, wire), so every kind of reproduction still runs on every pull request. Deselected tests are reported
to pytest as deselected (never skipped as passes), with the count and the reason said at the end.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import pytest

MARK = "outside_ci_sample"
ALL = "--kimi-repro-all"


def first_of_each(keys: Iterable[Iterable[Hashable]]) -> list[bool]:
    """For each item's keys, in order: True when it carries a key no earlier item carried."""
    seen: set[Hashable] = set()
    kept = []
    for own in keys:
        new = set(own) - seen
        kept.append(bool(new))
        seen |= new
    return kept


def active(config: pytest.Config) -> bool:
    """The sample applies under the `ci` profile (CI=true) and without --kimi-repro-all."""
    from harness.pytest_plugin import profiles

    return profiles.default_name() == "ci" and not config.getoption("repro_all", False)


def configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARK}: a slow reproduction the `ci` sample leaves out ({ALL} runs it)")
    if active(config):
        config.pluginmanager.register(_Sample(), "kimi-conformance-ci-sample")


class _Sample:
    dropped = 0

    @pytest.hookimpl(trylast=True)  # after -k / -m: the count said is of this sample's own deselection
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        kept = [item for item in items if item.get_closest_marker(MARK) is None]
        dropped = [item for item in items if item.get_closest_marker(MARK) is not None]
        if not dropped:
            return
        from harness.pytest_plugin.state import DESELECTED

        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        self.dropped = len(dropped)
        why = f"outside the ci sample of reproductions (CI=true; {ALL} runs every one)"
        counts = config.stash.setdefault(DESELECTED, {})
        counts[why] = counts.get(why, 0) + len(dropped)

    def pytest_report_collectionfinish(self, config: pytest.Config) -> str | None:
        if not self.dropped:
            return None
        return f"kimi-conformance: ci sample: {self.dropped} reproductions deselected ({ALL}: every one)"
