"""T10 Kimi web search: the `$web_search` builtin passes unchanged beside function tools and is
never pinned; the round trip echoes the assistant message and the call's arguments byte for byte;
`$web_search` ids follow T6 (strict ids reduce `$web_search:1` to `websearch1`); thinking as the
catalog says per model. Checks in harness/rules/websearch_checks.py."""

from __future__ import annotations

from harness.rules._rule import Rule
from harness.rules.websearch_checks import project, registry_check


def _strategy(model, features):
    from harness.contract.features import ALL_FEATURES
    from harness.generation.websearch import cases_for

    return cases_for(model, features or ALL_FEATURES)


RULE = Rule(
    id="T10",
    title="Kimi web search",
    section="t10-web-search",
    order=85,
    summary="$web_search passes unchanged beside function tools, never pinned; the round trip echoes the "
    "assistant message and the arguments byte for byte; strict ids reduce $web_search:1 to websearch1",
    test_name="test_t10_web_search",
    sources=("doc:003 web search", "research websearch", "oc"),
    checks=(registry_check,),
    project=project,
    strategy=_strategy,
)
