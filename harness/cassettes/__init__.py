"""Recorded wire traffic, as files: the cassette format (vcrpy with a readable serializer, atomic
writes, event-by-event stream replay, scrubbed keys), provenance (emulator, live or real), the
real captures of public projects and their reader (`captures`), cassettes built from them
(`real`), and re-recording (`python -m harness.cassettes.record`). Persistence only: what a wire
test does with a cassette is `harness.scenarios`.

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`, `targets`, `engine`, `online`, `emulator`.
"""

# vcrpy's record modes, as the --kimi-record-mode option and the cassette session take them
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
