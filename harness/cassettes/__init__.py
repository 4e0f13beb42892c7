"""

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`, `targets`, `engine`, `online`, `emulator`.
"""
