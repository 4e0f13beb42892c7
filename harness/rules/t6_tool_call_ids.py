"""T6 tool-call id sanitization: ids unique (on every native Moonshot endpoint, D1), the first
native id kept, results follow their call, duplicates -> deterministic call_* (policy moonshot /
unique) or [A-Za-z0-9]{1,40} (policy strict). Compared to the reference modulo renaming."""

from __future__ import annotations

from collections import Counter

from harness.contract.verdict import Violation, pointer
from harness.rules._common import NATIVE_ID, OPENAI_ID, STRICT_ID, id_sequence, messages, tool_call_slots
from harness.rules._rule import Check, Rule

_CALL_STYLE = ("moonshot", "unique")  # duplicates become call_<24 hex>


def _checks(c: Check):
    before, after = messages(c.intended), messages(c.body)
    calls, results = tool_call_slots(before)
    try:
        raw = [before[i]["tool_calls"][j]["id"] for i, j in calls]
        new = [after[i]["tool_calls"][j]["id"] for i, j in calls]
        new_results = [after[i]["tool_call_id"] for i, _ in results]
    except (IndexError, KeyError, TypeError):
        yield c.violation("T6.reshaped", "/body/messages", "tool calls or tool results were dropped, moved or reshaped")
        return
    policy = c.ctx.tool_call_ids
    if policy == "none":
        raw_results = [before[i]["tool_call_id"] for i, _ in results]
        for (i, j), r, n in zip(calls, raw, new):
            if n != r:
                yield c.violation(
                    "T6.passthrough",
                    pointer("body", "messages", i, "tool_calls", j, "id"),
                    f"provider {c.ctx.provider_id} sanitizes nothing: ids pass through",
                    r,
                    n,
                )
        for (i, _), r, n in zip(results, raw_results, new_results):
            if n != r:
                yield c.violation(
                    "T6.passthrough",
                    pointer("body", "messages", i, "tool_call_id"),
                    f"provider {c.ctx.provider_id} sanitizes nothing: ids pass through",
                    r,
                    n,
                )
        return
    for dupe in sorted(k for k, n in Counter(new).items() if n > 1):
        i, j = calls[new.index(dupe)]
        yield c.violation(
            "T6.unique",
            pointer("body", "messages", i, "tool_calls", j, "id"),
            "tool-call ids must be unique after T6",
            "a unique id",
            dupe,
        )
    for (i, call), got in zip(results, new_results):
        if call is not None and got != new[call]:
            yield c.violation(
                "T6.result-follows-call",
                pointer("body", "messages", i, "tool_call_id"),
                "a tool result must point at its own call",
                new[call],
                got,
            )
    seen: set[str] = set()
    for (i, j), r, n in zip(calls, raw, new):
        first = r not in seen
        seen.add(r)
        path = pointer("body", "messages", i, "tool_calls", j, "id")
        if first and NATIVE_ID.match(r) and n != r:
            yield c.violation("T6.first-native-kept", path, "the first occurrence of a native id must be kept", r, n)
        elif policy in _CALL_STYLE and not first and not OPENAI_ID.match(n):
            yield c.violation(
                "T6.duplicate-call-id",
                path,
                f"a duplicate of {r!r} must become a deterministic call_* id",
                "call_<24 hex>",
                n,
            )
        elif policy == "strict" and not (first and NATIVE_ID.match(r)) and not STRICT_ID.match(n):
            yield c.violation(
                "T6.strict-charset", path, "strict sanitization allows only [A-Za-z0-9]{1,40}", "[A-Za-z0-9]{1,40}", n
            )


def _deterministic(c: Check):
    if c.transform is None or not id_sequence(c.out):
        return  # no ids, nothing to rewrite
    first, again = id_sequence(c.out), id_sequence(c.transform(c.case))
    if again != first:
        yield c.violation(
            "T6.deterministic",
            "/body/messages",
            "rewritten tool-call ids are not deterministic: the same case gave other ids",
            first,
            again,
        )


def renaming_mismatch(got: list[str], want: list[str]) -> int | None:
    """None if `got` is `want` under a one-to-one renaming, else the first index where it breaks."""
    if len(got) != len(want):
        return min(len(got), len(want))
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for i, (g, w) in enumerate(zip(got, want)):
        if forward.setdefault(g, w) != w or backward.setdefault(w, g) != g:
            return i
    return None


def _agree(got, want, rule_id: str) -> list[Violation]:
    a, b = id_sequence(got), id_sequence(want)
    at = renaming_mismatch(a, b)
    if at is None:
        return []
    return [
        Violation(
            rule_id,
            f"{rule_id}.agreement",
            "/body/messages",
            b,
            a,
            f"tool-call ids differ from the reference modulo renaming (from id #{at})",
        )
    ]


RULE = Rule(
    id="T6",
    title="tool-call id sanitization",
    section="t6",
    order=60,
    severity="critical",
    summary="tool-call ids unique, first native id kept, results follow their call, duplicates -> "
    "deterministic call_* (compared to the reference modulo renaming)",
    test_name="test_t6_tool_call_ids",
    sources=("doc:003 tool-call ids", "oc", "wire 400", "D1"),
    focus=("tool_history",),
    checks=(_checks, _deterministic),
    agree=_agree,
    reference_step="t6_tool_call_ids",
)
