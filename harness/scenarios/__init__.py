"""The wire suites' work: scenarios (data in `scenarios.json` and `anthropic_scenarios.json`),
a `WireSession` that replays a cassette or talks to an upstream for one model and scenario, the
runs of chat, Anthropic Messages and web search scenarios, and the checks of real captures.
Pytest-free: a session raises `harness.errors.NotRun` (skip) or `CassetteError` (fail), and
the plugin's `wire` fixture turns them into pytest outcomes.

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`, `targets`, `engine`, `online`, `emulator`, `cassettes`.
"""
