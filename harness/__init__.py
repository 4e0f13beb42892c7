"""kimi-conformance: a conformance harness for Moonshot AI / Kimi provider integrations.

Layers depend only downward: catalog -> reference (the contract) -> targets -> generation ->
suites/plugin -> reporting/cli. Importing `harness` imports nothing heavy.
"""

__version__ = "0.1.0"
