"""What goes over the wire, as data: the JSON Schemas of Moonshot / Kimi bodies, stream
well-formedness, usage parsing and cost (T9), web search cost.

May import: `harness.errors`, `util`, `catalog`, `contract`.
"""
