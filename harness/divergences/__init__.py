"""Known divergences, code beside its data: one YAML file per target (`<target>.yaml`, schema
`divergences.schema.json`), each entry's minimal case under `cases/<target>/`, and `model`, which
loads them and says which violations an entry covers (rule, check, path prefix, `when`).
Replaying an entry through a target is the engine's (`harness.engine.replay`); drafting entries
from a failing run is a command (`harness.cli.divergence`).

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`.
"""
