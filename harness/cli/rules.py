"""`kimi-conformance rules`: the registry as a table (the README's "What it checks" is this output)."""

from __future__ import annotations

import json


def table() -> str:
    from harness import rules

    lines = ["| rule | what must hold | contract | suite |", "|---|---|---|---|"]
    for r in rules.all_rules():
        lines.append(f"| {r.id} | {r.title}: {r.summary} | [`#{r.section}`]({r.link}) | `suites/{r.test_name}.py` |")
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
    return 0


def add_rules_command(sub) -> None:
    p = sub.add_parser("rules", help="the contract's rules as the registry declares them (Markdown table)")
    p.add_argument(
        "--json", action="store_true", help="machine-readable output (id, title, summary, section, test, ...)"
    )
    p.set_defaults(func=cmd_rules)
