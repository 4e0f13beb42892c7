"""`kimi-conformance contract [RULE]`: the contract that ships with the package.

Without an argument, the index: every rule of the registry (id, title, anchor) and the contract's
other sections. With one, that section's text — by rule id (`T4`, `passthrough`) or by anchor (`t4`,
`kimi-coding-anthropic`, `d3`, `docs/contract.md#t4`). The file is docs/contract.md: in an install
`kimi_conformance/docs/contract.md` (pyproject.toml's package-dir), in a checkout `docs/contract.md`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

ANCHOR = re.compile(r'^<a id="([a-z0-9-]+)"></a>\s*$')
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^ {0,3}(```+|~~~+)")


class ContractMissing(HarnessError):
    """The contract file is not where the package puts it (a broken install)."""


def contract_path() -> Path:
    """docs/contract.md as this installation has it."""
    import harness

    root = Path(harness.__file__).resolve().parents[1]
    candidates = (root / "kimi_conformance" / "docs" / "contract.md", root / "docs" / "contract.md")
    for path in candidates:
        if path.is_file():
            return path
    raise ContractMissing(f"the contract is missing (looked at {', '.join(map(str, candidates))}): reinstall")


@dataclass(frozen=True)
class Section:
    anchor: str
    heading: str  # the heading's text, without its #s
    text: str  # the heading and everything under it, up to the next heading of its level or above


def sections(text: str) -> dict[str, Section]:
    """Every anchored section of the contract (`<a id="t4"></a>` before its heading), by anchor."""
    lines = text.splitlines()
    headings: list[tuple[int, int]] = []  # (line, level) of headings outside code blocks
    fence = None
    for n, line in enumerate(lines):
        m = FENCE.match(line)
        if m and (fence is None or m[1].startswith(fence)):
            fence = m[1][0] * 3 if fence is None else None
            continue
        h = HEADING.match(line) if fence is None else None
        if h:
            headings.append((n, len(h[1])))
    found: dict[str, Section] = {}
    for n, line in enumerate(lines):
        a = ANCHOR.match(line)
        if not a:
            continue
        after = [(i, level) for i, level in headings if i > n]
        if not after or any(lines[k].strip() and not ANCHOR.match(lines[k]) for k in range(n + 1, after[0][0])):
            continue  # an anchor that is not right before a heading
        start, level = after[0]
        end = next((i for i, lv in after[1:] if lv <= level), len(lines))
        body = lines[start:end]
        while body and (not body[-1].strip() or body[-1].strip() == "---" or ANCHOR.match(body[-1])):
            body.pop()
        heading = HEADING.match(lines[start])
        assert heading is not None
        found[a[1]] = Section(a[1], heading[2], "\n".join(body))
    return found


def read_sections() -> dict[str, Section]:
    return sections(contract_path().read_text(encoding="utf-8"))


def find(name: str, found: dict[str, Section] | None = None) -> Section | None:
    """The section a rule id or an anchor names (case-insensitive), or None."""
    from harness import rules

    found = found if found is not None else read_sections()
    key = name.strip().rsplit("#", 1)[-1].lower()
    by_rule = {r.id.lower(): r.section for r in rules.all_rules()}
    return found.get(by_rule.get(key, key))


def index(found: dict[str, Section]) -> str:
    from harness import __version__, rules

    rows = [("rule", "anchor", "title")]
    used = set()
    for r in rules.all_rules():
        rows.append((r.id, f"#{r.section}", r.title))
        used.add(r.section)
    others = [(s.anchor, s.heading) for s in found.values() if s.anchor not in used and s.anchor != "rule-anchors"]
    rows += [("", f"#{anchor}", heading.replace("`", "")) for anchor, heading in others]
    width = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [
        f"The Moonshot / Kimi provider contract, as kimi-conformance {__version__} holds it ({contract_path()}).",
        "`kimi-conformance contract RULE` prints a section: RULE is a rule id (T4) or an anchor (t4, d3).",
        "",
    ]
    for i, (rule, anchor, title) in enumerate(rows):
        if i == len(rules.all_rules()) + 1 and others:
            lines.append("")  # the rules, then the contract's other sections
        lines.append(f"{rule.ljust(width[0])}  {anchor.ljust(width[1])}  {title}".rstrip())
    return "\n".join(lines)


def cmd_contract(args) -> int:
    from harness.cli.inputs import UsageProblem

    if args.path:
        print(contract_path())
        return 0
    found = read_sections()
    if not args.rule:
        print(index(found))
        return 0
    section = find(args.rule, found)
    if section is None:
        raise UsageProblem(
            f"no rule or section {args.rule!r} in the contract (`kimi-conformance contract` lists them: a rule id "
            "such as T4, or an anchor such as t4)"
        )
    print(section.text)
    return 0


def add_contract_command(sub) -> None:
    p = sub.add_parser(
        "contract",
        help="the contract: its index, or one rule's section (`contract T4`)",
        description="Print the contract that ships with kimi-conformance: the index of its rules and sections, "
        "or the section of RULE. Exit 2 when RULE names no rule or section.",
    )
    p.add_argument(
        "rule",
        nargs="?",
        metavar="RULE",
        help="a rule id (T4, passthrough, anthropic) or an anchor (t4, kimi-coding-anthropic, d3); "
        "without it, the index",
    )
    p.add_argument("--path", action="store_true", help="print where the contract file is, and nothing else")
    p.set_defaults(func=cmd_contract)
