"""The `kimi-conformance` command: `main` parses and dispatches; one module per subcommand
(catalog, rules, check, contract, divergence, init, smoke, websearch, wire captures, bug-report), `inputs`
(bad input, case files) and `endpoints`, which says where an online command's requests go and with
which key.

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`, `targets`, `engine`, `online`, `emulator`, `cassettes`,
`scenarios`, `reporting`, `pytest_plugin`.
"""
