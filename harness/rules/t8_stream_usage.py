"""T8 Streaming usage: stream_options.include_usage on native Moonshot endpoints (by endpoint)."""

from __future__ import annotations

from harness.rules._common import pick
from harness.rules._rule import ABSENT, Check, Rule


def _checks(c: Check):
    so_in, so_out = c.intended.get("stream_options"), c.body.get("stream_options", ABSENT)
    if c.intended.get("stream") is True and c.ctx.streaming_usage:
        if not (isinstance(so_out, dict) and so_out.get("include_usage") is True):
            yield c.violation(
                "T8.include-usage",
                "/body/stream_options/include_usage",
                f"{c.ctx.base_url} declares streaming usage",
                True,
                so_out.get("include_usage", ABSENT) if isinstance(so_out, dict) else so_out,
            )
            return
        extra_in = {k: v for k, v in so_in.items() if k != "include_usage"} if isinstance(so_in, dict) else {}
        extra_out = {k: v for k, v in so_out.items() if k != "include_usage"}
        if extra_out != extra_in:
            yield c.violation(
                "T8.other-options-kept",
                "/body/stream_options",
                "other stream_options must pass through",
                extra_in,
                extra_out,
            )
    elif c.body.get("stream_options") != so_in:  # null and absent are the same here
        yield c.violation(
            "T8.passthrough",
            "/body/stream_options",
            f"stream_options pass through here "
            f"(stream={c.intended.get('stream')!r}, streaming usage {c.ctx.streaming_usage})",
            so_in if "stream_options" in c.intended else ABSENT,
            so_out,
        )


RULE = Rule(
    id="T8",
    title="streaming usage",
    section="t8",
    order=80,
    summary="stream_options.include_usage on native Moonshot endpoints, matched by endpoint",
    test_name="test_t8_stream_usage",
    sources=("doc:003", "oc"),
    focus=("stream",),
    checks=(_checks,),
    project=lambda out: pick(out["body"], ("stream", "stream_options")),
    reference_step="t8_stream_usage",
)
