"""kimi-conformance: a conformance harness for Moonshot AI / Kimi provider integrations.

Layers depend only downward: catalog -> reference (the contract) -> targets -> generation ->
suites/plugin -> reporting/cli. Importing `harness` imports nothing heavy.
"""

__version__ = "0.1.0"
# kimi_conformance.shadowing_problem checks this marker: another package named `harness` lacks it
DISTRIBUTION = "kimi-conformance"
