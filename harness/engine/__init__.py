"""Runs a rule against a target: replay the seeds (corpus, divergence cases, causes found on
another model), then draw with Hypothesis, judge each case (`harness.rules.judge`), and hold every
violation to the target's known divergences (`conformance`). `replay` re-runs a divergence's
minimal case to see whether it still diverges; `coverage` counts what a run exercised (per check,
model and case form: harness/rules/forms.yaml). Pytest-free: the plugin drives it.

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`, `targets`.
"""
