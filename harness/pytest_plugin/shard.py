"""`--kimi-shard I/N`: run part I of N of the collected tests, so N machines (a CI matrix) each run
one part and `kimi-conformance merge` puts their results back together (harness.reporting.merge).

The split is a stable hash of each test's (target, rule, model, seed) — the seed is
`--hypothesis-seed` — never of the collection order or of Python's salted `hash`, so every machine,
every xdist worker and every rerun puts a test in the same part. A test without a rule or a model
(the wire tests, the known-divergence replays) has its node id in their place, so those spread too.
The seed is in the key so that several seeds of one target spread differently over the shards.

Deselected tests are reported to pytest as deselected (`pytest_deselected`), with the count and
the reason said at the end of the run; the header names the shard.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

_SPEC = re.compile(r"(\d+)/(\d+)")


def parse(text: str) -> tuple[int, int]:
    """`I/N` -> (I, N), 1 <= I <= N; anything else is a usage error naming the option and the value."""
    m = _SPEC.fullmatch(text.strip())
    if m is None:
        raise pytest.UsageError(f"--kimi-shard {text!r}: expected I/N, e.g. 1/3 (part I of N)")
    index, count = int(m.group(1)), int(m.group(2))
    if count < 1 or not 1 <= index <= count:
        raise pytest.UsageError(f"--kimi-shard {text!r}: I must be between 1 and N (N >= 1)")
    return index, count


def key(item: pytest.Item, seed: object) -> tuple[str, str, str, str]:
    """What a test is split by: (target, rule, model, seed), the node id for a missing rule or model."""
    from harness.targets import split_alias
    from harness.util.scrub import scrub_text

    params = getattr(getattr(item, "callspec", None), "params", {})
    target = params.get("target_name")
    marker = item.get_closest_marker("rule")
    rule = str(marker.args[0]) if marker is not None and marker.args else None
    model = params.get("model")
    target_text = scrub_text(split_alias(target)[0]) if isinstance(target, str) else ""
    if rule is None or not isinstance(model, str):
        return target_text, rule or item.nodeid, model if isinstance(model, str) else item.nodeid, str(seed or "")
    return target_text, rule, model, str(seed or "")


def part_of(parts: tuple[str, ...], count: int) -> int:
    """The shard (1..count) a key falls in: sha256, stable across machines and Python versions."""
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % count + 1


def configure(config: pytest.Config) -> None:
    """A bad --kimi-shard stops the run before collection (exit 4); a good one registers the split."""
    text = config.getoption("shard", None)
    if text:
        config.pluginmanager.register(_Shard(*parse(text)), "kimi-conformance-shard")


class _Shard:
    def __init__(self, index: int, count: int) -> None:
        self.index, self.count = index, count

    def pytest_report_header(self, config: pytest.Config) -> str:
        return f"kimi-conformance: shard {self.index}/{self.count} (tests split by target, rule, model and seed)"

    @pytest.hookimpl(tryfirst=True)  # before the n/a marking: a test of another shard is not looked at
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        seed = config.getoption("hypothesis_seed", None)
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        for item in items:
            (kept if part_of(key(item, seed), self.count) == self.index else dropped).append(item)
        if not dropped:
            return
        from harness.pytest_plugin.state import DESELECTED

        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        why = f"in another shard than {self.index}/{self.count} (--kimi-shard)"
        counts = config.stash.setdefault(DESELECTED, {})
        counts[why] = counts.get(why, 0) + len(dropped)
