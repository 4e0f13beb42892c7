"""The contract's vocabulary: what a case is (`case`, its JSON Schema), the body a case intends
before any rule applies (`intended`), thinking levels, case features (`features`), a rule
violation and a verdict (`verdict`: `Violation` with rule, check id and JSON pointer), and the
diff of two bodies. No rule logic: the rules that use this vocabulary live in `harness.rules`.

May import: `harness.errors`, `util`, `catalog`.
"""
