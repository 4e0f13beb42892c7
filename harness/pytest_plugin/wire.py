"""The pytest plugin's wire layer: fixtures and hooks of the wire suites (suites/wire).

Registered by `plugin` (its `pytest_plugins`), so it comes in with the `pytest11` entry point and
with the root conftest's fallback alike, once; its options are in `options`. The work is done in
harness.scenarios (a `WireSession` per test), harness.cassettes and harness.online; imports stay
lazy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harness.pytest_plugin.state import NETWORK_BLOCKED, WIRE

if TYPE_CHECKING:
    from harness.emulator import Emulator


def pytest_configure(config: pytest.Config) -> None:
    """After the plugin's own (tryfirst) configure: a bad --catalog / --model stops the run first."""
    if config.getoption("kimi_record_mode", "none") != "none" and not (
        config.getoption("live", False) or config.getoption("upstream", None)
    ):
        raise pytest.UsageError(
            "--kimi-record-mode other than none records real traffic: give --kimi-live or --kimi-upstream URL"
        )
    from harness.pytest_plugin import xdist as parallel

    if config.getoption("live", False) and (parallel.is_controller(config) or parallel.is_worker(config)):
        # one process keeps the spend (--kimi-budget-usd) and the 429 retries: workers would each spend it
        raise pytest.UsageError("--kimi-live runs in one process: drop -n (pytest-xdist)")
    if config.getoption("upstream_kimi", None) and not config.getoption("upstream", None):
        raise pytest.UsageError("--kimi-upstream-coding goes with --kimi-upstream (the Moonshot stand-in)")
    read, deadline = config.getoption("upstream_read_timeout", 60.0), config.getoption("upstream_deadline", 120.0)
    if read >= deadline:  # else a stall would read as a slow answer cut at the deadline
        raise pytest.UsageError(
            f"--kimi-upstream-read-timeout {read:g} must be shorter than --kimi-upstream-deadline {deadline:g}"
        )
    if config.getoption("upstream", None) == "emulator":
        _start_emulator(config)
    elif config.getoption("emulator_faults", None):
        raise pytest.UsageError(
            "--kimi-emulator-faults: faults are injected by the emulator this run starts; "
            "give --kimi-upstream emulator (or serve one: kimi-conformance emulator serve --faults)"
        )
    if config.getoption("kimi_block_network", False):
        from harness.online import network

        network.block("--kimi-block-network")
        config.stash[NETWORK_BLOCKED] = True


_EMULATOR: pytest.StashKey[Emulator] = pytest.StashKey()


def _start_emulator(config: pytest.Config) -> None:
    """`--kimi-upstream emulator`: an in-process emulator for the session, with the fault plan."""
    from harness.emulator import Emulator, faults

    seed = config.getoption("emulator_seed", 0)
    try:
        plan = faults.load(config.getoption("emulator_faults", None), seed=seed)
    except faults.FaultSpecError as e:
        raise pytest.UsageError(f"--kimi-emulator-faults: {e}") from None
    emu = config.stash[_EMULATOR] = Emulator(seed=seed, faults=plan)
    config.option.upstream = emu.start()
    if not config.getoption("upstream_kimi", None):
        config.option.upstream_kimi = emu.coding_base_url


@pytest.hookimpl(trylast=True)  # after the plugin's targets are closed: they may still talk to the emulator
def pytest_unconfigure(config: pytest.Config) -> None:
    emu = config.stash.get(_EMULATOR, None)
    if emu is not None:
        emu.stop()
        del config.stash[_EMULATOR]
    if config.stash.get(NETWORK_BLOCKED, False):
        from harness.online import network

        network.unblock()
        config.stash[NETWORK_BLOCKED] = False


