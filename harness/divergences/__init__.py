"""Known divergences, code beside its data: one YAML file per target (`<target>.yaml`, schema
`divergences.schema.json`), each entry's minimal case under `cases/<target>/`, and `model`, which
loads them and says which violations an entry covers (rule, check, path prefix, `when`) and
whether the target still sends what the entry pins there (`sends`; else a changed divergence).
Replaying an entry through a target is the engine's (`harness.engine.replay`); drafting entries
from a failing run is a command (`harness.cli.divergence`).

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`.
"""
