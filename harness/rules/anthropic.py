"""anthropic: Kimi Coding's Anthropic Messages surface (the models whose catalog `api` is
anthropic-messages). The checks live in harness.rules.anthropic_checks, the agreement in
anthropic_agreement; this module registers them. A case the catalog routes elsewhere (a custom
provider is OpenAI-compatible) is outside this rule: its checks and agreement see nothing there.
"""

from __future__ import annotations

from harness.rules import anthropic_agreement, anthropic_checks
from harness.rules._rule import Check, Rule

API = "anthropic-messages"


def _checks(c: Check):
    if c.ctx.api != API:
        return
    yield from anthropic_checks.check_all(c.case, c.ctx, c.out)


def _agree(got, want, rule_id):
    if not str(want.get("url", "")).endswith("/v1/messages"):  # the reference routed it elsewhere
        return []
    return anthropic_agreement.agreement(got, want)


RULE = Rule(
    id="anthropic",
    title="Kimi Coding Anthropic surface",
    section="kimi-coding-anthropic",
    order=95,
    severity="critical",
    summary="POST https://api.kimi.com/coding/v1/messages with the key in x-api-key or as Bearer (one of them), anthropic-version "
    "and a User-Agent; system lifted, tool_use/tool_result paired, max_tokens always, no forced tool choice "
    "or temperature under thinking",
    test_name="test_anthropic_messages",
    sources=(
        "oc: OpenClaw's Kimi Coding plugin",
        "pi-ai 0.73.1 kimi-coding",
        "D6",
        "field: UfoMiao/zcf#204",
        "field: MoonshotAI/kimi-cli#277",
        "field: MoonshotAI/Kimi-K2#109",
    ),
    checks=(_checks,),
    agree=_agree,
    reference_step="anthropic_messages",
    extra={"api": API},
)
