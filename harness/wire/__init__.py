"""Wire-level checks: JSON Schemas for Moonshot bodies, capture readers, usage and cost (T9)."""
