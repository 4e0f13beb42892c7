"""What a run leaves behind, pytest-free: per-test results files and their reading (`results`,
`runs`), the parts of one run (shards, seeds) merged into it (`merge`), which run a report is of
(`run_identity`), the conformance matrix (Markdown and HTML), the end-of-run summary and the comparison of two runs, the history of runs, and the offline HTML
report (Allure 3, `build`; one file that opens from disk, or served on loopback by `serve`), with
its browser check and screenshots (`browser`, `screenshot`), and issue bodies for a library's
maintainers with a runnable reproduction per known divergence (`bug_report`, `bug_repro`, `bug_repro_direct`). The pytest plugin feeds it; nothing
below it imports it.

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`, `targets`, `engine`, `online`, `emulator`, `cassettes`,
`scenarios`.
"""
