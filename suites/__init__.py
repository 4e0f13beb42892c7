"""The conformance suites, one file per rule. Run from a checkout as `pytest suites --kimi-target SPEC`; the
wheel ships these same files as `kimi_conformance.suites` (pyproject.toml's package-dir), run from an install
as `pytest --pyargs kimi_conformance.suites --kimi-target SPEC`."""
