"""Everything that speaks pytest, and the only package that imports it: options (one group,
`--kimi-…`), hooks, fixtures (`target`, `model`, `conformance`, `wire`), the standard tests made
from the rule registry (`standard_tests`), `ConformanceSuite` (`suite_class`), Hypothesis
profiles, the session's targets, xdist support, `--kimi-shard` (`shard`), verdict recording, Allure labels and attachments,
the `ci` sample of the slow reproductions (`sample`),
and the scrubbing of every report. The entry point is `plugin` (`pytest11: kimi_conformance`).

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`, `targets`, `engine`, `online`, `emulator`, `cassettes`,
`scenarios`, `reporting`.
"""
