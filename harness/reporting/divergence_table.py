"""Every known divergence entry of the run's targets as Markdown tables with their evidence.

The matrix says how often a target leaned on an entry; this says what each entry *is* — its rules
and checks, the cases it matches, what the target does, the evidence and the minimal case — so a
reader of the report can judge an entry without opening the YAML files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any


def _cell(text: Any) -> str:
    # One table cell: a single line, pipes escaped (the matrix page's renderer honours `\|`).
    s = " ".join(str(text).split())
    return s.replace("|", "\\|") or "—"


def _when(conds: Iterable[dict[str, Any]]) -> str:
    from harness.divergences.model import describe

    parts = [describe(c) for c in conds]
    return "; ".join(parts) or "any case"


def render(targets: Iterable[str], met: Mapping[str, Counter] | None = None) -> str:
    """Markdown: one table per target (of those given) that has entries, shared entries included;
    `met`: per target, how many cells of the run passed through each entry."""
    from harness.divergences.model import Divergences

    met = met or {}
    out = [
        "## Known divergence entries",
        "",
        "Each entry excuses the violations named by its rules and checks, on the cases its conditions "
        "match; its minimal case is replayed strictly (`suites/test_known_divergences.py`). "
        "*Met* counts the matrix cells of this run that passed through the entry.",
    ]
    for target in targets:
        entries = list(Divergences.for_target(target))
        target_met = met.get(target) or Counter()
        if not entries:
            continue
        out += ["", f"### {target} ({len(entries)} entries)", ""]
        out += [
            "| entry | rules · checks | when | what the target does | evidence | minimal case | met |",
            "|---|---|---|---|---|---|---|",
        ]
        for d in entries:
            data = d.data
            checks = ", ".join(sorted(d.checks)) + (f" under `{d.path}`" if d.path else "")
            shared = f" (shared: {', '.join(d.targets)})" if len(d.targets) > 1 else ""
            row = [
                f"`{d.id}`{shared}: {data.get('title', '')}",
                checks,
                _when(d.when),
                data.get("target_does", ""),
                data.get("evidence", ""),
                f"`{data.get('case', '')}`",
                str(target_met[d.id]),
            ]
            out.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return "\n".join(out) + "\n"
