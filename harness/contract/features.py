"""The case features: inputs a target may or may not be able to express.

A target names the ones it can express (`harness.targets.Capabilities.features`); generation draws
only those, and the rules that draw their own cases (web search) use the whole set by default.
"""

# Case inputs a target may or may not be able to express; generation draws only expressible ones.
ALL_FEATURES = frozenset(
    {
        "thinking_level",  # the /think level (case.thinking)
        "configured_thinking",  # params.thinking (object, boolean or word)
        "thinking_spellings",  # params.thinking as OpenClaw's booleans and words, not only an object
        "request_thinking",  # the request body's own `thinking` field
        "extra_body",  # params.extra_body
        "params_sampling",  # configured sampling params (params.temperature, ...)
        "custom_provider",  # case.provider with another id / base URL
        "compat",  # case.provider.compat flags
        "sanitize_switch",  # case.provider.sanitizeToolCallIds: true (OpenClaw's per-provider switch)
        "odd_tool_ids",  # ids outside the native / official / call_ forms
        "developer_role",  # `developer` messages
        "stream",  # stream: true
        "store",  # the `store` field
        "reasoning_effort",  # the request's own reasoning_effort
        "content_parts",  # message content as an array of parts (D5: opaque, passed through)
        "model_aliases",  # a model named by an alias without a provider ("Kimi K2.6"), resolved by the target
        "payload_fields",  # request fields only a payload / extra-body hook carries (n, user, unknown keys)
    }
)
