"""Hypothesis strategies that draw cases: histories, configured params, provider choices,
usage streams, web search rounds. Draws only what a target can express (its `features`).

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`.
"""
