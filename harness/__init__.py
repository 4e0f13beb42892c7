"""kimi-conformance: a conformance harness for Moonshot AI / Kimi provider integrations.

One package per layer, each importing only the layers below it (tests/test_architecture.py
holds the order; each package's docstring says what it owns and may import), bottom to top:
util, catalog, contract, wire, generation, rules, reference, divergences, corpus, targets,
engine, online, emulator, cassettes, scenarios, reporting, pytest_plugin, cli. Only
`pytest_plugin` imports pytest. Importing `harness` imports nothing heavy.
"""

__version__ = "0.1.0"
# kimi_conformance.shadowing_problem checks this marker: another package named `harness` lacks it
DISTRIBUTION = "kimi-conformance"
