"""Talking to a real upstream: the wire client (`client`: chat completions and Anthropic
Messages, streaming, retries), the spend budget, whose key goes where (`keys`: a provider's key
only from its own variables), the retry policy, the upstream guard (a dead, stalled, cut-off or
throttled upstream is "gone", not a verdict), the socket-level network block, and one Kimi web
search round trip.

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`, `targets`, `engine`.
"""
