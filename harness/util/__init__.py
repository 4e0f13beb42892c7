"""Leaf helpers every layer may use: YAML reading (libyaml when present), a compiled yes/no
JSON Schema check, atomic file writes, one TLS context, loopback addresses, whether a pid still runs, and the scrubber that
keeps keys out of everything the harness writes (`scrub`).

May import: the standard library and third-party libraries only (and `harness.errors`).
"""
