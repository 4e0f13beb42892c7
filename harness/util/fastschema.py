"""A compiled yes/no for hot JSON Schema checks; jsonschema still says where and why.

Validating a case with jsonschema costs about a millisecond, and the suites validate every case
they draw: that was half of a suite run. fastjsonschema compiles a schema to Python code that only
answers "valid or not" about 20x faster; an invalid instance then goes through jsonschema for the
message (the path and the reason), so verdicts and error texts are jsonschema's.

Our schemas declare draft 2020-12 but use only keywords that mean the same in draft 7
(fastjsonschema's newest): type, properties, required, enum, const, items (one schema), $ref into
$defs, if/then, allOf/oneOf/not, pattern, minimum, min*, propertyNames, uniqueItems. They compile
as draft 7; `DRAFT_2020_ONLY` keywords (and a $ref with validating siblings) are refused at compile
time, and tests/util/test_fastschema.py holds both verdicts equal on valid and broken instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

DRAFT_7 = "http://json-schema.org/draft-07/schema#"
# keywords whose meaning differs in draft 7, or that draft 7 does not have
DRAFT_2020_ONLY = frozenset(
    {"prefixItems", "unevaluatedItems", "unevaluatedProperties", "dependentRequired", "dependentSchemas",
     "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "minContains", "maxContains", "$vocabulary"}
)  # fmt: skip


REF_NEIGHBOURS = frozenset({"$ref", "description", "title", "$comment", "default", "examples"})


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a schema document, itself included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def compile_check(schema: dict[str, Any], others: Iterable[dict[str, Any]] = ()) -> Callable[[Any], bool]:
    """A function telling whether an instance is valid against `schema` ($refs into `others`, by
    their $id, are resolved locally: nothing is fetched)."""
    import fastjsonschema

    docs = [schema, *others]
    for doc in docs:
        found = {key for obj in _objects(doc) for key in obj if key in DRAFT_2020_ONLY}
        # an array `items` is draft 7's tuple form (2020-12 spells it prefixItems): not the same
        found |= {"items[]" for obj in _objects(doc) if isinstance(obj.get("items"), list)}
        # draft 7 ignores whatever stands beside a $ref; 2020-12 applies it too
        found |= {"$ref+siblings" for obj in _objects(doc) if "$ref" in obj and set(obj) - REF_NEIGHBOURS}
        if found:
            raise ValueError(f"schema {doc.get('$id', '?')}: {sorted(found)} differ in draft 7: no fast path")
    store = {d["$id"]: {**d, "$schema": DRAFT_7} for d in docs if "$id" in d}

    def local(uri: str) -> dict[str, Any]:
        return store[uri.split("#", 1)[0]]

    validate = fastjsonschema.compile({**schema, "$schema": DRAFT_7}, handlers={"https": local, "http": local})

    def check(instance: Any) -> bool:
        try:
            validate(instance)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return check
