"""`kimi-conformance rules`: the registry as a table (the README's "What it checks" is this output)."""

from __future__ import annotations

import json
import re


def _same(a: str, b: str) -> bool:
    """`pass-through` and `passthrough`, `routing` and `routing`: one name, spelled twice."""
    return re.sub(r"[^a-z0-9]", "", a.lower()) == re.sub(r"[^a-z0-9]", "", b.lower())


def title_of(rule) -> str:
    """The rule's title where it says more than its id ("" for `routing`, whose title is its id)."""
    return "" if _same(rule.title, rule.id) else rule.title


def what_must_hold(rule) -> str:
    """`title: summary`, without saying a name twice: the title is left out where it is the id
    (routing) or where the summary already starts with it (T7's "compat flags: ...")."""
    title = title_of(rule)
    if not title or rule.summary.lower().startswith(title.lower()):
        return rule.summary
    return f"{title}: {rule.summary}"


def table() -> str:
    from harness import rules

    lines = ["| rule | what must hold | contract | suite |", "|---|---|---|---|"]
    for r in rules.all_rules():
        lines.append(f"| {r.id} | {what_must_hold(r)} | [`#{r.section}`]({r.link}) | `suites/{r.test_name}.py` |")
    return "\n".join(lines)


def cmd_rules(args) -> int:
    from harness import rules

    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "title": r.title,
                        "summary": r.summary,
                        "section": r.link,
                        "anchor": r.section,
                        "contract": f"kimi-conformance contract {r.id}",
                        "test": r.test_name,
                        "kind": r.kind,
                        "focus": list(r.focus),
                        "sources": list(r.sources),
                        "severity": r.severity,
                    }
                    for r in rules.all_rules()
                ],
                indent=2,
            )
        )
    else:
        print(table())
        print("\nA rule's text: `kimi-conformance contract RULE` (e.g. `kimi-conformance contract T4`).")
    return 0


def add_rules_command(sub) -> None:
    p = sub.add_parser("rules", help="the contract's rules as the registry declares them (Markdown table)")
    p.add_argument(
        "--json",
        action="store_true",
        help="machine-readable output (id, title, summary, section, anchor, contract, test, ...)",
    )
    p.set_defaults(func=cmd_rules)
