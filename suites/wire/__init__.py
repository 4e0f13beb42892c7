"""The wire suites: scenario cassettes, real cassettes, the live smoke test. Installed, they are
`kimi_conformance.suites.wire` and replay the cassettes shipped beside them (`kimi_conformance/cassettes`)."""
