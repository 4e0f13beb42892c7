"""T9 usage and cost: usage from every stream shape, cached tokens never billed twice, cost from
the catalog's prices. Judged on streams, not on requests (see harness.pytest_plugin.standard_tests.usage_verdict)."""

from harness.rules._rule import Rule

RULE = Rule(
    id="T9",
    title="usage and cost",
    section="t9",
    order=100,
    kind="usage",
    summary="usage from every stream shape, cached tokens never billed twice, catalog-priced cost",
    test_name="test_t9_usage",
    sources=("wire captures", "doc:003 prices", "oc"),
    reference_step="t9_usage_cost",
)
