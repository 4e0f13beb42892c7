"""Every pytest option of the plugin, in one group, each prefixed `--kimi-` (as Hypothesis prefixes
`--hypothesis-`): the plugin is loaded into every pytest run of an environment it is installed in,
and generic names (`--target`, `--live`, `--model`) would collide with other plugins and confuse
other projects' runs. pytest-recording's names (`--record-mode`, `--block-network`, …) are left
to it.

The unprefixed names of earlier releases stay as deprecated aliases for one release: they still
work, and a run that uses one warns once, naming the new spelling (`warn_deprecated`).
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Callable
from typing import Any

import pytest

from harness.cassettes import RECORD_MODES

GROUP = "kimi-conformance"
# old spelling -> new spelling; removed in the next release
DEPRECATED = {
    "--target": "--kimi-target",
    "--catalog": "--kimi-catalog",
    "--config": "--kimi-config",
    "--model": "--kimi-model",
    "--skip-retired": "--kimi-skip-retired",
    "--target-timeout": "--kimi-target-timeout",
    "--target-max-timeouts": "--kimi-target-max-timeouts",
    "--results-dir": "--kimi-results-dir",
    "--live": "--kimi-live",
    "--upstream": "--kimi-upstream",
    "--upstream-kimi": "--kimi-upstream-coding",
    "--emulator-faults": "--kimi-emulator-faults",
    "--emulator-seed": "--kimi-emulator-seed",
    "--endpoint": "--kimi-endpoint",
    "--budget-usd": "--kimi-budget-usd",
    "--cassette-dir": "--kimi-cassette-dir",
}
_OLD = {new: old for old, new in DEPRECATED.items()}


def positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type: a number > 0, else a usage error naming the option's value."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    parse.__name__ = f"positive {getattr(kind, '__name__', 'number')}"
    return parse


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "kimi-conformance: Moonshot / Kimi provider conformance")

    def add(*names: str, dest: str, **kw: Any) -> None:
        old = [_OLD[n] for n in names if n in _OLD]
        if old:
            kw["help"] = f"{kw['help']} (deprecated alias: {', '.join(old)})"
        group.addoption(*names, *old, dest=dest, **kw)

    # ---------------------------------------------------------------- what is tested
    add(
        "--kimi-target",
        dest="target",
        action="append",
        default=None,
        metavar="NAME",
        help="system under test: reference (default), python:MODULE:CALLABLE, command:CMD, "
        "openclaw, pi-ai, litellm, pydantic-ai, vercel-ai, http:URL, or ALIAS=SPEC. Repeatable: results are per target.",
    )
    add(
        "--kimi-catalog",
        "--kimi-config",
        dest="catalog",
        default=None,
        metavar="PATH",
        help="a catalog or an OpenClaw / nix-openclaw config (JSON or JSON5; ${VAR} from the "
        "environment, apiKeyFile, agents.defaults aliases) merged over the built-in one "
        "(mode: merge) or replacing it; keys in it never reach a report",
    )
    add(
        "--kimi-model",
        dest="model",
        action="append",
        default=None,
        metavar="REF",
        help="only these model refs (any spelling the catalog resolves). Repeatable.",
    )
    add(
        "--kimi-skip-retired",
        dest="skip_retired",
        action="store_true",
        default=False,
        help="leave out models the catalog marks retired",
    )
    add(
        "--kimi-apis",
        dest="apis",
        action="append",
        default=None,
        metavar="API",
        help="the API surfaces the targets under test speak (openai-completions, anthropic-messages); "
        "tests of another surface are reported not applicable. Repeatable; default: every surface",
    )
    add(
        "--kimi-divergences",
        dest="divergences",
        action="append",
        default=None,
        metavar="PATH",
        help="your own known divergences (a YAML file of the divergence format; its entries name your target "
        "by its NAME of NAME=SPEC): a violation they cover is a known divergence, not a failure. Repeatable",
    )
    add(
        "--kimi-target-timeout",
        dest="target_timeout",
        type=positive(float),
        default=30.0,
        metavar="SECONDS",
        help="per-case timeout for process targets (default 30)",
    )
    add(
        "--kimi-target-max-timeouts",
        dest="target_max_timeouts",
        type=positive(int),
        default=3,
        metavar="N",
        help="mark a target broken after N consecutive timeouts, lost processes or protocol errors and "
        "end its remaining tests at once, reported as not run (default 3)",
    )
    add(
        "--kimi-slow-target-notice",
        dest="slow_target_notice",
        type=positive(float),
        default=300.0,
        metavar="SECONDS",
        help="after a target's first cases, say once (with its time per case and how to narrow the run) "
        "when its run is estimated to take this long or longer (default 300)",
    )
    add(
        "--kimi-results-dir",
        dest="results_dir",
        default=None,
        metavar="DIR",
        help="write per-test conformance results (JSON, per target) here, for `kimi-conformance matrix`",
    )
    add(
        "--kimi-shard",
        dest="shard",
        default=None,
        metavar="I/N",
        help="run part I of N (1 <= I <= N) of the tests, split by a stable hash of (target, rule, model, seed), "
        "one part per machine; `kimi-conformance merge` joins the parts' --kimi-results-dir",
    )
    add(
        "--kimi-min-coverage",
        dest="min_coverage",
        action="store_true",
        default=False,
        help="fail the run when a check of a rule that ran was never exercised, a declared case form "
        "(harness/rules/forms.yaml) a target can express was never drawn, or a test's examples were "
        "mostly discarded (`kimi-conformance coverage`)",
    )
    add(
        "--kimi-repro-all",
        dest="repro_all",
        action="store_true",
        default=False,
        help="under CI=true, run every bug-report reproduction, not the ci sample (per target, the first "
        "divergence entry of each kind: rule, pin kind, streaming, wire); the nightly run (tox -e nightly) uses it",
    )
    # ---------------------------------------------------------------- the wire suites
    add(
        "--kimi-record-mode",
        dest="kimi_record_mode",
        default="none",
        choices=RECORD_MODES,
        help="cassettes: none = replay only (default); once / new_episodes / all / rewrite "
        "record from --kimi-live or --kimi-upstream (rewrite: fresh cassettes, replaced atomically)",
    )
    add(
        "--kimi-live",
        dest="live",
        action="store_true",
        default=False,
        help="wire suites send to the real endpoints with MOONSHOT_API_KEY / KIMI_API_KEY "
        "(skipped, naming the variable, when no key is set)",
    )
    add(
        "--kimi-upstream",
        dest="upstream",
        default=None,
        metavar="URL",
        help="send the Moonshot wire requests to this base URL instead (e.g. the emulator: "
        "http://127.0.0.1:N/v1); the Kimi Coding (kimi/) requests go to its sibling "
        "path .../coding/v1 unless --kimi-upstream-coding says otherwise. `--kimi-upstream emulator` "
        "starts one in this process for the session",
    )
    add(
        "--kimi-upstream-coding",
        dest="upstream_kimi",
        default=None,
        metavar="URL",
        help="send the Kimi Coding (kimi/) wire requests to this base URL (default: derived "
        "from --kimi-upstream, http://127.0.0.1:N/v1 -> http://127.0.0.1:N/coding/v1)",
    )
    add(
        "--kimi-emulator-faults",
        dest="emulator_faults",
        default=None,
        metavar="SPEC|FILE",
        help='faults the --kimi-upstream emulator injects, e.g. "429:0.2,503:0.05,stall:0.01,'
        'truncate:0.02", or a file holding such a plan (deterministic with --kimi-emulator-seed)',
    )
    add(
        "--kimi-emulator-seed",
        dest="emulator_seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the --kimi-upstream emulator: its ids and texts and which requests get faults",
    )
    add(
        "--kimi-endpoint",
        dest="endpoint",
        default="international",
        choices=("international", "china"),
        help="Moonshot endpoint of --kimi-live runs (china = https://api.moonshot.cn/v1)",
    )
    add(
        "--kimi-block-network",
        dest="kimi_block_network",
        action="store_true",
        default=False,
        help="block every non-loopback connection for the whole session (replayed wire tests always run blocked)",
    )
    add(
        "--kimi-budget-usd",
        dest="budget_usd",
        type=float,
        default=0.50,
        metavar="USD",
        help="estimated-spend limit of a live/upstream run (default 0.50); a request that could "
        "pass it is refused and the remaining wire tests are skipped",
    )
    add(
        "--kimi-upstream-read-timeout",
        dest="upstream_read_timeout",
        type=positive(float),
        default=60.0,
        metavar="SECONDS",
        help="live/upstream runs: the longest wait for the next byte of an answer; no byte for longer "
        "is a stall (default 60; shorter than --kimi-upstream-deadline)",
    )
    add(
        "--kimi-upstream-deadline",
        dest="upstream_deadline",
        type=positive(float),
        default=120.0,
        metavar="SECONDS",
        help="live/upstream runs: the longest one request may take, connect to last byte (default 120)",
    )
    add(
        "--kimi-retry-budget",
        dest="upstream_retry_budget",
        type=positive(float),
        default=60.0,
        metavar="SECONDS",
        help="live/upstream runs: the longest summed wait of one request's retries of 429 / 5xx "
        "(default 60); an answer still 429 / 5xx after it counts toward the upstream being gone",
    )
    add(
        "--kimi-cassette-dir",
        dest="cassette_dir",
        default=None,
        metavar="DIR",
        help="where cassettes are read and written (default: the cassettes beside the wire suites: the "
        "checkout's cassettes/, or the installed package's)",
    )


def deprecated_in(args: list[str]) -> list[str]:
    """The deprecated spellings among command-line arguments, in order, each once."""
    found: list[str] = []
    for arg in args:
        name = arg.split("=", 1)[0]
        if name in DEPRECATED and name not in found:
            found.append(name)
    return found


def warn_deprecated(config: pytest.Config) -> None:
    """One warning for the whole run naming every deprecated spelling it used and its new name."""
    args = [*config.invocation_params.args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))]
    args += config.getini("addopts")
    used = deprecated_in([str(a) for a in args])
    if used:
        spelled = ", ".join(f"{old} -> {DEPRECATED[old]}" for old in used)
        config.issue_config_time_warning(
            pytest.PytestDeprecationWarning(
                f"kimi-conformance: unprefixed options are deprecated and go away in the next release: {spelled}"
            ),
            stacklevel=2,
        )
