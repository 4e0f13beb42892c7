"""The compiled case check (harness.util.fastschema) gives jsonschema's verdict: on drawn cases, on the
bad cases every target must reject, and on broken copies of drawn cases (a node removed, retyped or
renamed; how many follows the Hypothesis profile: tests/examples.py); the same for the wire bodies and
the divergence files; and a schema whose keywords mean something else in draft 7 gets no fast path."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from harness.contract.case import SCHEMA_PATH, _is_valid, _validator, validate_case
from harness.errors import CaseError
from harness.generation.sample import examples
from harness.generation.strategies import ALL_FEATURES, cases
from harness.util.fastschema import compile_check
from harness.wire.schemas import KINDS
from tests.examples import scaled

BAD = json.loads((Path(SCHEMA_PATH).parent / "bad_cases.json").read_text())["cases"]
MODELS = ("moonshot/kimi-k2.6", "moonshot/kimi-k3", "kimi/kimi-for-coding", "moonshot/kimi-k2-turbo-preview")
ODD = (None, 0, -1, 1.5, "", "x", True, [], {}, [{}], {"x": 1})


def _jsonschema_ok(instance) -> bool:
    return next(iter(_validator().iter_errors(instance)), None) is None


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, (*path, i))


def _broken(case, rng: random.Random):
    copy = json.loads(json.dumps(case))
    path = rng.choice([p for p in _nodes(copy) if p])
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    how = rng.randrange(3)
    if how == 0:
        del parent[path[-1]]
    elif how == 1:
        parent[path[-1]] = rng.choice(ODD)
    elif isinstance(parent, dict):
        parent["x_" + str(path[-1])] = parent.pop(path[-1])
    else:
        parent.append(rng.choice(ODD))
    return copy


@pytest.fixture(scope="module")
def drawn():
    return [c for m in MODELS for c in examples(cases(m, ALL_FEATURES), 40)]


def test_drawn_cases_are_valid_both_ways(drawn):
    assert drawn and all(_is_valid()(c) and _jsonschema_ok(c) for c in drawn)


@pytest.mark.parametrize("entry", BAD, ids=[b["id"] for b in BAD])
def test_bad_cases_get_the_same_verdict(entry):
    assert _is_valid()(entry["case"]) == _jsonschema_ok(entry["case"])


def test_broken_copies_get_the_same_verdict(drawn):
    rng = random.Random(5)
    # jsonschema's verdict on each copy is most of this file's time: copies per case follow the profile
    broken = [_broken(c, rng) for c in drawn for _ in range(scaled(8, floor=2))]
    verdicts = [(_is_valid()(b), _jsonschema_ok(b)) for b in broken]
    differ = [b for b, (fast, slow) in zip(broken, verdicts) if fast != slow]
    assert not differ, json.dumps(differ[0])[:2000]
    assert sum(not slow for _, slow in verdicts) > len(broken) // 4  # the copies really are broken


def test_an_invalid_case_keeps_jsonschemas_message():
    with pytest.raises(CaseError, match=r"invalid case at \$\.request\.messages: 'hi' is not of type 'array'"):
        validate_case({"model": "moonshot/kimi-k2.6", "request": {"messages": "hi"}})


@pytest.mark.parametrize(
    "schema",
    [
        {"$id": "https://x/a", "type": "array", "prefixItems": [{"type": "string"}]},
        {"$id": "https://x/b", "type": "array", "items": [{"type": "string"}]},
        {"$id": "https://x/c", "type": "object", "unevaluatedProperties": False},
    ],
)
def test_keywords_that_differ_in_draft_7_get_no_fast_path(schema):
    with pytest.raises(ValueError, match="differ in draft 7"):
        compile_check(schema)


# ---- the wire schemas' fast path (harness/wire/schemas.py) --------------------------------------
def _wire_bodies() -> list[tuple[str, object]]:
    """(kind, body): every body of the real captures and of the committed cassettes."""
    from harness.cassettes.captures import SHIPPED, capture_files, load_units
    from harness.cassettes.files import read_cassette

    out: list[tuple[str, object]] = []
    for f in capture_files(SHIPPED):
        for u in load_units(f)[1]:
            if u.kind == "stream":
                out += [("chunk", c) for c in u.payload]
            elif u.kind in KINDS:
                out.append((u.kind, u.payload))
    for path in sorted(Path(__file__).parents[2].joinpath("cassettes").rglob("*.yaml")):
        for i in read_cassette(path).get("interactions", []):
            anthropic = "anthropic-" if i["request"]["uri"].endswith("/messages") else ""
            if isinstance(i["request"].get("body", {}).get("json"), dict):
                out.append((anthropic + "request", i["request"]["body"]["json"]))
            body = i["response"].get("body", {}).get("json")
            if isinstance(body, dict):
                ok = i["response"]["status"]["code"] < 400
                out.append((anthropic + ("response" if ok else "error"), body))
    # each body once: the cassettes repeat ~100 of them (the same error answer, the same chunk), and a
    # repeat judged again (with its three broken copies) checked nothing new
    unique = {(k, json.dumps(b, sort_keys=True)): (k, b) for k, b in out}
    return list(unique.values())


def _wire_verdicts(kind: str, body: object) -> tuple[bool, bool]:
    from harness.wire.schemas import _fast, _validator

    fast = _fast(kind)
    assert fast is not None, f"{kind} has no fast path"
    return fast(body), next(iter(_validator(kind).iter_errors(body)), None) is None


def test_wire_bodies_and_their_broken_copies_get_the_same_verdict():
    bodies = _wire_bodies()
    assert {k for k, _ in bodies} >= {
        "request",
        "response",
        "chunk",
        "error",
        "anthropic-request",
        "anthropic-response",
    }
    rng = random.Random(7)
    tried = bodies + [(k, _broken(b, rng)) for k, b in bodies for _ in range(scaled(3, floor=1)) if b]
    verdicts = [(k, b, *_wire_verdicts(k, b)) for k, b in tried]
    differ = [(k, b) for k, b, fast, slow in verdicts if fast != slow]
    assert not differ, json.dumps(differ[0])[:2000]
    assert sum(not slow for *_, slow in verdicts) > len(bodies) // 2  # the copies really are broken


def test_a_ref_with_validating_siblings_gets_no_fast_path():
    schema = {"$id": "https://x/d", "$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "minLength": 2}
    with pytest.raises(ValueError, match="differ in draft 7"):
        compile_check(schema)


# ---- the divergence files' fast path (harness/divergences/model.py) -------------------------------
def test_divergence_files_and_their_broken_copies_get_the_same_verdict():
    """load_file trusts the compiled check's yes; a copy it passes and jsonschema refuses would load."""
    import jsonschema

    from harness.divergences.model import _schema, _schema_ok, all_files
    from harness.util import yamlio

    slow = jsonschema.Draft202012Validator(_schema())
    files = [yamlio.safe_load(p.read_text(encoding="utf-8")) for p in all_files()]
    # copies of one-entry files: a broken whole file costs jsonschema ~50 entries' walk for one node
    single = [{**f, "entries": [e]} for f in files for e in f["entries"]]
    rng = random.Random(11)
    tried = files + [_broken(d, rng) for d in single for _ in range(scaled(2, floor=1))]
    differ = [t for t in tried if _schema_ok()(t) != slow.is_valid(t)]
    assert not differ, json.dumps(differ[0], default=str)[:2000]
    assert sum(not slow.is_valid(t) for t in tried) > len(tried) // 4  # the copies really are broken