def wire_settings_for(config: pytest.Config):
    settings = config.stash.get(WIRE, None)
    if settings is None:
        from decimal import Decimal
        from pathlib import Path

        from harness.cassettes.settings import WireSettings
        from harness.online.budget import Budget
        from harness.online.guard import UpstreamHealth
        from harness.online.retry import RetryPolicy
        from harness.pytest_plugin.state import catalog

        cassette_dir = config.getoption("cassette_dir")
        if not cassette_dir:
            # The cassettes beside the wire suites this run collected (as suites/wire/test_real.py finds
            # cassettes/real): `<checkout>/cassettes` for suites/wire, the shipped `kimi_conformance/cassettes`
            # for an installed `pytest --pyargs kimi_conformance.suites`; else <rootdir>/cassettes.
            cassette_dir = Path(str(config.rootpath)) / "cassettes"
            for plugin in config.pluginmanager.get_plugins():
                conftest = Path(getattr(plugin, "__file__", None) or ".").resolve()
                wire_suites = conftest.name == "conftest.py" and conftest.parent.parts[-2:] == ("suites", "wire")
                if wire_suites and (conftest.parents[2] / "cassettes").is_dir():
                    cassette_dir = conftest.parents[2] / "cassettes"
                    break
        settings = config.stash[WIRE] = WireSettings(
            catalog=catalog(config),
            cassette_dir=Path(cassette_dir),
            record_mode=config.getoption("kimi_record_mode"),
            live=config.getoption("live"),
            upstream=config.getoption("upstream"),
            upstream_kimi=config.getoption("upstream_kimi"),
            endpoint=config.getoption("endpoint"),
            budget=Budget(Decimal(str(config.getoption("budget_usd")))),
            retry=RetryPolicy(total=config.getoption("upstream_retry_budget", 60.0)),
            upstream_health=UpstreamHealth(
                deadline=config.getoption("upstream_deadline", 120.0),
                read_deadline=config.getoption("upstream_read_timeout", 60.0),
            ),
        )
    return settings


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """One line per upstream the run declared gone: its URL, the cause, what was not run."""
    settings = config.stash.get(WIRE, None)
    health = getattr(settings, "upstream_health", None)
    for base_url, cause in health.gone.items() if health is not None else ():
        terminalreporter.write_line(
            f"kimi-conformance: upstream {base_url} is gone ({cause}); its remaining online tests were not run",
            yellow=True,
        )


@pytest.fixture(scope="session")
def wire_settings(request: pytest.FixtureRequest):
    """The wire run: replay (default) or online (--kimi-live / --kimi-upstream), record mode, budget."""
    return wire_settings_for(request.config)


@pytest.fixture
def wire(request: pytest.FixtureRequest, wire_settings):
    """`with wire(model_ref, scenario) as ws:` — a cassette-backed (or live) wire session.

    Replay: the cassette answers, the network is blocked (loopback excepted), unplayed
    interactions fail the test. Online: requests go to --kimi-upstream or the real endpoint.

    Every exchange is added to the test's user_properties as it happens (`wire.request`,
    `wire.response`, scrubbed), and `wire.steps` when the session ends — pass or fail — so a
    failing wire test carries its bodies into the report (harness.pytest_plugin.allure).
    """
    import contextlib

    from harness.errors import CassetteError, NotRun
    from harness.online import network
    from harness.scenarios.session import WireSession

    props = request.node.user_properties

    def note(exchange: dict) -> None:
        props.append(("wire.request", {k: exchange[k] for k in ("n", "url", "request") if k in exchange}))
        props.append(("wire.response", {k: exchange[k] for k in ("n", "status", "response", "error") if k in exchange}))

    @contextlib.contextmanager
    def open_session(model_ref: str, scenario: str):
        model = wire_settings.catalog.resolve(model_ref)
        session = WireSession(wire_settings, model, scenario)
        session.on_exchange = note
        blocker = network.blocked("replay mode") if not wire_settings.online else contextlib.nullcontext()
        try:
            with blocker, session:
                yield session
        except NotRun as e:  # no key, upstream gone, budget spent: no verdict on the rules
            pytest.skip(str(e))
        except CassetteError as e:  # the cassette is what is broken: one line, no harness traceback
            pytest.fail(str(e), pytrace=False)
        finally:
            if session.steps:
                props.append(("wire.steps", list(session.steps)))
        if session.provenance:
            props.append(("provenance", session.provenance))

    return open_session
